"""Account import: every error kind reported with row and column, all-or-nothing, idempotent."""

from __future__ import annotations

import csv
import threading
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections, transaction
from django.db.models import Sum
from django.utils import translation

from huikuan.cases.models import Case
from huikuan.intake.importer import ColumnMapping, ImportFileError, import_accounts, mapped_rows, mapping_text
from huikuan.kernel import intake
from huikuan.kernel.ledger import Component, EntryKind
from huikuan.portfolio.models import Account, AccountBalance, ContactPoint, Debtor, LedgerEntry
from tests.conftest import Personas, another_connection_waits_for_a_lock, client_for
from tests.postings import post_entry

HEADER = [
    "customer_no",
    "name",
    "gender",
    "id_number",
    "mobile",
    "email",
    "contact1_name",
    "contact1_relation",
    "contact1_phone",
    "contract_no",
    "product",
    "original_amount",
    "open_date",
    "due_date",
    "principal",
    "interest",
    "fee",
    "penalty",
]
GOOD = {
    "customer_no": "C1",
    "name": "张伟",
    "gender": "男",
    "id_number": "11010519491231002X",
    "mobile": "138 1234 1234",
    "email": "ZW@example.com",
    "contact1_name": "李娜",
    "contact1_relation": "配偶",
    "contact1_phone": "13900001111",
    "contract_no": "HT-1",
    "product": "信用卡",
    "original_amount": "20,000.00",
    "open_date": "2025-01-15",
    "due_date": "2026/09/30",
    "principal": "12000",
    "interest": "350.50",
    "fee": "50",
    "penalty": "120.25",
}


def write(path: Path, rows: list[dict[str, str]], header: list[str] = HEADER) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return path


def row(**changes: str) -> dict[str, str]:
    return {**GOOD, **changes}


@pytest.fixture
def good_file(tmp_path: Path) -> Path:
    second = row(
        customer_no="C2",
        name="李娜",
        gender="女",
        id_number="",
        mobile="13700002222",
        email="",
        contact1_name="",
        contact1_relation="",
        contact1_phone="",
        contract_no="HT-2",
        product="consumer_loan",
        principal="5000",
        interest="0",
        fee="0",
        penalty="0",
    )
    return write(tmp_path / "good.csv", [row(), second])


def counts() -> tuple[int, int, int, int, int]:
    return (
        Debtor.objects.count(),
        Account.objects.count(),
        LedgerEntry.objects.count(),
        ContactPoint.objects.count(),
        Case.objects.count(),
    )


@pytest.mark.django_db
def test_valid_file_is_imported_with_exact_balances(good_file: Path) -> None:
    report = import_accounts(good_file)
    assert report.ok, report.error_lines()
    balance = AccountBalance.objects.get(account__contract_no="HT-1")
    assert (balance.principal, balance.interest, balance.fee, balance.penalty) == (
        Decimal("12000.00"),
        Decimal("350.50"),
        Decimal("50.00"),
        Decimal("120.25"),
    )
    assert balance.total == Decimal("12520.75")
    debtor = Debtor.objects.get(customer_no="C1")
    assert debtor.id_last4 == "002X" and debtor.id_hash and "11010519491231002X" not in debtor.id_hash
    phones = set(debtor.contact_points.values_list("kind", "value", "relation"))
    assert ("mobile", "+8613812341234", "self") in phones
    assert ("mobile", "+8613900001111", "spouse") in phones
    assert debtor.contact_points.get(kind="email").value == "zw@example.com"
    assert Case.objects.filter(debtor=debtor, oldest_due_date="2026-09-30").exists()


@pytest.mark.django_db
def test_contact_points_go_with_their_debtor_though_the_database_does_not_enforce_it() -> None:
    # The database holds no constraint from contact point to debtor (portfolio 0006): the cascade is
    # Django's, and a debtor deleted through the ORM must leave no contact point behind.
    debtor = Debtor.objects.create(customer_no="C-DEL", name="李雷")
    other = Debtor.objects.create(customer_no="C-KEEP", name="韩梅梅")
    ContactPoint.objects.create(debtor=debtor, kind="mobile", value="+8613812341234")
    ContactPoint.objects.create(debtor=debtor, kind="email", value="ll@example.com")
    ContactPoint.objects.create(debtor=other, kind="mobile", value="+8613812341234")
    debtor.delete()
    assert list(ContactPoint.objects.values_list("debtor__customer_no", flat=True)) == ["C-KEEP"]
    assert not ContactPoint.objects.exclude(debtor_id__in=Debtor.objects.values("id")).exists()


