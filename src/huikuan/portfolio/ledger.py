"""The one writer of the ledger: the only code that writes LedgerEntry and AccountBalance rows.

Three steps, each written once here, make every money movement (a payment, a reversal, a waiver, the
account import, the generator):

1. ``lock_balances``: lock the balance rows of the debtors or accounts involved, in account id order (the
   lock order of docs/architecture.md), and read them as kernel balances. A writer that computes entries
   in Python against balances (allocation, validation: payments, reversals, waivers) takes it first, so
   what it read cannot change before commit. The import's set-based SQL computes against the rows as its
   statements find them and takes their locks as its snapshot upsert writes them, in account order.
2. ``append_entries``: append entries, given as rows (``NewEntry``) or as a SELECT over a staging table
   (``SelectedEntries``, the import's set-based form), with one column list and one rule for a reference
   already on its account (skipped, or an IntegrityError when ``skip_known`` is off).
3. ``refresh_balances``: bring the snapshots in step with what was appended, in the same transaction:
   recomputed from the ledger for a set of accounts, or moved by the amounts just appended
   (``BalanceMoves``, the import's form, which reads no entry back and adds to the row as it is when
   locked, so a payment committed meanwhile is kept).

Nothing here decides what to post: the kernel's rules (allocation, reversal, ``import_entries``) and the
callers (payments, intake) do.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import connection

from huikuan import clock
from huikuan.db.bulkwrite import insert_rows, reserve_ids
from huikuan.db.chunks import chunked
from huikuan.kernel import allocation as alloc
from huikuan.kernel import ledger as kernel
from huikuan.kernel.money import ZERO
from huikuan.portfolio.fields import to_fen
from huikuan.portfolio.models import AccountBalance, LedgerEntry

_CHUNK = 5000
_MONEY = tuple(c.value for c in kernel.Component)
_OWED = tuple(c.value for c in kernel.OWED_COMPONENTS)
# The columns of an appended entry, in the order a SelectedEntries query yields them (without the id).
ENTRY_COLUMNS = (
    "account_id", "kind", "reference", "effective_date", *_MONEY, "note", "created_by_id", "reversal_of_id",
    "created_at",
)  # fmt: skip
_BALANCE_COLUMNS = ("account_id", *_MONEY, "total", "entry_count", "updated_at")


class LedgerRejected(ValueError):
    def __init__(self, errors: list[kernel.LedgerError]) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = errors


# --- 1. lock ----------------------------------------------------------------------------------------------


@dataclass
class LockedBalances:
    """The locked balances of a set of accounts, kept current by ``move`` as entries are planned."""

    balances: dict[int, kernel.Balance] = field(default_factory=dict)
    due: dict[int, date] = field(default_factory=dict)
    by_debtor: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))

    def kernel_accounts(self, debtor_id: int) -> list[alloc.AccountBalance]:
        """The debtor's accounts as the allocation rules take them."""
        return [alloc.AccountBalance(str(a), self.balances[a], self.due[a]) for a in self.by_debtor.get(debtor_id, [])]

    def move(self, entries: Iterable[tuple[str | int, kernel.Entry]]) -> list[str]:
        """Move the balances by the entries, each checked by the kernel first; the problems, or [] when moved."""
        planned = [(int(account_id), entry) for account_id, entry in entries]
        problems = [
            f"{account_id}: {p.message}"
            for account_id, entry in planned
            for p in kernel.validate_entry(self.balances[account_id], entry)
        ]
        if problems:
            return problems
        for account_id, entry in planned:
            self.balances[account_id] = kernel.apply(self.balances[account_id], entry)
        return []

    def document(self, account_ids: Iterable[int]) -> dict[str, str]:
        """The accounts' balances as the change log writes them: ``<account>.<component>`` and ``.total``."""
        doc: dict[str, str] = {}
        for account_id in sorted(set(account_ids)):
            balance = self.balances[account_id]
            for component in kernel.Component:
                doc[f"{account_id}.{component.value}"] = str(balance.get(component))
            doc[f"{account_id}.total"] = str(balance.total)
        return doc


