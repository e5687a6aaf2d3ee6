"""Bank statement import: all rows or none, row errors with column and reason, replays post nothing."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from huikuan.cases.models import CaseStatus
from huikuan.intake.importer import ColumnMapping
from huikuan.payments.models import CLIENT_KEY_LIMIT, Payment, PaymentSource
from huikuan.payments.statement import FIELDS, import_statement
from huikuan.portfolio.models import AccountBalance
from huikuan.tabular import reading
from huikuan.tabular.reading import ImportFileError
from tests.conftest import Personas
from tests.payments.conftest import Debt, make_debt

HEADER = "transaction_id,amount,paid_on,contract_no,customer_no,memo\n"


def write(tmp_path: Path, body: str, name: str = "stmt.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + body, encoding=encoding)
    return path


def test_a_statement_posts_every_row_once(personas: Personas, debt: Debt, tmp_path: Path) -> None:
    other = make_debt(personas, "C-200")
    path = write(
        tmp_path,
        'T1,"1,100.00",2025-11-03,HT-OLD,,工资\n'
        "T2,3220.00,2025/11/04,,C-200,\n"
        "T3,2120.00,2025年11月5日,HT-NEW,C-100,\n",
    )
    report = import_statement(path)
    assert report.ok, report.error_lines()
    assert (report.posted, report.replayed, report.amount) == (3, 0, Decimal("6440.00"))
    assert debt.total() == Decimal("0.00") and other.total() == Decimal("0.00")
    assert report.closed_cases == 2 and debt.refresh().status == CaseStatus.CLOSED
    assert set(Payment.objects.values_list("source", flat=True)) == {PaymentSource.BANK_STATEMENT}
    again = import_statement(path)
    assert (again.ok, again.posted, again.replayed) == (True, 0, 3)
    assert Payment.objects.count() == 3


def test_one_bad_row_and_nothing_is_posted(personas: Personas, debt: Debt, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "T1,100.00,2025-11-03,HT-OLD,,\n"
        "T2,abc,2025-11-03,HT-OLD,,\n"
        "T3,100.00,2025-13-40,HT-OLD,,\n"
        "T1,100.00,2025-11-03,HT-OLD,,\n"
        "T5,100.00,2025-11-03,HT-NOPE,,\n"
        "T6,100.00,2025-11-03,,,\n"
        "T7,100.00,2099-01-01,HT-OLD,,\n"
        "T8,-5,2025-11-03,HT-OLD,,\n"
        "T9,1.00,2025-11-03,HT-OLD,C-999,\n",
    )
    report = import_statement(path)
    assert not report.ok
    assert [(e.row, e.column, e.code) for e in report.errors] == [
        (3, "amount", "amount"),
        (4, "paid_on", "date"),
        (5, "transaction_id", "duplicate_transaction"),
        (6, "contract_no", "unknown_contract"),
        (7, "contract_no", "payer_required"),
        (8, "paid_on", "future_date"),
        (9, "amount", "zero"),
        (10, "customer_no", "contract_customer"),
    ]
    assert "transaction already appears in row 2" in report.error_lines()[2]
    with translation.override("zh-hans"):
        assert "该交易已出现在第2行" in report.error_lines()[2]
        assert report.summary() == "9行中有8个问题，未入账任何还款。"
    assert Payment.objects.count() == 0
    assert debt.total() == Decimal("3220.00")


def test_a_transaction_replayed_with_other_facts_is_an_error(personas: Personas, debt: Debt, tmp_path: Path) -> None:
    import_statement(write(tmp_path, "T1,100.00,2025-11-03,HT-OLD,,\n", "a.csv"))
    report = import_statement(write(tmp_path, "T1,200.00,2025-11-03,HT-OLD,,\nT2,5.00,2025-11-03,HT-OLD,,\n", "b.csv"))
    assert [(e.row, e.code) for e in report.errors] == [(2, "key_conflict")]
    assert Payment.objects.count() == 1


def test_a_payment_the_ledger_refuses_is_reported_at_its_row(personas: Personas, debt: Debt, tmp_path: Path) -> None:
    # A snapshot the ledger itself would never write (a negative fee): allocation refuses to work on it.
    AccountBalance.objects.filter(account__contract_no="HT-NEW").update(fee=-100)
    make_debt(personas, "C-200")
    path = write(tmp_path, "T1,100.00,2025-11-03,,C-200,\nT2,50.00,2025-11-04,HT-NEW,,\n")
    report = import_statement(path)
    assert [(e.row, e.column, e.value, e.code) for e in report.errors] == [(3, "amount", "50.00", "not_allocatable")]
    assert "fee is -100.00" in report.error_lines()[0] and report.error_lines()[0].startswith("Row 3, column amount")
    assert Payment.objects.count() == 0


def test_mapping_file_gb18030_and_dry_run(personas: Personas, debt: Debt, tmp_path: Path) -> None:
    path = tmp_path / "bank.csv"
    path.write_text("流水号,金额,交易日期,合同号\nB-1,300.00,2025-11-03,HT-NEW\n", encoding="gb18030")
    mapping = ColumnMapping.parse(
        "columns:\n  transaction_id: 流水号\n  amount: 金额\n  paid_on: 交易日期\n  contract_no: 合同号\n",
        FIELDS,
    )
    dry = import_statement(path, mapping, dry_run=True)
    assert (dry.ok, dry.posted) == (True, 1)
    assert Payment.objects.count() == 0 and debt.total() == Decimal("3220.00")
    report = import_statement(path, mapping)
    assert report.posted == 1 and debt.balances()["HT-NEW"].penalty == Decimal("0.00")


def test_missing_columns_are_reported(personas: Personas, debt: Debt, tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("transaction_id,amount\nT1,1.00\n", encoding="utf-8")
    report = import_statement(path)
    assert [(e.column, e.code) for e in report.errors] == [("paid_on", "missing_column")]


def test_the_command(personas: Personas, debt: Debt, tmp_path: Path) -> None:
    good = write(tmp_path, "T1,100.00,2025-11-03,HT-OLD,,\n", "good.csv")
    bad = write(tmp_path, "T2,x,2025-11-03,HT-OLD,,\n", "bad.csv")
    with pytest.raises(CommandError, match="nothing was posted"):
        call_command("import_payments", str(bad), stderr=open("/dev/null", "w"))  # noqa: SIM115
    call_command("import_payments", str(good), "--dry-run", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert Payment.objects.count() == 0
    call_command("import_payments", str(good), stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert Payment.objects.count() == 1


def test_a_transaction_id_up_to_the_key_limit_posts_and_a_longer_one_is_a_row_error(
    personas: Personas, debt: Debt, tmp_path: Path
) -> None:
    # 116 characters and more ended in a database error once the "bank:" prefix made the key longer than its column.
    longest = "T" * CLIENT_KEY_LIMIT
    report = import_statement(
        write(tmp_path, f"{'S' * 116},1.00,2025-11-03,HT-OLD,,\n{longest},1.00,2025-11-03,HT-OLD,,\n")
    )
    assert report.ok and report.posted == 2, report.error_lines()
    assert Payment.objects.get(reference=longest).idempotency_key == "bank:" + longest
    before = Payment.objects.count()
    report = import_statement(
        write(tmp_path, f"{'U' * 121},1.00,2025-11-03,HT-OLD,,\nT2,1.00,2025-11-03,HT-OLD,,{'备' * 121}\n")
    )
    assert [(e.row, e.column, e.code, dict(e.params)) for e in report.errors] == [
        (2, "transaction_id", "too_long", {"length": "121", "limit": "120"}),
        (3, "memo", "too_long", {"length": "121", "limit": "120"}),
    ]
    assert report.errors[0].value == "U" * 80 + "…"  # a long value is echoed cut short
    assert report.error_lines()[1].endswith("121 characters, longer than the 120 this field holds")
    with translation.override("zh-hans"):
        assert "121" in report.error_lines()[1] and "120" in report.error_lines()[1]
    assert Payment.objects.count() == before


def test_an_api_key_that_looks_like_a_bank_transaction_does_not_stand_in_its_way(
    personas: Personas, debt: Debt, tmp_path: Path
) -> None:
    # Issue 25: the API took the key "bank:TX-1", and a later statement with transaction TX-1 was refused whole.
    from django.test import Client

    client = Client()
    client.force_login(personas.lena)
    body = {"case_id": debt.case.pk, "amount": "10.00", "paid_on": "2025-11-03"}
    answer = client.post(
        "/api/payments", body, content_type="application/json", headers={"Idempotency-Key": "bank:TX-1"}
    )
    assert answer.status_code == 201 and answer.json()["idempotency_key"] == "bank:TX-1"
    report = import_statement(write(tmp_path, "TX-1,100.00,2025-11-03,HT-OLD,,\n"))
    assert report.ok and report.posted == 1, report.error_lines()
    assert sorted(Payment.objects.values_list("source", "idempotency_key")) == [
        (PaymentSource.API, "api:bank:TX-1"),
        (PaymentSource.BANK_STATEMENT, "bank:TX-1"),
    ]
    replay = client.post(
        "/api/payments", body, content_type="application/json", headers={"Idempotency-Key": "bank:TX-1"}
    )
    assert replay.status_code == 200 and replay.json()["created"] is False


def test_existing_manual_and_api_keys_move_into_their_sources_space(personas: Personas, debt: Debt) -> None:
    # The data migration, run forwards and backwards on rows stored the old way.
    from importlib import import_module

    from django.apps import apps

    migration = import_module("huikuan.payments.migrations.0005_idempotency_keys_by_source")
    old = {"api": "bank:TX-1", "manual": "form-7", "bank_statement": "bank:TX-1-b"}
    for source, key in old.items():
        Payment.objects.create(
            idempotency_key=key,
            source=source,
            debtor_id=debt.case.debtor_id,
            amount=Decimal("1.00"),
            paid_on="2025-11-03",
        )
    migration.namespace(apps, None)
    assert dict(Payment.objects.values_list("source", "idempotency_key")) == {
        "api": "api:bank:TX-1", "manual": "manual:form-7", "bank_statement": "bank:TX-1-b",
    }  # fmt: skip
    migration.unnamespace(apps, None)
    assert dict(Payment.objects.values_list("source", "idempotency_key")) == old


def test_a_header_without_rows_is_not_a_successful_import(personas: Personas, debt: Debt, tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="no rows"):
        import_statement(write(tmp_path, "\n,,,,,\n"))


def test_a_cell_beyond_the_readers_limit_is_a_row_error(
    personas: Personas, debt: Debt, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reading, "READER_FIELD_LIMIT", 1000)
    report = import_statement(
        write(tmp_path, f"T1,1.00,2025-11-03,HT-OLD,,{'x' * 1001}\nT2,1.00,2025-11-03,HT-OLD,,\n")
    )
    assert [(e.row, e.column, e.code) for e in report.errors] == [(2, "", "cell_over_reader_limit")]
    assert "holds more than 1000 characters" in report.error_lines()[0]
    assert Payment.objects.count() == 0