@pytest.mark.django_db
def test_reimporting_the_same_file_changes_nothing(good_file: Path) -> None:
    import_accounts(good_file)
    before = counts()
    entries = list(LedgerEntry.objects.order_by("id").values_list("id", "principal", "interest"))
    report = import_accounts(good_file)
    assert report.ok
    assert counts() == before
    assert list(LedgerEntry.objects.order_by("id").values_list("id", "principal", "interest")) == entries
    assert report.accounts_created == 0 and report.entries_posted == 0


@pytest.mark.django_db(transaction=True)
def test_an_import_waits_while_another_import_is_writing(good_file: Path) -> None:
    # Two imports of one account in different states would each post their difference from the same
    # balance; the second must wait for the first. Another connection holds the imports' lock, as a
    # running import does, and lets go only once the import is seen waiting for it.
    from huikuan.intake.importer import IMPORT_LOCK_KEY

    postgres = connection.vendor == "postgresql"
    held = threading.Event()
    seen_waiting: list[bool] = []
    errors: list[BaseException] = []

    def other_import() -> None:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK_KEY])
                held.set()
                seen_waiting.append(another_connection_waits_for_a_lock(cursor))
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    if postgres:
        holder = threading.Thread(target=other_import)
        holder.start()
        assert held.wait(20)
    report = import_accounts(good_file)
    if postgres:
        holder.join()
        assert not errors, errors
        assert seen_waiting == [True]
    # SQLite lets one writer into the database at a time: there the import simply runs.
    assert report.ok and Account.objects.count() == 2


def _ledger_sums(account: Account) -> tuple[Decimal, Decimal]:
    sums = LedgerEntry.objects.filter(account=account).aggregate(p=Sum("principal"), t=Sum("penalty"))
    return sums["p"], sums["t"]


@pytest.mark.django_db(transaction=True)
def test_a_payment_committed_while_an_import_writes_its_account_keeps_snapshot_and_ledger_agreeing(
    tmp_path: Path, good_file: Path
) -> None:
    # The import reads the snapshot (12,000 principal) and posts the difference to the file's 11,000; a
    # payment of 1,000 holds the snapshot row locked across that read and commits while the import waits
    # for the row. The ledger then holds both (10,000), and so must the snapshot: set to the file's row
    # it said 11,000.
    import_accounts(good_file)
    account = Account.objects.get(contract_no="HT-1")
    posted = threading.Event()
    errors: list[BaseException] = []
    postgres = connection.vendor == "postgresql"

    def pay() -> None:
        try:
            with transaction.atomic():
                post_entry(
                    account, EntryKind.PAYMENT, "pay-1", {Component.PRINCIPAL: Decimal("-1000.00")}, date(2026, 1, 5)
                )
                posted.set()
                if not postgres:
                    return
                with connection.cursor() as cursor:  # this thread's own connection
                    if not another_connection_waits_for_a_lock(cursor):
                        raise AssertionError("the import never waited for the payment's row lock")
        except BaseException as exc:  # surfaced below; a thread must not swallow failures
            errors.append(exc)
        finally:
            if postgres:
                connections.close_all()

    if postgres:
        payment = threading.Thread(target=pay)
        payment.start()
        assert posted.wait(20)
    else:
        # SQLite lets one writer at a time into the whole database, so the two cannot interleave: the
        # payment goes first and the import then reads the snapshot it left.
        pay()
    report = import_accounts(write(tmp_path / "next.csv", [row(principal="11000")]))
    if postgres:
        payment.join()
    assert not errors, errors
    assert report.ok
    balance = AccountBalance.objects.get(account=account)
    assert _ledger_sums(account) == (balance.principal, balance.penalty)
    assert balance.principal == Decimal("10000.00" if postgres else "11000.00")
    assert balance.total == balance.principal + balance.interest + balance.fee + balance.penalty