def lock_balances(*, debtor_ids: Iterable[int] = (), account_ids: Iterable[int] = ()) -> LockedBalances:
    """Lock (SELECT … FOR UPDATE) and read the balance rows of the debtors' accounts and the named accounts.

    One order for every writer: account id, ascending, in chunks. An account without a snapshot row is
    not locked (``open_balances`` gives a new account its row first).
    """
    debtors = sorted(set(debtor_ids))
    wanted = set(account_ids)
    for part in chunked(debtors, _CHUNK):
        wanted.update(AccountBalance.objects.filter(account__debtor_id__in=part).values_list("account_id", flat=True))
    locked = LockedBalances()
    for part in chunked(sorted(wanted), _CHUNK):
        rows = (
            AccountBalance.objects.select_for_update(of=("self",))
            .filter(account_id__in=part)
            .order_by("account_id")
            .values_list("account_id", "account__debtor_id", "account__due_date", *_MONEY)
        )
        for account_id, debtor_id, due, *values in rows:
            locked.balances[account_id] = kernel.Balance(*values)
            locked.due[account_id] = due
            locked.by_debtor[debtor_id].append(account_id)
    return locked


# --- 2. append --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewEntry:
    """One entry to append: the kernel's entry (kind, reference, deltas) and where and by whom it is posted."""

    account_id: int
    entry: kernel.Entry
    effective_date: date
    note: str = ""
    created_by_id: int | None = None
    reversal_of_id: int | None = None
    # Given when the caller links the entry (a payment's allocation): from ``reserve_entry_ids``.
    id: int | None = None


@dataclass(frozen=True, slots=True)
class SelectedEntries:
    """Entries as a SELECT that yields ENTRY_COLUMNS in order: the set-based form of a bulk writer."""

    sql: str
    params: Sequence[Any] = ()


def reserve_entry_ids(count: int) -> list[int]:
    """Ids for entries a caller must link to before they are written (``NewEntry.id``)."""
    return reserve_ids(LedgerEntry, count)


def append_entries(entries: Sequence[NewEntry] | SelectedEntries, *, skip_known: bool = False) -> int:
    """Append entries; returns how many were written.

    With ``skip_known`` an entry whose reference its account already holds is skipped (a replayed file, a
    state already imported); without it, such an entry is an IntegrityError (a payment's entries are new
    by construction). Entries given as rows either all carry an id or none does. The caller refreshes the
    balances of the accounts in the same transaction (``refresh_balances``).
    """
    table = LedgerEntry._meta.db_table
    conflict = "ON CONFLICT (account_id, reference) DO NOTHING" if skip_known else "ON CONFLICT (id) DO NOTHING"
    if isinstance(entries, SelectedEntries):
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(ENTRY_COLUMNS)}) {entries.sql} {conflict}", list(entries.params)
            )
            return int(cursor.rowcount)
    if not entries:
        return 0
    with_ids = entries[0].id is not None
    if any((e.id is not None) != with_ids for e in entries):
        raise ValueError("entries either all carry an id or none does")
    now = connection.ops.adapt_datetimefield_value(clock.now())
    columns = ("id", *ENTRY_COLUMNS) if with_ids else ENTRY_COLUMNS
    rows = [(*((e.id,) if with_ids else ()), *_entry_values(e), now) for e in entries]
    if not skip_known:
        # Every row goes in, or a known reference raises: nothing to count.
        insert_rows(table, columns, rows, conflict=["id"])
        return len(rows)
    before = _written_so_far()
    inserted = insert_rows(
        table,
        columns,
        rows,
        conflict=["account_id", "reference"],
        returning=["id"] if connection.vendor == "postgresql" else (),
    )
    return len(inserted) if inserted is not None else _written_so_far() - before


