"""Imported cases are never orphaned (issue 16, item 4): Lena, who leads team A, imports a file without team or
collector columns. The import page tells her the cases are her team's and that only she sees them until they
are assigned; she finds them on the case list ("unassigned"), assigns some to Alice, and deals the rest to the
team's collectors as the nightly run would. Alice then sees hers; Carol, of team B, never does."""

from __future__ import annotations

from pathlib import Path

import pytest

from huikuan.audit.models import ChangeLog
from huikuan.cases.models import Case
from huikuan.org.models import Role, User
from huikuan.workbench.dealing import assign_cases, deal_unassigned_cases
from tests.conftest import Personas, client_for
from tests.intake.test_import import row, write

pytestmark = pytest.mark.django_db


def file_without_owners(tmp_path: Path, count: int = 5) -> Path:
    rows = [
        row(customer_no=f"N{i}", name=f"新客户{i}", contract_no=f"HT-N{i}", id_number="", mobile=f"1380000{i:04d}",
            contact1_phone="", contact1_name="", contact1_relation="", email="")
        for i in range(count)
    ]  # fmt: skip
    return write(tmp_path / "no-owners.csv", rows)


def imported(personas: Personas, tmp_path: Path, count: int = 5) -> list[Case]:
    """Lena uploads the file on the import page; the page says who sees the cases."""
    with file_without_owners(tmp_path, count).open("rb") as handle:
        response = client_for(personas.lena).post("/import/", {"file": handle})
    assert response.status_code == 200
    audience = response.context["audience"]
    assert (audience.lead, audience.team, audience.team_unassigned) == (True, "A组", count)
    html = response.content.decode()
    assert 'data-testid="import-audience"' in html and 'data-testid="deal-unassigned"' in html
    return list(Case.objects.filter(debtor__customer_no__startswith="N").order_by("id"))


def test_a_leads_import_opens_the_teams_cases_that_only_the_lead_sees(personas: Personas, tmp_path: Path) -> None:
    cases = imported(personas, tmp_path)
    assert {(c.team_id, c.assignee_id) for c in cases} == {(personas.team_a.pk, None)}
    listed = client_for(personas.lena).get("/", {"owner": "未分配"})
    assert listed.status_code == 200
    assert sorted(c.pk for c in listed.context["page"]) == [c.pk for c in cases]
    assert listed.context["unassigned"] == 5
    assert client_for(personas.alice).get("/", {"owner": "none"}).context["page"].paginator.count == 0


def test_the_lead_reassigns_an_imported_case_from_the_team_page(personas: Personas, tmp_path: Path) -> None:
    case = imported(personas, tmp_path, 1)[0]
    response = client_for(personas.lena).post(
        "/work/team/reassign/", {"case": case.pk, "to": personas.alice.pk, "reason": "导入后分配"}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.assignee == personas.alice
    assert client_for(personas.alice).get(f"/cases/{case.pk}/").status_code == 200


def test_the_lead_assigns_ticked_cases_from_the_case_list(personas: Personas, tmp_path: Path) -> None:
    cases = imported(personas, tmp_path, 3)
    response = client_for(personas.lena).post(
        "/work/team/assign/",
        {"cases": [c.pk for c in cases[:2]], "to": personas.bob.pk, "reason": "新案分配", "next": "/?owner=none"},
    )
    assert response.status_code == 302 and response["Location"] == "/?owner=none"
    assert [Case.objects.get(pk=c.pk).assignee_id for c in cases] == [personas.bob.pk, personas.bob.pk, None]
    assert ChangeLog.objects.filter(action="case:reassigned").count() == 2


def test_assigning_needs_a_reason_and_a_collector_of_the_team(personas: Personas, tmp_path: Path) -> None:
    case = imported(personas, tmp_path, 1)[0]
    lena = client_for(personas.lena)
    wrong = ((personas.bob, "", [case.pk]), (personas.carol, "x", [case.pk]), (personas.bob, "x", ["x"]))
    for to, reason, ids in wrong:
        assert lena.post("/work/team/assign/", {"cases": ids, "to": to.pk, "reason": reason}).status_code == 400
    assert (
        client_for(personas.alice)
        .post("/work/team/assign/", {"cases": [case.pk], "to": personas.alice.pk, "reason": "x"})
        .status_code
        == 403
    )
    assert Case.objects.get(pk=case.pk).assignee_id is None


def test_a_lead_cannot_assign_another_teams_case(personas: Personas, tmp_path: Path) -> None:
    case = imported(personas, tmp_path, 1)[0]
    bert = User.objects.create_user("bert", role=Role.TEAM_LEAD, team=personas.team_b)
    response = client_for(bert).post("/work/team/assign/", {"cases": [case.pk], "to": personas.carol.pk, "reason": "x"})
    assert response.status_code == 404
    assert Case.objects.get(pk=case.pk).assignee_id is None


def test_dealing_levels_the_cases_each_collector_holds(personas: Personas, tmp_path: Path) -> None:
    cases = imported(personas, tmp_path, 5)
    # Alice already holds one case of the team: the dealing evens the holdings out (3 and 2).
    assign_cases(personas.lena, [cases[0].pk], personas.alice, "先分一件")
    dealt = deal_unassigned_cases(personas.lena)
    assert (dealt.assigned, dealt.left) == (4, 0)
    held = [Case.objects.get(pk=c.pk).assignee_id for c in cases]
    assert sorted([held.count(personas.alice.pk), held.count(personas.bob.pk)]) == [2, 3]
    assert ChangeLog.objects.filter(action="case:dealt", user=personas.lena).count() == 4
    assert deal_unassigned_cases(personas.lena).assigned == 0


def test_dealing_through_the_page_returns_to_the_list_with_a_message(personas: Personas, tmp_path: Path) -> None:
    imported(personas, tmp_path, 2)
    response = client_for(personas.lena).post("/work/team/deal/", {"next": "/?owner=none"}, follow=True)
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 0
    assert any("2" in str(m) for m in response.context["messages"])


def test_a_collector_may_not_deal_the_teams_cases(personas: Personas, tmp_path: Path) -> None:
    imported(personas, tmp_path, 1)
    assert client_for(personas.alice).post("/work/team/deal/").status_code == 403
    assert Case.objects.filter(assignee__isnull=True).count() == 1


def test_an_administrators_file_without_a_team_says_only_administrators_see_its_cases(
    personas: Personas, tmp_path: Path
) -> None:
    with file_without_owners(tmp_path, 2).open("rb") as handle:
        response = client_for(personas.adam).post("/import/", {"file": handle})
    audience = response.context["audience"]
    assert (audience.lead, audience.no_team) == (False, 2)
    assert client_for(personas.lena).get("/", {"owner": "none"}).context["page"].paginator.count == 0