@pytest.mark.django_db
def test_a_changed_balance_is_posted_as_one_adjustment(tmp_path: Path, good_file: Path) -> None:
    import_accounts(good_file)
    import_accounts(write(tmp_path / "next.csv", [row(principal="11000", penalty="150.25")]))
    balance = AccountBalance.objects.get(account__contract_no="HT-1")
    assert balance.principal == Decimal("11000.00") and balance.penalty == Decimal("150.25")
    adjustment = LedgerEntry.objects.get(account__contract_no="HT-1", kind="adjustment")
    assert adjustment.principal == Decimal("-1000.00") and adjustment.penalty == Decimal("30.00")
    assert balance.total == sum((e.amount for e in LedgerEntry.objects.filter(account__contract_no="HT-1")), Decimal(0))


@pytest.mark.django_db
def test_a_state_already_posted_today_is_not_posted_again(tmp_path: Path, good_file: Path) -> None:
    import_accounts(good_file)
    changed = write(tmp_path / "next.csv", [row(principal="11000")])
    import_accounts(changed)
    import_accounts(good_file)  # back to the first state: a second adjustment
    entries = LedgerEntry.objects.filter(account__contract_no="HT-1").count()
    report = import_accounts(changed)  # that state's adjustment of today is in the ledger already
    assert report.ok and report.entries_posted == 0
    assert LedgerEntry.objects.filter(account__contract_no="HT-1").count() == entries
    balance = AccountBalance.objects.get(account__contract_no="HT-1")
    assert balance.principal == Decimal("12000.00") and balance.entry_count == entries


@pytest.mark.django_db
def test_entries_already_in_the_ledger_make_the_snapshot_come_from_the_ledger(good_file: Path) -> None:
    """When an entry the import meant to post is there already (another import of the same state got in
    first), the snapshot is recomputed from the ledger rather than taken from the row."""
    import_accounts(good_file)
    account = Account.objects.get(contract_no="HT-1")
    LedgerEntry.objects.create(
        account=account, kind="adjustment", reference="manual", effective_date=account.open_date, principal=-100
    )
    AccountBalance.objects.filter(account=account).update(entry_count=0)  # looks unopened to the import
    report = import_accounts(good_file)
    assert report.ok and report.entries_posted == 0
    balance = AccountBalance.objects.get(account=account)
    assert balance.principal == Decimal("11900.00") and balance.entry_count == 5
    assert balance.total == sum((e.amount for e in account.entries.all()), Decimal(0))


