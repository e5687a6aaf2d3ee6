"""A replayed file does nearly nothing: rows whose content hash is the one the last import stored are skipped.

A skipped row is not validated or written again; the rules across rows still see it, and a row whose account
moved since (a payment) or whose settings changed is read again, so the import ends where a full re-read ends.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import settings as examples
from hypothesis import strategies as st

from huikuan.audit.models import ChangeLog
from huikuan.cases.models import Case
from huikuan.intake import importer
from huikuan.intake.importer import import_accounts
from huikuan.intake.staging import JsonRows, KnownRows
from huikuan.kernel.intake import FIELDS, RowHasher, content_hash
from huikuan.kernel.ledger import Component, EntryKind
from huikuan.portfolio.models import Account, AccountBalance, ContactPoint, Debtor, ImportBatch, LedgerEntry
from huikuan.tabular.reading import ColumnMapping, mapped_cells, mapped_rows
from tests.intake.test_import import HEADER, counts, row, write
from tests.postings import post_entry


def rows() -> list[dict[str, str]]:
    return [
        row(),
        row(customer_no="C2", contract_no="HT-2", name="李娜", id_number="", mobile="13700002222", email=""),
        row(customer_no="C2", contract_no="HT-2b", name="李娜", id_number="", mobile="13700002222", email=""),
        row(customer_no="C3", contract_no="HT-3", name="王芳", id_number="", mobile="13600003333", email=""),
    ]


def stamps() -> tuple[dict[str, Any], dict[str, Any], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    return (
        dict(Debtor.objects.values_list("customer_no", "updated_at")),
        dict(Account.objects.values_list("contract_no", "updated_at")),
        list(AccountBalance.objects.order_by("account_id").values_list("account_id", "total", "entry_count")),
        list(Case.objects.order_by("id").values_list("id", "status", "assignee_id", "team_id", "oldest_due_date")),
    )


@pytest.fixture
def synced(monkeypatch: pytest.MonkeyPatch) -> list[set[int]]:
    """The debtors whose cases each import synced."""
    calls: list[set[int]] = []
    real = importer.refresh_cases

    def spy(debtor_ids: Iterable[int], *args: Any, **kwargs: Any) -> Any:
        ids = set(debtor_ids)
        if ids:
            calls.append(ids)
        return real(ids, *args, **kwargs)

    monkeypatch.setattr(importer, "refresh_cases", spy)
    return calls


@pytest.mark.django_db
@pytest.mark.parametrize("parallel", [False, True], ids=["inline", "worker"])
def test_the_same_file_twice_changes_nothing_and_says_so(
    tmp_path: Path, parallel: bool, synced: list[set[int]]
) -> None:
    path = write(tmp_path / "a.csv", rows())
    first = import_accounts(path, parallel=parallel)
    assert first.ok, first.error_lines()
    before, audit = (
        (counts(), stamps(), list(ContactPoint.objects.values_list("id", "value"))),
        ChangeLog.objects.count(),
    )
    synced.clear()

    replay = import_accounts(path, parallel=parallel)
    assert replay.ok, replay.error_lines()
    assert (replay.rows, replay.rows_unchanged, replay.accounts_updated) == (4, 4, 4)
    assert (replay.debtors_created, replay.accounts_created, replay.entries_posted, replay.cases_created) == (
        0,
        0,
        0,
        0,
    )
    assert (counts(), stamps(), list(ContactPoint.objects.values_list("id", "value"))) == before
    assert ChangeLog.objects.count() == audit, "the replay logged a change"
    assert synced == [], "no case needed syncing"
    assert replay.batch_id is not None
    batch = ImportBatch.objects.get(pk=replay.batch_id)
    assert (batch.rows, batch.rows_unchanged, batch.accounts_created, batch.entries_posted) == (4, 4, 0, 0)


@pytest.mark.django_db
@pytest.mark.parametrize("parallel", [False, True], ids=["inline", "worker"])
def test_one_changed_row_updates_exactly_its_account_debtor_and_case(
    tmp_path: Path, parallel: bool, synced: list[set[int]]
) -> None:
    data = rows()
    assert import_accounts(write(tmp_path / "a.csv", data), parallel=parallel).ok
    debtors, accounts, _balances, cases = stamps()
    entries = LedgerEntry.objects.count()
    synced.clear()

    data[3] = {**data[3], "principal": "11000", "due_date": "2026-08-31"}  # C3's only account
    report = import_accounts(write(tmp_path / "b.csv", data), parallel=parallel)
    assert report.ok, report.error_lines()
    assert (report.rows_unchanged, report.accounts_updated, report.entries_posted) == (3, 4, 1)
    after_debtors, after_accounts, _balances, after_cases = stamps()
    c3 = Debtor.objects.get(customer_no="C3")
    assert {k for k in debtors if after_debtors[k] != debtors[k]} == set(), "no debtor's data changed"
    assert {k for k in accounts if after_accounts[k] != accounts[k]} == {"HT-3"}
    assert LedgerEntry.objects.count() == entries + 1
    adjustment = LedgerEntry.objects.get(account__contract_no="HT-3", kind="adjustment")
    assert adjustment.principal == Decimal("-1000.00")
    assert AccountBalance.objects.get(account__contract_no="HT-3").principal == Decimal("11000.00")
    assert synced == [{c3.pk}], "only the changed debtor's case is synced"
    changed_cases = {case[0] for case in after_cases if case not in cases}
    assert changed_cases == set(Case.objects.filter(debtor=c3).values_list("id", flat=True))
    assert Case.objects.get(debtor=c3).oldest_due_date == date(2026, 8, 31)
    assert set(ChangeLog.objects.filter(action="import:account").values_list("subject_id", flat=True)) == {
        str(Account.objects.get(contract_no="HT-3").pk)
    }

    # A debtor's data changes with its customer's first row; the debtor's other account row is skipped.
    data[1] = {**data[1], "gender": "女"}
    report = import_accounts(write(tmp_path / "c.csv", data), parallel=parallel)
    assert report.ok and report.rows_unchanged == 3
    assert Debtor.objects.get(customer_no="C2").gender == "female"
    assert dict(Debtor.objects.values_list("customer_no", "updated_at"))["C1"] == debtors["C1"]


@pytest.mark.django_db
@pytest.mark.parametrize("parallel", [False, True], ids=["inline", "worker"])
def test_a_book_much_larger_than_the_file_is_asked_for_the_files_keys_only(
    tmp_path: Path, parallel: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Against a large book the stored hashes of the file's customers and contracts are read, not every one:
    the replay skips the same rows, and the worker is handed no other account's hash."""
    data = rows()
    assert import_accounts(write(tmp_path / "book.csv", data), parallel=parallel).ok
    other = [row(customer_no="C8", contract_no="HT-8", name="周八", id_number="", mobile="13500008888", email="")]
    assert import_accounts(write(tmp_path / "other.csv", other), parallel=parallel).ok
    asked: list[tuple[Any, Any]] = []
    handed: list[KnownRows | JsonRows] = []
    real_lookup = importer._known_rows

    def lookup(customers: Any, contracts: Any) -> KnownRows | JsonRows:
        asked.append((customers, contracts))
        found = real_lookup(customers, contracts)
        handed.append(found)
        return found

    monkeypatch.setattr(importer, "_stored_accounts", lambda: 10**9)  # a book much larger than any file
    monkeypatch.setattr(importer, "_known_rows", lookup)
    before = (counts(), stamps())
    replay = import_accounts(write(tmp_path / "again.csv", data), parallel=parallel)
    assert replay.ok, replay.error_lines()
    assert (replay.rows_unchanged, replay.entries_posted) == (4, 0)
    assert (counts(), stamps()) == before
    assert [(sorted(c), sorted(k)) for c, k in asked] == [(["C1", "C2", "C3"], ["HT-1", "HT-2", "HT-2b", "HT-3"])]
    (found,) = handed
    assert isinstance(found, JsonRows)  # handed on as the database wrote it, read by the worker
    assert sorted(found.rows().accounts) == ["HT-1", "HT-2", "HT-2b", "HT-3"]
    assert sorted(found.rows().debtors) == ["C1", "C2", "C3"]


