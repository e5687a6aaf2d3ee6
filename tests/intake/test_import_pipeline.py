"""The import's chunked, two-process pipeline keeps the guarantees of a whole-file import.

Chunks are made tiny here so a handful of rows crosses several chunk boundaries; `parallel=True` runs
the real worker process, `parallel=False` the same validation in-process.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from huikuan.cases.models import Case
from huikuan.intake import staging
from huikuan.intake.importer import ColumnMapping, import_accounts
from huikuan.intake.staging import StageJob, copy_text, stage_chunks, validated_chunks
from huikuan.portfolio.models import Account, AccountBalance, ContactPoint, Debtor, LedgerEntry
from tests.conftest import Personas
from tests.intake.test_import import HEADER, counts, row, write

COLUMNS = [*HEADER, "employer", "address"]


@pytest.fixture
def tiny_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(staging, "CHUNK_ROWS", 2)


def many_rows() -> list[dict[str, str]]:
    # C1 has accounts in the first and the third chunk; the other customers one each.
    rows = [
        row(customer_no=f"C{i}", contract_no=f"HT-{i}", name=f"客户{i}", mobile=f"1380000{i:04d}") for i in range(6)
    ]
    rows.insert(
        4,
        row(
            customer_no="C1",
            contract_no="HT-1b",
            name="客户1",
            principal="700",
            employer="later",
            due_date="2026-08-31",
        ),
    )
    return rows


def copy_lines(rows: staging.Rows) -> list[str]:
    assert isinstance(rows, str), "a job for PostgreSQL stages COPY text"
    return rows.splitlines()


def job(path: Path, chunk_rows: int = 2) -> StageJob:
    now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    return StageJob(path, ColumnMapping.identity(), "CN", "CNY", "key", now, True, chunk_rows)


def test_worker_process_hands_back_what_inline_validation_gives(tmp_path: Path) -> None:
    rows = many_rows()
    rows[1]["mobile"] = "12345"  # row 3: a row error in the first chunk
    rows[5]["contract_no"] = "HT-0"  # row 7: a duplicate of row 2, found across chunks
    rows.append(row(customer_no="C0", contract_no="HT-9", name="另一个名字"))  # row 9: name conflict with row 2
    path = write(tmp_path / "bad.csv", rows, COLUMNS)
    inline = list(stage_chunks(job(path)))
    worker = list(validated_chunks(job(path), parallel=True))
    assert [(c.rows, c.errors, c.accounts, c.contacts) for c in worker] == [
        (c.rows, c.errors, c.accounts, c.contacts) for c in inline
    ]
    errors = [e for c in worker for e in c.errors]
    assert [(e.row, e.column, e.code) for e in errors] == [
        (3, "mobile", "phone"),
        (7, "contract_no", "duplicate"),
        (9, "name", "name_conflict"),
    ]
    # The first chunk is row 2 alone; no rows are handed on from the chunk of the first error on (an
    # invalid file writes nothing anyway).
    assert worker[0].rows == 1 and worker[0].accounts
    assert not any(c.accounts or c.contacts for c in worker[1:])


@pytest.mark.django_db
@pytest.mark.parametrize("parallel", [False, True], ids=["inline", "worker"])
def test_errors_across_chunks_are_reported_in_row_order_and_nothing_is_written(
    tmp_path: Path, tiny_chunks: None, parallel: bool
) -> None:
    rows = many_rows()
    rows[6]["fee"] = "1.234"  # row 8
    rows[2]["contract_no"] = "HT-1"  # row 4, duplicate of row 3 (row 2 is invalid, so not the first)
    rows[0]["open_date"] = "2025-02-30"  # row 2
    report = import_accounts(write(tmp_path / "bad.csv", rows, COLUMNS), parallel=parallel)
    assert [(e.row, e.column, e.code) for e in report.errors] == [
        (2, "open_date", "date"),
        (4, "contract_no", "duplicate"),
        (8, "fee", "amount"),
    ]
    assert report.rows == 7
    assert counts() == (0, 0, 0, 0, 0)


@pytest.mark.django_db
@pytest.mark.parametrize("parallel", [False, True], ids=["inline", "worker"])
def test_a_file_across_chunks_imports_like_one_piece(tmp_path: Path, tiny_chunks: None, parallel: bool) -> None:
    path = write(tmp_path / "many.csv", many_rows(), COLUMNS)
    report = import_accounts(path, parallel=parallel)
    assert report.ok, report.error_lines()
    assert (report.rows, report.debtors_created, report.accounts_created, report.accounts_updated) == (7, 6, 7, 0)
    # An opening charge for each of the four components of each account.
    assert report.entries_posted == LedgerEntry.objects.count() == 7 * 4
    c1 = Debtor.objects.get(customer_no="C1")
    assert c1.employer == "", "the debtor's data comes from the customer's first row"
    assert sorted(c1.accounts.values_list("contract_no", flat=True)) == ["HT-1", "HT-1b"]
    assert AccountBalance.objects.get(account__contract_no="HT-1b").principal == Decimal("700.00")
    assert report.cases_created == Case.objects.count() == 6
    # Cases are synced chunk by chunk once a debtor's last row is written: C1's case knows both accounts.
    assert Case.objects.get(debtor=c1).oldest_due_date == date(2026, 8, 31)

    replay = import_accounts(path, parallel=parallel)
    assert (replay.entries_posted, replay.debtors_created, replay.accounts_created, replay.accounts_updated) == (
        0,
        0,
        0,
        7,
    )


@pytest.mark.django_db
def test_a_replayed_file_rewrites_no_row_and_a_change_rewrites_only_its_row(tmp_path: Path) -> None:
    rows = [row(), row(customer_no="C2", contract_no="HT-2", name="李娜", employer="A")]
    path = write(tmp_path / "a.csv", rows, COLUMNS)
    assert import_accounts(path).ok
    stamps = dict(Debtor.objects.values_list("customer_no", "updated_at"))
    account_stamps = dict(Account.objects.values_list("contract_no", "updated_at"))
    assert import_accounts(path).ok
    assert dict(Debtor.objects.values_list("customer_no", "updated_at")) == stamps
    assert dict(Account.objects.values_list("contract_no", "updated_at")) == account_stamps

    rows[1]["employer"] = "B"
    rows[0]["due_date"] = "2026-10-31"
    assert import_accounts(write(tmp_path / "b.csv", rows, COLUMNS)).ok
    after = dict(Debtor.objects.values_list("customer_no", "updated_at"))
    assert after["C1"] == stamps["C1"] and after["C2"] > stamps["C2"]
    assert Debtor.objects.get(customer_no="C2").employer == "B"
    accounts_after = dict(Account.objects.values_list("contract_no", "updated_at"))
    assert accounts_after["HT-2"] == account_stamps["HT-2"] and accounts_after["HT-1"] > account_stamps["HT-1"]
    assert Account.objects.get(contract_no="HT-1").due_date == date(2026, 10, 31)


@pytest.mark.django_db
@pytest.mark.parametrize("parallel", [False, True], ids=["inline", "worker"])
def test_text_with_tabs_backslashes_and_line_breaks_is_stored_as_written(tmp_path: Path, parallel: bool) -> None:
    name = "张\\N伟"
    address = "北京市\t朝阳区\\\n1号"
    rows = [row(name=name, address=address)]
    assert import_accounts(write(tmp_path / "odd.csv", rows, COLUMNS), parallel=parallel).ok
    debtor = Debtor.objects.get()
    assert (debtor.name, debtor.address) == (name, address.strip())
    assert ContactPoint.objects.get(kind="postal").value == address.strip()


def test_copy_text_escapes_what_copy_would_misread() -> None:
    assert copy_text([(1, None, True, False, "a\tb\\c\nd\re", "张")]) == "1\t\\N\tt\tf\ta\\tb\\\\c\\nd\\re\t张\n"
    # A field that reads like COPY's null marker must stay text, also beside a real null.
    assert copy_text([("\\N", None), (None, "x")]) == "\\\\N\t\\N\n\\N\tx\n"
    assert copy_text([]) == ""


@pytest.mark.django_db
def test_unknown_team_in_a_later_chunk_lists_every_team_the_file_found(
    tmp_path: Path, tiny_chunks: None, personas: Personas
) -> None:
    rows = many_rows()
    rows[5]["team"] = "Z组"  # row 7, in the fourth chunk
    rows[6]["team"] = "B组"  # row 8, found after the unknown one
    rows[0]["collector"] = "alice"
    report = import_accounts(write(tmp_path / "teams.csv", rows, [*COLUMNS, "team", "collector"]))
    assert [(e.row, e.column, e.value, e.code, dict(e.params)) for e in report.errors] == [
        (7, "team", "Z组", "choice", {"allowed": "B组"})
    ]
    assert counts() == (0, 0, 0, 0, 0)
    rows[5]["team"] = "A组"
    assert import_accounts(write(tmp_path / "teams.csv", rows, [*COLUMNS, "team", "collector"])).ok
    assert Case.objects.get(debtor__customer_no="C0").assignee == personas.alice
    assert Case.objects.get(debtor__customer_no="C5").team == personas.team_b


@pytest.mark.django_db
@pytest.mark.parametrize("parallel", [False, True], ids=["inline", "worker"])
def test_a_contact_is_staged_once_per_customer_and_keeps_its_first_appearance(
    tmp_path: Path, tiny_chunks: None, parallel: bool
) -> None:
    rows = many_rows()
    # C1's second row (in a later chunk) repeats its mobile as a third party's phone and adds one.
    rows[4].update(contact1_phone=rows[1]["mobile"], contact1_relation="同事", mobile="13900009999")
    path = write(tmp_path / "many.csv", rows, COLUMNS)
    staged = [c for chunk in stage_chunks(job(path)) for c in copy_lines(chunk.contacts)]
    values = [line.split("\t")[2:5] for line in staged]
    assert len(values) == len({tuple(v) for v in values}), "a customer's contact staged twice"
    assert import_accounts(path, parallel=parallel).ok
    c1 = Debtor.objects.get(customer_no="C1")
    assert set(c1.contact_points.filter(kind="mobile").values_list("value", "relation")) == {
        ("+8613800000001", "self"),
        ("+8613900001111", "spouse"),
        ("+8613900009999", "self"),
    }


def test_a_file_without_the_customer_column_is_refused_for_it_not_by_the_first_pass(tmp_path: Path) -> None:
    columns = [c for c in COLUMNS if c != "customer_no"]
    path = write(tmp_path / "no_customer.csv", [{c: row().get(c, "") for c in columns}], columns)
    chunks = list(validated_chunks(job(path), parallel=True))
    assert [(e.row, e.column, e.code) for c in chunks for e in c.errors] == [(1, "customer_no", "missing_column")]


@pytest.mark.django_db
@pytest.mark.parametrize("parallel", [False, True], ids=["inline", "worker"])
def test_cells_that_cannot_be_stored_are_row_errors_in_the_worker_too(tmp_path: Path, parallel: bool) -> None:
    # Issue 25: these ended in a database error (PostgreSQL) or were stored as they came (SQLite).
    rows = many_rows()
    rows[0]["name"] = "张" * 201
    rows[1]["employer"] = "公司\x00"
    rows[2]["customer_no"] = "C" * 65
    rows[3]["address"] = "x" * (128 * 1024 + 1)
    report = import_accounts(write(tmp_path / "cells.csv", rows, COLUMNS), parallel=parallel)
    assert [(e.row, e.column, e.code, dict(e.params)) for e in report.errors] == [
        (2, "name", "too_long", {"length": "201", "limit": "200"}),
        (3, "employer", "control_character", {"character": "U+0000"}),
        (4, "customer_no", "too_long", {"length": "65", "limit": "64"}),
        (5, "address", "cell_too_large", {"length": str(128 * 1024 + 1), "limit": str(128 * 1024)}),
    ]
    assert report.errors[1].value == "公司\\x00"
    assert counts() == (0, 0, 0, 0, 0)


@pytest.mark.django_db
def test_a_cell_beyond_the_readers_limit_stops_the_reading_at_its_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from huikuan.tabular import reading

    monkeypatch.setattr(reading, "READER_FIELD_LIMIT", 1000)
    rows = many_rows()
    rows[2]["address"] = "x" * 1001
    rows[4]["mobile"] = "1"  # after the unreadable row: not read, not reported
    report = import_accounts(write(tmp_path / "big.csv", rows, COLUMNS), parallel=False)
    assert [(e.row, e.column, e.code) for e in report.errors] == [(4, "", "cell_over_reader_limit")]
    assert counts() == (0, 0, 0, 0, 0)


def test_a_sheet_that_fails_half_way_is_an_unreadable_row() -> None:
    from huikuan.tabular.reading import Unreadable, _xlsx_body

    def damaged() -> Iterator[tuple[object, ...]]:
        yield ("a", 1)
        raise ValueError("unexpected end of the sheet's XML")

    assert list(_xlsx_body(damaged())) == [["a", "1"], Unreadable("unexpected end of the sheet's XML")]
