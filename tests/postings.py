"""Posting one ledger entry at a time, for tests that build a history entry by entry.

The product writes entries in sets (the import, payments); tests want one entry with its checks. This helper
goes through the ledger's one writer as a posting does: ``lock_balances``, the kernel's validation,
``append_entries``, ``refresh_balances``, then the change log and the debtor's case.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from huikuan.audit.records import record_change
from huikuan.cases.sync import refresh_cases
from huikuan.kernel import ledger as kernel
from huikuan.portfolio.ledger import (
    LedgerRejected,
    NewEntry,
    append_entries,
    lock_balances,
    open_balances,
    refresh_balances,
)
from huikuan.portfolio.models import Account, AccountBalance, LedgerEntry


@dataclass(frozen=True)
class Posted:
    entry: LedgerEntry
    created: bool


def _values(balance: kernel.Balance) -> dict[str, str]:
    return {c.value: str(balance.get(c)) for c in kernel.Component} | {"total": str(balance.total)}


def post_entry(
    account: Account,
    kind: kernel.EntryKind,
    reference: str,
    deltas: Mapping[kernel.Component, Decimal],
    effective_date: date,
    *,
    user: Any = None,
    note: str = "",
    reversal_of: LedgerEntry | None = None,
) -> Posted:
    """Post one entry; a reference already on the account returns the existing entry untouched."""
    with transaction.atomic():
        open_balances([account.pk])
        locked = lock_balances(account_ids=[account.pk])
        existing = LedgerEntry.objects.filter(account=account, reference=reference).first()
        if existing is not None:
            return Posted(existing, created=False)
        candidate = kernel.Entry(kind, reference, dict(deltas))
        before = locked.balances[account.pk]
        errors = kernel.validate_entry(before, candidate)
        if errors:
            raise LedgerRejected(errors)
        user_id = user.pk if getattr(user, "is_authenticated", False) else None
        reversal_id = reversal_of.pk if reversal_of else None
        written = append_entries(
            [NewEntry(account.pk, candidate, effective_date, note, user_id, reversal_id)], skip_known=True
        )
        entry = LedgerEntry.objects.get(account=account, reference=reference)
        if not written:
            # Another writer got there between our check and our insert (possible on SQLite, whose row
            # locks are whole-database): the reference is taken, so this post is the replay.
            return Posted(entry, created=False)
        refresh_balances([account.pk])
        after = kernel.apply(before, candidate)
        snapshot = AccountBalance(account_id=account.pk)
        record_change(user, snapshot, f"ledger:{kind.value}:{reference}", _values(before), _values(after))
        refresh_cases([account.debtor_id], as_of=timezone.localdate())
    return Posted(entry, created=True)