ERROR_CASES = [
    ("missing customer number", {"customer_no": ""}, "customer_no", "required"),
    ("missing name", {"name": ""}, "name", "required"),
    ("bad phone", {"mobile": "12345"}, "mobile", "phone"),
    ("bad third-party phone", {"contact1_phone": "0000"}, "contact1_phone", "phone"),
    ("bad id checksum", {"id_number": "110105194912310021"}, "id_number", "id_number"),
    ("id too short", {"id_number": "11010519"}, "id_number", "id_number"),
    ("negative principal", {"principal": "-1"}, "principal", "negative"),
    ("amount with letters", {"interest": "12a"}, "interest", "amount"),
    ("amount with three decimals", {"fee": "1.234"}, "fee", "amount"),
    ("zero original amount", {"original_amount": "0"}, "original_amount", "zero"),
    ("bad date", {"open_date": "2025-02-30"}, "open_date", "date"),
    ("unreadable date", {"due_date": "next week"}, "due_date", "date"),
    ("due before open", {"due_date": "2024-01-01"}, "due_date", "before_open"),
    ("unknown product", {"product": "mortgage"}, "product", "choice"),
    ("unknown relation", {"contact1_relation": "pet"}, "contact1_relation", "choice"),
    ("bad e-mail", {"email": "not-an-address"}, "email", "email"),
    ("third party without phone", {"contact1_phone": ""}, "contact1_phone", "required"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("label", "changes", "column", "code"), ERROR_CASES, ids=[c[0] for c in ERROR_CASES])
def test_every_error_kind_names_row_column_and_value(
    tmp_path: Path, label: str, changes: dict[str, str], column: str, code: str
) -> None:
    path = write(tmp_path / "bad.csv", [row(customer_no="OK", contract_no="OK-1"), row(**changes)])
    report = import_accounts(path)
    assert not report.ok
    assert [(e.row, e.column, e.code) for e in report.errors] == [(3, column, code)]
    if column == "id_number":
        # Never shown whole, not even in the error report: the last four characters only.
        value = changes[column]
        assert report.errors[0].value == "*" * (len(value) - 4) + value[-4:]
        assert value[:-4] not in report.errors_csv()
    else:
        assert report.errors[0].value == changes[column]
    assert counts() == (0, 0, 0, 0, 0), "an invalid file must write nothing"


@pytest.mark.django_db
def test_duplicate_contract_in_file(tmp_path: Path) -> None:
    report = import_accounts(write(tmp_path / "dup.csv", [row(), row(customer_no="C9", name="王芳")]))
    assert [(e.row, e.column, e.code, dict(e.params)) for e in report.errors] == [
        (3, "contract_no", "duplicate", {"first_row": "2"})
    ]
    assert counts() == (0, 0, 0, 0, 0)


@pytest.mark.django_db
def test_same_customer_with_two_names(tmp_path: Path) -> None:
    report = import_accounts(write(tmp_path / "n.csv", [row(), row(contract_no="HT-9", name="张三")]))
    assert [(e.row, e.code) for e in report.errors] == [(3, "name_conflict")]


@pytest.mark.django_db
def test_missing_required_column(tmp_path: Path) -> None:
    header = [h for h in HEADER if h != "principal"]
    report = import_accounts(write(tmp_path / "m.csv", [{k: v for k, v in GOOD.items() if k != "principal"}], header))
    assert [(e.row, e.column, e.code) for e in report.errors] == [(1, "principal", "missing_column")]


@pytest.mark.django_db
def test_a_late_error_rolls_back_everything(tmp_path: Path) -> None:
    rows = [row(customer_no=f"C{i}", contract_no=f"HT-{i}", name=f"客户{i}") for i in range(50)]
    rows.append(row(customer_no="LAST", contract_no="HT-LAST", mobile="999"))
    report = import_accounts(write(tmp_path / "late.csv", rows))
    assert [e.row for e in report.errors] == [52]
    assert counts() == (0, 0, 0, 0, 0)


@pytest.mark.django_db
def test_unknown_collector_is_an_error_and_nothing_is_written(tmp_path: Path, personas: Personas) -> None:
    header = [*HEADER, "collector"]
    report = import_accounts(write(tmp_path / "c.csv", [row(collector="nobody")], header))
    assert [(e.column, e.code) for e in report.errors] == [("collector", "choice")]
    assert counts() == (0, 0, 0, 0, 0)


@pytest.mark.django_db
def test_collector_column_assigns_the_case(tmp_path: Path, personas: Personas) -> None:
    header = [*HEADER, "collector"]
    assert import_accounts(write(tmp_path / "c.csv", [row(collector="alice")], header)).ok
    case = Case.objects.get(debtor__customer_no="C1")
    assert (case.assignee, case.team) == (personas.alice, personas.team_a)


@pytest.mark.django_db
def test_a_case_handed_to_another_collector_by_a_file_is_in_the_change_log(tmp_path: Path, personas: Personas) -> None:
    from huikuan.audit.models import ChangeLog

    header = [*HEADER, "team", "collector"]
    import_accounts(write(tmp_path / "c.csv", [row(collector="alice")], header))
    case = Case.objects.get(debtor__customer_no="C1")
    assert not ChangeLog.objects.filter(action="sync:assign").exists()  # a new case is not a change
    # Carol collects for team B: the file moves the case there by naming the team as well.
    import_accounts(write(tmp_path / "c.csv", [row(team="B组", collector="carol")], header), user=personas.adam)
    log = ChangeLog.objects.get(action="sync:assign", subject_id=str(case.pk))
    assert log.before == {"team_id": personas.team_a.pk, "assignee_id": personas.alice.pk}
    assert log.after == {"team_id": personas.team_b.pk, "assignee_id": personas.carol.pk}
    assert log.user == personas.adam
    import_accounts(write(tmp_path / "c.csv", [row(team="B组", collector="carol")], header))
    assert ChangeLog.objects.filter(action="sync:assign").count() == 1


@pytest.mark.django_db
def test_a_collector_of_another_team_than_the_cases_is_refused(tmp_path: Path, personas: Personas) -> None:
    header = [*HEADER, "collector"]
    assert import_accounts(write(tmp_path / "c.csv", [row(collector="alice")], header)).ok
    report = import_accounts(write(tmp_path / "c.csv", [row(collector="carol")], header))
    assert [(e.row, e.column, e.value, e.code) for e in report.errors] == [
        (2, "collector", "carol", "collector_other_team")
    ]
    assert Case.objects.get().assignee == personas.alice


@pytest.mark.django_db
def test_dry_run_writes_nothing_but_counts(good_file: Path) -> None:
    report = import_accounts(good_file, dry_run=True)
    assert report.ok and report.accounts_created == 2 and report.entries_posted == 5
    assert counts() == (0, 0, 0, 0, 0)


@pytest.mark.django_db
def test_chinese_headers_through_the_example_mapping() -> None:
    examples = Path(__file__).resolve().parents[2] / "examples"
    report = import_accounts(examples / "accounts-zh.csv", ColumnMapping.load(examples / "mapping-zh.yaml"))
    assert report.ok, report.error_lines()
    assert report.rows >= 5
    assert Account.objects.count() == report.rows


@pytest.mark.django_db
def test_xlsx_with_chinese_headers(tmp_path: Path) -> None:
    import openpyxl

    mapping = ColumnMapping.parse(
        "columns:\n  customer_no: 客户号\n  name: 姓名\n  contract_no: 合同编号\n"
        "  product: 产品\n  original_amount: 合同金额\n  open_date: 放款日\n"
        "  due_date: 到期日\n  principal: 剩余本金\n"
    )
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["客户号", "姓名", "合同编号", "产品", "合同金额", "放款日", "到期日", "剩余本金"])
    from datetime import datetime

    sheet.append(["K1", "陈敏", "X-1", "消费贷", 30000, datetime(2025, 3, 1), datetime(2026, 8, 31), 8888.88])
    sheet.append(["K2", "刘强", "X-2", "消费贷", 1000, datetime(2025, 3, 1), datetime(2026, 8, 31), -5])
    book.save(tmp_path / "a.xlsx")
    report = import_accounts(tmp_path / "a.xlsx", mapping)
    assert [(e.row, e.column, e.code) for e in report.errors] == [(3, "剩余本金", "negative")]
    sheet.delete_rows(3)
    book.save(tmp_path / "a.xlsx")
    assert import_accounts(tmp_path / "a.xlsx", mapping).ok
    assert AccountBalance.objects.get(account__contract_no="X-1").principal == Decimal("8888.88")