def _entry_values(e: NewEntry) -> tuple[object, ...]:
    """An entry's values as the database takes them: money as integer fen, the date as ISO text."""
    return (
        e.account_id,
        e.entry.kind.value,
        e.entry.reference,
        e.effective_date.isoformat(),
        *(to_fen(e.entry.deltas.get(c, ZERO)) for c in kernel.Component),
        e.note[:300],
        e.created_by_id,
        e.reversal_of_id,
    )


def _written_so_far() -> int:
    """SQLite's count of rows this connection has written: before and after an INSERT, what it wrote."""
    if connection.vendor == "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT total_changes()")
        return int(cursor.fetchone()[0])


def kernel_entry(entry: LedgerEntry) -> kernel.Entry:
    """A stored entry as the kernel's record (to reverse it, say)."""
    return kernel.Entry(
        kernel.EntryKind(entry.kind),
        entry.reference,
        {c: getattr(entry, c.value) for c in kernel.Component},
    )


# --- 3. refresh -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BalanceMoves:
    """What a bulk writer just appended, per account, as a SELECT of (account_id, principal, interest, fee,
    penalty, entry_count): the snapshots move by exactly that."""

    sql: str
    params: Sequence[Any] = ()


def open_balances(account_ids: Iterable[int]) -> None:
    """Zero snapshot rows for new accounts (existing rows are left alone)."""
    now = connection.ops.adapt_datetimefield_value(clock.now())
    insert_rows(
        AccountBalance._meta.db_table,
        _BALANCE_COLUMNS,
        [(i, *(0 for _ in _MONEY), 0, 0, now) for i in sorted(set(account_ids))],
        conflict=["account_id"],
    )


def refresh_balances(accounts: Iterable[int] | BalanceMoves) -> None:
    """Bring the snapshots in step with the ledger, in bulk, inside the caller's transaction.

    Account ids: each snapshot is recomputed from its account's entries (an account without entries keeps
    what it has: ``open_balances`` gives a new one its zero row). ``BalanceMoves``: each snapshot is moved
    by what was appended, in account order, the row's current values plus the moves (credit untouched: no
    bulk writer's entry moves it); a new account with no entry keeps the zero snapshot it may have.
    """
    if isinstance(accounts, BalanceMoves):
        _move_balances(accounts)
        return
    ids = sorted(set(accounts))
    balance_table = AccountBalance._meta.db_table
    entry_table = LedgerEntry._meta.db_table
    now = connection.ops.adapt_datetimefield_value(clock.now())
    sums = ", ".join(f"SUM({c})" for c in _MONEY)
    for chunk in chunked(ids, _CHUNK):
        placeholders = ",".join(["%s"] * len(chunk))
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {balance_table} ({', '.join(_BALANCE_COLUMNS)}) "
                f"SELECT account_id, {sums}, SUM({' + '.join(_OWED)}), COUNT(*), %s "
                f"FROM {entry_table} WHERE account_id IN ({placeholders}) GROUP BY account_id ORDER BY account_id "
                f"ON CONFLICT (account_id) DO UPDATE SET "
                + ", ".join(f"{c} = excluded.{c}" for c in _BALANCE_COLUMNS[1:]),
                [now, *chunk],
            )


def _move_balances(moves: BalanceMoves) -> None:
    table = AccountBalance._meta.db_table
    now = connection.ops.adapt_datetimefield_value(clock.now())
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(_BALANCE_COLUMNS)}) "
            f"SELECT m.account_id, {', '.join(f'm.{c}' for c in _OWED)}, 0, {' + '.join(f'm.{c}' for c in _OWED)}, "
            f"m.entry_count, %s FROM ({moves.sql}) m WHERE true ORDER BY m.account_id "
            f"ON CONFLICT (account_id) DO UPDATE SET "
            + ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in (*_OWED, "total", "entry_count"))
            + ", updated_at = excluded.updated_at "
            # A new account with nothing owed keeps the zero snapshot a replay found.
            "WHERE excluded.entry_count > 0",
            [now, *moves.params],
        )