@pytest.mark.django_db
def test_a_book_not_much_larger_than_the_file_is_read_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One scan of every stored hash costs less than looking up each of the file's keys."""
    path = write(tmp_path / "a.csv", rows())
    assert import_accounts(path).ok
    asked: list[tuple[Any, Any]] = []
    real_lookup = importer._known_rows

    def lookup(customers: Any, contracts: Any) -> KnownRows | JsonRows:
        asked.append((customers, contracts))
        return real_lookup(customers, contracts)

    monkeypatch.setattr(importer, "_known_rows", lookup)
    assert import_accounts(path).rows_unchanged == 4
    assert asked == [(None, None)]


@pytest.mark.django_db
@pytest.mark.parametrize("parallel", [False, True], ids=["inline", "worker"])
def test_a_spreadsheet_has_no_first_pass_and_its_replay_reads_the_hashes_whole(
    tmp_path: Path, parallel: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(HEADER)
    for data in rows():
        book.active.append([data.get(column, "") for column in HEADER])
    path = tmp_path / "a.xlsx"
    book.save(path)
    assert import_accounts(path, parallel=parallel).ok
    asked: list[tuple[Any, Any]] = []
    real_lookup = importer._known_rows

    def lookup(customers: Any, contracts: Any) -> KnownRows | JsonRows:
        asked.append((customers, contracts))
        return real_lookup(customers, contracts)

    monkeypatch.setattr(importer, "_stored_accounts", lambda: 10**9)  # even against a large book
    monkeypatch.setattr(importer, "_known_rows", lookup)
    before = (counts(), stamps())
    replay = import_accounts(path, parallel=parallel)
    assert replay.ok, replay.error_lines()
    assert (replay.rows_unchanged, replay.entries_posted) == (4, 0)
    assert (counts(), stamps()) == before
    assert asked == [(None, None)]


@pytest.mark.django_db
def test_a_row_whose_balance_moved_since_is_read_again(tmp_path: Path) -> None:
    """A payment since the last import: the row is processed as it was before hashes, and the file's
    state is posted as the ledger rule says (here, the difference back to the file's balance)."""
    path = write(tmp_path / "a.csv", rows())
    assert import_accounts(path).ok
    account = Account.objects.get(contract_no="HT-2")
    post_entry(account, EntryKind.PAYMENT, "pay-1", {Component.PRINCIPAL: Decimal("-100.00")}, date(2026, 11, 1))
    report = import_accounts(path)
    assert report.ok and report.rows_unchanged == 3
    assert report.entries_posted == 1
    assert AccountBalance.objects.get(account=account).principal == Decimal("12000.00")
    # Back in the file's state, written by the file: the next replay skips it again.
    assert import_accounts(path).rows_unchanged == 4


@pytest.mark.django_db
def test_columns_in_another_order_are_the_same_content(tmp_path: Path) -> None:
    assert import_accounts(write(tmp_path / "a.csv", rows())).ok
    report = import_accounts(write(tmp_path / "b.csv", rows(), list(reversed(HEADER))))
    assert report.ok and report.rows_unchanged == 4


PHONE = "'+8613700002222"  # as the project's writer escapes it


@pytest.mark.django_db
@pytest.mark.parametrize("parallel", [False, True], ids=["inline", "worker"])
@pytest.mark.parametrize("by_keys", [False, True], ids=["whole", "by_keys"])
def test_numbers_of_any_spelling_are_handed_on_and_skipped(
    tmp_path: Path, parallel: bool, by_keys: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stored hashes travel as the database's JSON text: numbers with quotes, commas, backslashes,
    braces, non-ASCII letters and full-width digits (which the keys fold) are read back as they were stored,
    so their rows are skipped; the cells' own apostrophe escapes are part of what is compared."""
    data = [
        row(customer_no='C"1,\\', contract_no='HT"1,{}\\n'),
        row(
            customer_no="客户Ｃ２",
            contract_no="合同－１２",
            name="李娜",
            id_number="",
            email="",
            mobile="'+8613700002222",
        ),
        row(
            customer_no="客户Ｃ２",
            contract_no="合同-12b",
            name="李娜",
            id_number="",
            email="",
            mobile="'+8613700002222",
        ),
    ]
    path = write(tmp_path / "a.csv", data)
    first = import_accounts(path, parallel=parallel)
    assert first.ok, first.error_lines()
    assert sorted(Account.objects.values_list("contract_no", flat=True)) == sorted(
        ['HT"1,{}\\n', "合同-12", "合同-12b"]  # folded: the full-width digits and dash
    )
    if by_keys:
        monkeypatch.setattr(importer, "_stored_accounts", lambda: 10**9)
    before = (counts(), stamps())
    replay = import_accounts(path, parallel=parallel)
    assert replay.ok, replay.error_lines()
    assert (replay.rows_unchanged, replay.entries_posted) == (3, 0)
    assert (counts(), stamps()) == before


@pytest.mark.django_db
def test_a_row_written_with_the_apostrophe_escape_or_without_it_is_read_again_once(tmp_path: Path) -> None:
    """The hash is of the cells as written: the same phone with the writer's apostrophe before its plus sign
    is the same record, read again (and found unchanged in the database), then skipped as the new spelling."""
    assert import_accounts(write(tmp_path / "a.csv", rows())).ok
    escaped = [{**data, "mobile": "'+86" + data["mobile"]} for data in rows()]
    before = (counts(), stamps())
    report = import_accounts(write(tmp_path / "b.csv", escaped))
    assert report.ok and (report.rows_unchanged, report.entries_posted) == (0, 0)
    assert (counts(), stamps()) == before
    assert import_accounts(write(tmp_path / "c.csv", escaped)).rows_unchanged == 4


@pytest.mark.django_db
def test_other_settings_read_every_row_again(tmp_path: Path, settings: Any) -> None:
    path = write(tmp_path / "a.csv", rows())
    assert import_accounts(path).ok
    settings.DEFAULT_CURRENCY = "HKD"  # a row's meaning may depend on it: every row is validated again
    report = import_accounts(path)
    assert report.ok and (report.rows_unchanged, report.accounts_updated, report.entries_posted) == (0, 4, 0)
    # The rows' hashes under the new settings are stored: the next replay skips them again.
    assert import_accounts(path).rows_unchanged == 4


@pytest.mark.django_db
def test_a_skipped_row_still_counts_for_the_rules_across_rows(tmp_path: Path) -> None:
    data = rows()
    assert import_accounts(write(tmp_path / "a.csv", data)).ok
    # Row 6 repeats row 2's contract, row 7 gives C3 another name: both are errors though rows 2-5 are skipped.
    data.append(row(customer_no="C9", contract_no="HT-1", name="赵六", id_number="", email=""))
    data.append(row(customer_no="C3", contract_no="HT-9", name="别名", id_number="", email=""))
    before = counts()
    report = import_accounts(write(tmp_path / "b.csv", data))
    assert [(e.row, e.column, e.code) for e in report.errors] == [
        (6, "contract_no", "duplicate"),
        (7, "name", "name_conflict"),
    ]
    assert counts() == before


@pytest.mark.django_db
def test_a_dry_run_stores_no_hash(tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", rows())
    assert import_accounts(path, dry_run=True).ok
    report = import_accounts(path)
    assert report.ok and report.rows_unchanged == 0 and report.accounts_created == 4


def test_the_content_hash_names_fields_values_first_row_and_context() -> None:
    raw = {"customer_no": "C1", "name": "张伟"}
    same = content_hash(raw, True, "ctx")
    assert content_hash(dict(reversed(raw.items())), True, "ctx") == same
    # The same text however its strings were made (interned, shared, built): the worker's and the
    # importing process's hashes of one row must agree.
    built = {"".join(["custo", "mer_no"]): "".join(["C", "1"]), "name": "".join(["张", "伟"])}
    assert content_hash(built, True, "ctx") == same
    shared = "".join(["北京市", "朝阳区"])
    apart = {"a": "".join(["北京市", "朝阳区"]), "b": "".join(["北京", "市朝阳区"])}
    assert content_hash({"a": shared, "b": shared}, True, "ctx") == content_hash(apart, True, "ctx")
    # Each of these is another content; the last two would be one text if values were simply joined.
    assert (
        len(
            {
                same,
                content_hash(raw, False, "ctx"),
                content_hash(raw, True, "other"),
                content_hash({**raw, "name": "张伟 "}, True, "ctx"),
                content_hash({**raw, "employer": ""}, True, "ctx"),
                content_hash({"customer_no": "C1\x1fname", "name": ""}, True, "ctx"),
                content_hash({"customer_no": "C1", "name": "\x1fname"}, True, "ctx"),
            }
        )
        == 7
    )


rows_of_fields = st.dictionaries(st.sampled_from(FIELDS), st.text(max_size=12), min_size=1, max_size=8)


@examples(max_examples=200, deadline=None)
@given(st.lists(st.tuples(rows_of_fields, st.booleans()), min_size=1, max_size=6), st.randoms())
def test_one_hasher_over_many_rows_hashes_each_as_content_hash_does(
    batch: list[tuple[dict[str, str], bool]], random: Any
) -> None:
    """The import's hasher (fields sorted once per file) gives each row its content hash, whatever the
    fields of the rows before it and the order of its columns; different contents hash differently."""
    hasher = RowHasher("ctx")
    for raw, first in batch:
        shuffled = list(raw.items())
        random.shuffle(shuffled)
        assert hasher(dict(shuffled), first) == content_hash(raw, first, "ctx")
    by_content = {(tuple(sorted(raw.items())), first): content_hash(raw, first, "ctx") for raw, first in batch}
    assert len(set(by_content.values())) == len(by_content)


cell_text = st.text(st.sampled_from(["a", "'", "=", "+", "-", "@", "\t", " ", ",", "张", "１"]), max_size=6)


@examples(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=1, max_size=6),
    st.lists(st.lists(cell_text, max_size=7), min_size=1, max_size=5),
)
def test_a_rows_cells_read_as_its_fields_do(tmp_path_factory: Any, titles: list[str], body: list[list[str]]) -> None:
    """`mapped_cells` gives the rows `mapped_rows` gives, as cells (repeated titles, short and long rows,
    the writer's apostrophe), and a reader of some fields reads them as the mapped row holds them."""
    path = tmp_path_factory.mktemp("cells") / "cells.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([titles, *body])
    mapping = ColumnMapping({"x": "a", "y": "b", "z": "c"})
    required: list[str] = []
    _missing, cells, by_cells = mapped_cells(path, mapping, required)
    _missing, by_fields = mapped_rows(path, mapping, required)
    assert cells is not None
    read = cells.reader(cells.names)
    for (number, values), (same_number, fields) in zip(by_cells, by_fields, strict=True):
        assert isinstance(values, list) and isinstance(fields, dict)
        assert number == same_number and cells.mapped(values) == fields
        assert dict(zip(cells.names, read(values), strict=True)) == fields