def test_mapping_with_unknown_field_is_refused() -> None:
    # Each language said outright: a test before this one in the worker may have left another one active.
    with translation.override("zh-hans"), pytest.raises(ImportFileError, match="未知字段"):
        ColumnMapping.parse("columns:\n  colour: 颜色\n")
    with translation.override("en"), pytest.raises(ImportFileError, match="unknown fields"):
        ColumnMapping.parse("columns:\n  colour: 颜色\n")


@pytest.mark.django_db
def test_gb18030_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    write(path, [row()])
    path.write_bytes(path.read_text(encoding="utf-8").encode("gb18030"))
    assert import_accounts(path).ok
    assert Debtor.objects.get().name == "张伟"


@pytest.mark.django_db
def test_a_utf8_file_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    # Excel's "CSV UTF-8" export starts with a BOM: it must not become part of the first column's title.
    path = tmp_path / "bom.csv"
    write(path, [row()])
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert import_accounts(path).ok
    assert Debtor.objects.get().customer_no == "C1"


@pytest.mark.django_db
def test_a_file_that_is_no_known_text_is_refused_as_a_whole(tmp_path: Path) -> None:
    # Valid UTF-8 for its first rows and broken far into the file: refused before any row is read, with
    # an error about the file, not a failure half-way through.
    path = tmp_path / "broken.csv"
    write(path, [row(contract_no=f"HT-{n}", customer_no=f"C{n}") for n in range(3000)])
    path.write_bytes(path.read_bytes() + b"\xff\xfe\xff\n")
    with pytest.raises(ImportFileError, match="UTF-8"):
        import_accounts(path)
    assert not Debtor.objects.exists()


