"""Posting one ledger entry at a time, for tests that build a history entry by entry.

The product writes entries in sets (the import, payments); tests want one entry with its checks, so this
helper takes the balance lock, validates with the kernel, appends, updates the snapshot and refreshes the
debtor's case, as a posting does.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from huikuan.audit.records import record_change
from huikuan.cases.sync import refresh_cases
from huikuan.kernel import ledger as kernel
from huikuan.portfolio.ledger import LedgerRejected, Posted, _balance_values, _locked_balance, entry_fields
from huikuan.portfolio.models import Account, LedgerEntry


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
        snapshot = _locked_balance(account)
        existing = LedgerEntry.objects.filter(account=account, reference=reference).first()
        if existing is not None:
            return Posted(existing, created=False)
        candidate = kernel.Entry(kind, reference, dict(deltas))
        errors = kernel.validate_entry(snapshot.as_kernel(), candidate)
        if errors:
            raise LedgerRejected(errors)
        try:
            with transaction.atomic():
                entry = LedgerEntry.objects.create(
                    account=account,
                    kind=kind.value,
                    reference=reference,
                    effective_date=effective_date,
                    reversal_of=reversal_of,
                    note=note,
                    created_by=user if getattr(user, "is_authenticated", False) else None,
                    **entry_fields(deltas),
                )
        except IntegrityError:
            # Another writer got there between our check and our insert (possible on SQLite, whose
            # row locks are whole-database): the reference is taken, so this post is the replay.
            return Posted(LedgerEntry.objects.get(account=account, reference=reference), created=False)
        before = _balance_values(snapshot)
        after_balance = kernel.apply(snapshot.as_kernel(), candidate)
        for component in kernel.Component:
            setattr(snapshot, component.value, after_balance.get(component))
        snapshot.total = after_balance.total
        snapshot.entry_count += 1
        snapshot.save()
        record_change(user, snapshot, f"ledger:{kind.value}:{reference}", before, _balance_values(snapshot))
        refresh_cases([account.debtor_id], as_of=timezone.localdate())
    return Posted(entry, created=True)
