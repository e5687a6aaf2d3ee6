"""An account import does what its user may do on the screens, and no more (issue 25: the import as privilege
escalation).

The set-up is two teams' debtors loaded by the operator: 客户A (team A, Alice's) and 客户B (team B, Carol's),
each owing principal 12,000.00, interest 350.50, fee 50.00 and penalty 120.25. Lena leads team A; Bob leads
team B here. Each refused file leaves every table as it was, row for row.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import translation

from huikuan.audit.models import ChangeLog
from huikuan.cases.models import Case, CaseStatus
from huikuan.intake.importer import import_accounts
from huikuan.org.models import Role, User
from huikuan.payments.models import WaiverRequest, WaiverStatus
from huikuan.portfolio.models import AccountBalance, LedgerEntry
from tests.conftest import Personas
from tests.intake.test_import import HEADER, row, write
from tests.test_bad_inputs import fingerprint

COLUMNS = [*HEADER, "team", "collector"]


@pytest.fixture
def teams(personas: Personas, tmp_path: Path) -> Iterator[Personas]:
    rows = [
        row(customer_no="客户A", name="张伟", contract_no="HT-A", team="A组", collector="alice"),
        row(customer_no="客户B", name="王芳", contract_no="HT-B", id_number="", team="B组", collector="carol"),
    ]
    assert import_accounts(write(tmp_path / "base.csv", rows, COLUMNS)).ok
    with translation.override("en"):
        yield personas


def lead_of_b() -> User:
    return User.objects.create_user(
        "bert", role=Role.TEAM_LEAD, team=Case.objects.get(debtor__customer_no="客户B").team
    )


def file_of(tmp_path: Path, **changes: str) -> Path:
    """One row for 客户A as stored, with these changes."""
    base = {"customer_no": "客户A", "name": "张伟", "contract_no": "HT-A", "team": "", "collector": ""}
    return write(tmp_path / "change.csv", [row(**{**base, **changes})], COLUMNS)


def errors(report: object) -> list[tuple[int, str, str, str]]:
    return [(e.row, e.column, e.value, e.code) for e in report.errors]  # type: ignore[attr-defined]


def balance(customer_no: str) -> tuple[Decimal, ...]:
    b = AccountBalance.objects.get(account__debtor__customer_no=customer_no)
    return (b.principal, b.interest, b.fee, b.penalty)


@pytest.mark.django_db
def test_a_lead_cannot_write_off_another_teams_debtor(teams: Personas, tmp_path: Path) -> None:
    # The reproduced attack: Lena zeroes team B's debtor; the case would close as paid and move to team A.
    before = fingerprint()
    path = file_of(
        tmp_path, customer_no="客户B", name="王芳", contract_no="HT-B", id_number="",
        principal="0", interest="0", fee="0", penalty="0", team="A组",
    )  # fmt: skip
    report = import_accounts(path, user=teams.lena)
    assert errors(report) == [
        (2, "customer_no", "客户B", "debtor_not_yours"),
        (2, "principal", "0.00", "owed_decrease"),
        (2, "interest", "0.00", "owed_decrease"),
    ]
    assert report.error_lines()[1] == (
        "Row 2, column principal, value “0.00”: lowers principal or interest by 12000.00: only an "
        "administrator's import may (money received is a payment to post)"
    )
    assert fingerprint() == before
    case = Case.objects.get(debtor__customer_no="客户B")
    assert case.status == CaseStatus.OPEN and case.team == teams.team_b
    assert balance("客户B") == (Decimal("12000.00"), Decimal("350.50"), Decimal("50.00"), Decimal("120.25"))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("assignee", "code"),
    [
        ("quinn", "not_a_collector"),
        ("bert", "not_a_collector"),
        ("adam", "not_a_collector"),
        ("carol", "collector_other_team"),
    ],
    ids=["QA", "another lead", "an administrator", "another team's collector"],
)  # fmt: skip
def test_a_lead_assigns_only_to_active_collectors_of_the_team(
    teams: Personas, tmp_path: Path, assignee: str, code: str
) -> None:
    lead_of_b()
    before = fingerprint()
    report = import_accounts(file_of(tmp_path, collector=assignee), user=teams.lena)
    assert errors(report) == [(2, "collector", assignee, code)]
    assert fingerprint() == before
    assert Case.objects.get(debtor__customer_no="客户A").assignee == teams.alice


@pytest.mark.django_db
def test_an_inactive_collector_gets_no_cases(teams: Personas, tmp_path: Path) -> None:
    User.objects.filter(username="bob").update(is_active=False)
    report = import_accounts(file_of(tmp_path, collector="bob"), user=teams.lena)
    assert errors(report) == [(2, "collector", "bob", "collector_inactive")]


@pytest.mark.django_db
def test_a_lead_imports_only_into_their_team(teams: Personas, tmp_path: Path) -> None:
    before = fingerprint()
    report = import_accounts(file_of(tmp_path, team="B组"), user=teams.lena)
    assert errors(report) == [(2, "team", "B组", "team_not_yours")]
    assert fingerprint() == before
    # A new debtor of the lead's file opens a case in the lead's team, with no team column at all.
    new = write(tmp_path / "new.csv", [row(customer_no="客户N", contract_no="HT-N", id_number="")])
    assert import_accounts(new, user=teams.lena).ok
    assert Case.objects.get(debtor__customer_no="客户N").team == teams.team_a


@pytest.mark.django_db
def test_a_leads_file_reassigns_within_the_team_and_says_who_did(teams: Personas, tmp_path: Path) -> None:
    case = Case.objects.get(debtor__customer_no="客户A")
    assert import_accounts(file_of(tmp_path, collector="bob"), user=teams.lena).ok
    case.refresh_from_db()
    assert case.assignee == teams.bob
    assert ChangeLog.objects.get(action="sync:assign", subject_id=str(case.pk)).user == teams.lena


@pytest.mark.django_db
def test_a_lead_lowers_penalties_within_their_authority_and_it_counts_as_their_waiver(
    teams: Personas, tmp_path: Path, settings: object
) -> None:
    # A lead may waive 100.00 here. The file lowers the penalty by 100.00: within, written as an adjustment in
    # Lena's name and as her approved waiver; lowering it again finds the authority used up.
    settings.HUIKUAN_PAYMENTS = {"plan": {"waiver_authority": {"team_lead": {"max_amount": 100, "max_percent": 100}}}}  # type: ignore[attr-defined]
    report = import_accounts(file_of(tmp_path, penalty="20.25"), user=teams.lena)
    assert report.ok, report.error_lines()
    assert balance("客户A")[3] == Decimal("20.25")
    entry = LedgerEntry.objects.get(account__contract_no="HT-A", kind="adjustment")
    assert entry.created_by == teams.lena and entry.penalty == Decimal("-100.00")
    waiver = WaiverRequest.objects.get()
    assert (waiver.amount, waiver.status, waiver.requested_by, waiver.decided_by) == (
        Decimal("100.00"), WaiverStatus.APPROVED, teams.lena, teams.lena,
    )  # fmt: skip
    before = fingerprint()
    again = import_accounts(file_of(tmp_path, penalty="10.25"), user=teams.lena)
    assert errors(again) == [(2, "penalty", "10.25", "beyond_authority")]
    assert again.error_lines()[0].endswith(
        "lowers penalties and fees by 10.00 (10.00 on this customer's case in the file), beyond your waiver "
        "authority of 0.00 on the case"
    )
    assert fingerprint() == before


@pytest.mark.django_db
def test_a_decrease_beyond_the_authority_names_row_decrease_and_authority(
    teams: Personas, tmp_path: Path, settings: object
) -> None:
    settings.HUIKUAN_PAYMENTS = {"plan": {"waiver_authority": {"team_lead": {"max_amount": 100, "max_percent": 100}}}}  # type: ignore[attr-defined]
    before = fingerprint()
    report = import_accounts(file_of(tmp_path, fee="0", penalty="0"), user=teams.lena)
    assert [(e.row, e.column, e.code, dict(e.params)) for e in report.errors] == [
        (2, "fee", "beyond_authority", {"decrease": "50.00", "total": "170.25", "authority": "100.00"}),
        (2, "penalty", "beyond_authority", {"decrease": "120.25", "total": "170.25", "authority": "100.00"}),
    ]
    with translation.override("zh-hans"):
        assert "100.00" in report.error_lines()[0] and "170.25" in report.error_lines()[0]
    assert fingerprint() == before


@pytest.mark.django_db
def test_a_balance_that_rises_needs_no_authority(teams: Personas, tmp_path: Path) -> None:
    assert import_accounts(file_of(tmp_path, principal="12500", penalty="150"), user=teams.lena).ok
    assert balance("客户A")[0] == Decimal("12500.00")
    assert not WaiverRequest.objects.exists()


@pytest.mark.django_db
def test_an_administrators_file_is_the_lenders_feed(teams: Personas, tmp_path: Path) -> None:
    path = file_of(
        tmp_path, customer_no="客户B", name="王芳", contract_no="HT-B", id_number="",
        principal="0", interest="0", fee="0", penalty="0",
    )  # fmt: skip
    assert import_accounts(path, user=teams.adam).ok
    case = Case.objects.get(debtor__customer_no="客户B")
    assert case.status == CaseStatus.CLOSED and case.team == teams.team_b
    assert LedgerEntry.objects.get(account__contract_no="HT-B", kind="adjustment").created_by == teams.adam
    assert ChangeLog.objects.get(action="sync:close", subject_id=str(case.pk)).user == teams.adam
    # Every entry the files wrote carries who imported them: the operator (no user) for the first load.
    assert set(LedgerEntry.objects.values_list("created_by", flat=True)) == {None, teams.adam.pk}


@pytest.mark.django_db
def test_a_case_moved_to_another_team_without_a_collector_leaves_its_collector(teams: Personas, tmp_path: Path) -> None:
    assert import_accounts(file_of(tmp_path, team="B组"), user=teams.adam).ok
    case = Case.objects.get(debtor__customer_no="客户A")
    assert (case.team, case.assignee) == (teams.team_b, None)


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["alice", "quinn", "lara", "lead without a team", "inactive lead"])
def test_who_may_not_import_is_refused_before_anything_is_read(teams: Personas, tmp_path: Path, who: str) -> None:
    if who == "lead without a team":
        user = User.objects.create_user("lone", role=Role.TEAM_LEAD)
    elif who == "inactive lead":
        user = User.objects.create_user("gone", role=Role.TEAM_LEAD, team=teams.team_a, is_active=False)
    else:
        user = User.objects.get(username=who)
    with pytest.raises(PermissionDenied):
        import_accounts(file_of(tmp_path), user=user)


@pytest.mark.django_db
def test_the_command_line_imports_as_the_user_it_names(teams: Personas, tmp_path: Path) -> None:
    path = file_of(tmp_path, customer_no="客户B", name="王芳", contract_no="HT-B", id_number="", principal="0")
    report = tmp_path / "errors.csv"
    with pytest.raises(CommandError):
        call_command("import_accounts", str(path), "--user", "lena", "--errors-csv", str(report), stderr=io.StringIO())
    assert "debtor_not_yours" not in report.read_text(encoding="utf-8-sig")  # reasons are sentences
    assert "this customer is not one of your team's debtors" in report.read_text(encoding="utf-8-sig")
    with pytest.raises(CommandError, match="no such user"):
        call_command("import_accounts", str(path), "--user", "nobody")
    with pytest.raises(CommandError, match="Your role may not import accounts"):
        call_command("import_accounts", str(path), "--user", "alice")
    call_command("import_accounts", str(path), "--user", "adam", stdout=io.StringIO())
    assert balance("客户B")[0] == Decimal("0.00")


@pytest.mark.django_db
def test_the_screens_refuse_the_same_rows(teams: Personas, tmp_path: Path) -> None:
    path = file_of(tmp_path, collector="carol")
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(teams.lena)
    before = fingerprint()
    with path.open("rb") as handle:
        answer = client.post("/api/imports/accounts", {"file": handle})
    assert answer.status_code == 200
    assert [(e["row"], e["column"], e["code"]) for e in answer.json()["errors"]] == [
        (2, "collector", "collector_other_team")
    ]
    with path.open("rb") as handle:
        page = client.post("/import/", {"file": handle})
    assert "this collector is not in the case&#x27;s team" in page.content.decode()
    assert fingerprint() == before
    loner = User.objects.create_user("lone", role=Role.TEAM_LEAD)
    client.force_login(loner)
    with path.open("rb") as handle:
        assert client.post("/api/imports/accounts", {"file": handle}).status_code == 403
