"""Posting to the ledger: the only code that writes LedgerEntry and AccountBalance rows.

Writers lock the balance rows first, so two processes posting the same reference at once produce one
entry. Bulk writers (import, generator) insert entries with
ON CONFLICT DO NOTHING and then call `refresh_balances`, which recomputes the snapshots from the ledger
in one statement inside the same transaction. The account import (intake/importer.py) does the same
set-based from its staging tables, and takes a snapshot from the file's row when all its entries went in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection

from huikuan import clock
from huikuan.db.bulkwrite import insert_rows
from huikuan.kernel import ledger as kernel
from huikuan.kernel.money import ZERO
from huikuan.portfolio.fields import to_fen
from huikuan.portfolio.models import Account, AccountBalance, LedgerEntry

_CHUNK = 5000


class LedgerRejected(ValueError):
    def __init__(self, errors: list[kernel.LedgerError]) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = errors


@dataclass(frozen=True)
class Posted:
    entry: LedgerEntry
    created: bool


def entry_fields(deltas: Mapping[kernel.Component, Decimal]) -> dict[str, Decimal]:
    return {c.value: deltas.get(c, ZERO) for c in kernel.Component}


def kernel_entry(entry: LedgerEntry) -> kernel.Entry:
    return kernel.Entry(
        kernel.EntryKind(entry.kind),
        entry.reference,
        {c: getattr(entry, c.value) for c in kernel.Component},
    )


def _locked_balance(account: Account) -> AccountBalance:
    AccountBalance.objects.get_or_create(account=account)
    return AccountBalance.objects.select_for_update().get(account=account)


def _balance_values(row: AccountBalance) -> dict[str, str]:
    return {c.value: str(getattr(row, c.value)) for c in kernel.Component} | {"total": str(row.total)}


def open_balances(account_ids: Iterable[int]) -> None:
    """Zero snapshot rows for new accounts (existing rows are left alone)."""
    now = clock.now()
    insert_rows(
        AccountBalance._meta.db_table,
        [
            "account_id",
            "principal",
            "interest",
            "fee",
            "penalty",
            "credit",
            "total",
            "entry_count",
            "updated_at",
        ],
        [(i, 0, 0, 0, 0, 0, 0, 0, now) for i in account_ids],
        conflict=["account_id"],
    )


def entry_row(
    account_id: int,
    kind: str,
    reference: str,
    effective: date,
    deltas: Mapping[kernel.Component, Decimal],
    note: str,
) -> tuple[object, ...]:
    """One ledger row as `insert_entries` takes it: money as integer fen, the date as ISO text."""
    return (
        account_id,
        kind,
        reference,
        effective.isoformat(),
        *(to_fen(deltas.get(c, ZERO)) for c in kernel.Component),
        note,
        clock.now(),
    )


def insert_entries(rows: Sequence[tuple[object, ...]]) -> None:
    """Bulk-append entries built by `entry_row`; a reference already on its account is skipped.

    The caller must call `refresh_balances` for the touched accounts in the same transaction.
    """
    insert_rows(
        LedgerEntry._meta.db_table,
        ["account_id", "kind", "reference", "effective_date", *(c.value for c in kernel.Component), "note",
         "created_at"],
        rows,
        conflict=["account_id", "reference"],
    )  # fmt: skip


def refresh_balances(account_ids: Iterable[int]) -> None:
    """Recompute the snapshots of these accounts from their ledger entries, in bulk."""
    ids = sorted(set(account_ids))
    balance_table = AccountBalance._meta.db_table
    entry_table = LedgerEntry._meta.db_table
    now = connection.ops.adapt_datetimefield_value(clock.now())
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        placeholders = ",".join(["%s"] * len(chunk))
        sql = f"""
            INSERT INTO {balance_table}
                (account_id, principal, interest, fee, penalty, credit, total, entry_count, updated_at)
            SELECT account_id, SUM(principal), SUM(interest), SUM(fee), SUM(penalty), SUM(credit),
                   SUM(principal + interest + fee + penalty), COUNT(*), %s
            FROM {entry_table}
            WHERE account_id IN ({placeholders})
            GROUP BY account_id
            ON CONFLICT (account_id) DO UPDATE SET
                principal = excluded.principal, interest = excluded.interest, fee = excluded.fee,
                penalty = excluded.penalty, credit = excluded.credit, total = excluded.total,
                entry_count = excluded.entry_count, updated_at = excluded.updated_at
        """
        with connection.cursor() as cursor:
            cursor.execute(sql, [now, *chunk])