@pytest.mark.django_db
def test_the_mapping_can_name_the_encoding_and_a_wrong_one_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    write(path, [row()])
    path.write_bytes(path.read_text(encoding="utf-8").encode("gb18030"))
    identity = "columns:\n" + "".join(f"  {f}: {f}\n" for f in HEADER)
    with pytest.raises(ImportFileError, match="utf-8"):
        import_accounts(path, ColumnMapping.parse(identity + "encoding: utf-8\n"))
    with translation.override("en"), pytest.raises(ImportFileError, match="not no-such-codec text"):
        import_accounts(path, ColumnMapping.parse(identity + "encoding: no-such-codec\n"))
    assert not Debtor.objects.exists()
    assert import_accounts(path, ColumnMapping.parse(identity + "encoding: gb18030\n")).ok
    assert Debtor.objects.get().name == "张伟"


@pytest.mark.django_db
def test_command_line_reports_errors_and_fails(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.csv", [row(mobile="1")])
    errors_csv = tmp_path / "errors.csv"
    with pytest.raises(CommandError, match="未导入任何数据"):
        call_command("import_accounts", str(path), errors_csv=errors_csv)
    text = errors_csv.read_text(encoding="utf-8-sig")
    assert "mobile" in text and ",1," in text


@pytest.mark.django_db
def test_admin_offers_the_same_import(good_file: Path, personas: Personas) -> None:
    client = client_for(personas.adam)
    page = client.get("/admin/portfolio/importbatch/")
    assert "/admin/portfolio/importbatch/upload/" in page.content.decode()
    with good_file.open("rb") as handle:
        response = client.post("/admin/portfolio/importbatch/upload/", {"file": handle})
    assert response.status_code == 200
    assert Account.objects.count() == 2


def test_rows_read_as_mapped_fields_skipping_empty_ones_and_padding_short_ones(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_text("b,a,c\n1,2,3\n , ,\t\n4\n5,6,7,8\n", encoding="utf-8")
    missing, rows = mapped_rows(path, ColumnMapping({"first": "a", "second": "b", "third": "c"}), ["first"])
    assert missing == []
    assert list(rows) == [
        (2, {"first": "2", "second": "1", "third": "3"}),
        (4, {"first": "", "second": "4", "third": ""}),  # row 3 holds only whitespace
        (5, {"first": "6", "second": "5", "third": "7"}),
    ]
    _missing, one = mapped_rows(path, ColumnMapping({"only": "c"}), ["only"])
    assert [fields for _n, fields in one] == [{"only": "3"}, {"only": ""}, {"only": "7"}]


REQUIRED_ONLY = list(intake.REQUIRED)  # a file with nothing but the columns every file must have


@pytest.mark.django_db
def test_a_file_without_a_column_leaves_what_is_stored_for_it_alone(tmp_path: Path) -> None:
    # A first load with everything, then a balance update with the required columns only: the debtor's ID
    # hash, kind, time zone, language and employer, the account's currency and rates, and the interest,
    # fee and penalty the second file does not state all stay as they were; only the principal moves.
    full = [*HEADER, "debtor_kind", "employer", "time_zone", "language", "currency", "annual_interest_rate"]
    first = row(debtor_kind="企业", employer="闽江贸易", time_zone="Asia/Urumqi", language="en")
    first |= {"id_number": "91350100M000100Y43", "currency": "USD", "annual_interest_rate": "18%"}
    import_accounts(write(tmp_path / "first.csv", [first], full))
    debtor = Debtor.objects.get()
    before = (debtor.kind, debtor.id_type, debtor.id_hash, debtor.id_last4, debtor.time_zone, debtor.employer)
    assert before[0] == "company" and before[2] and before[4] == "Asia/Urumqi"
    entries = LedgerEntry.objects.count()

    update = {k: v for k, v in row(principal="11000").items() if k in REQUIRED_ONLY}
    report = import_accounts(write(tmp_path / "update.csv", [update], REQUIRED_ONLY))
    assert report.ok, report.error_lines()
    debtor.refresh_from_db()
    assert (debtor.kind, debtor.id_type, debtor.id_hash, debtor.id_last4, debtor.time_zone, debtor.employer) == before
    assert debtor.preferred_language == "en"
    account = Account.objects.get()
    assert (account.currency, account.annual_interest_rate) == ("USD", Decimal("0.18"))
    balance = AccountBalance.objects.get()
    assert (balance.principal, balance.interest, balance.fee, balance.penalty) == (
        Decimal("11000.00"),
        Decimal("350.50"),
        Decimal("50.00"),
        Decimal("120.25"),
    )
    assert LedgerEntry.objects.count() == entries + 1  # one adjustment, of the principal alone
    adjustment = LedgerEntry.objects.get(kind="adjustment")
    assert (adjustment.principal, adjustment.interest, adjustment.penalty) == (Decimal("-1000.00"), 0, 0)
    assert _ledger_sums(account) == (balance.principal, balance.penalty)
    # The same update again changes nothing.
    assert import_accounts(write(tmp_path / "update.csv", [update], REQUIRED_ONLY)).entries_posted == 0


@pytest.mark.django_db
def test_a_contract_of_another_customer_is_refused_not_moved(tmp_path: Path, good_file: Path) -> None:
    import_accounts(good_file)
    before = counts()
    moved = [row(customer_no="C9", name="王芳", contract_no="HT-1"), row(customer_no="C3", contract_no="HT-3")]
    report = import_accounts(write(tmp_path / "moved.csv", moved))
    assert [(e.row, e.column, e.value, e.code, dict(e.params)) for e in report.errors] == [
        (2, "contract_no", "HT-1", "contract_moved", {"customer_no": "C1"})
    ]
    assert "C1" in report.error_lines()[0]
    assert counts() == before
    assert Account.objects.get(contract_no="HT-1").debtor.customer_no == "C1"


@pytest.mark.django_db
def test_a_rate_that_is_not_a_number_is_a_row_error(tmp_path: Path) -> None:
    header = [*HEADER, "annual_interest_rate", "daily_penalty_rate"]
    rows = [row(annual_interest_rate="NaN"), row(contract_no="HT-2", daily_penalty_rate="nan%")]
    report = import_accounts(write(tmp_path / "nan.csv", rows, header))
    assert [(e.row, e.column, e.code) for e in report.errors] == [
        (2, "annual_interest_rate", "rate"),
        (3, "daily_penalty_rate", "rate"),
    ]


@pytest.mark.django_db
def test_a_mapping_saved_as_gb18030_is_read_and_a_numeric_sheet_name_found(tmp_path: Path) -> None:
    import openpyxl

    text = "sheet: 2024\ncolumns:\n" + "".join(f"  {f}: {t}\n" for f, t in zip(REQUIRED_ONLY, CHINESE, strict=True))
    path = tmp_path / "mapping.yaml"
    path.write_bytes(text.encode("gb18030"))  # what Notepad saves as "ANSI" on a Chinese Windows
    mapping = ColumnMapping.load(path)
    assert mapping.sheet == "2024" and mapping.columns["customer_no"] == "客户号"
    book = openpyxl.Workbook()
    book.active.title = "说明"
    sheet = book.create_sheet("2024")
    sheet.append(CHINESE)
    sheet.append(["K1", "陈敏", "X-1", "消费贷", 30000, "2025-03-01", "2026-08-31", 8888.88])
    book.save(tmp_path / "a.xlsx")
    assert import_accounts(tmp_path / "a.xlsx", mapping).ok
    with pytest.raises(ImportFileError, match="UTF-8"):
        ColumnMapping.parse(mapping_text(b"columns:\n  name: \xff\xfe\n"))


CHINESE = ["客户号", "姓名", "合同编号", "产品", "合同金额", "放款日", "到期日", "剩余本金"]


@pytest.mark.django_db
def test_a_contracts_terms_changed_by_a_file_are_in_the_change_log(tmp_path: Path, good_file: Path) -> None:
    from huikuan.audit.models import ChangeLog

    import_accounts(good_file)
    assert not ChangeLog.objects.filter(action="import:account").exists()  # new contracts are not changes
    changed = [row(due_date="2026-10-31", original_amount="21000")]
    import_accounts(write(tmp_path / "changed.csv", changed))
    account = Account.objects.get(contract_no="HT-1")
    log = ChangeLog.objects.get(action="import:account")
    assert (log.subject_type, log.subject_id) == ("portfolio.account", str(account.pk))
    assert log.before == {"due_date": "2026-09-30", "original_amount": "20000.00"}
    assert log.after == {"due_date": "2026-10-31", "original_amount": "21000.00"}
    import_accounts(write(tmp_path / "changed.csv", changed))  # the same terms again change nothing
    assert ChangeLog.objects.filter(action="import:account").count() == 1
