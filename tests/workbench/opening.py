"""A working-day case whose balance is in the ledger: the fixtures write balance snapshots only, and an action
that writes entries (a waiver, a payment) recomputes the snapshot from the entries."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from huikuan.kernel.ledger import Component, EntryKind
from huikuan.portfolio.models import AccountBalance
from tests.postings import post_entry

if TYPE_CHECKING:
    from huikuan.cases.models import Case


def in_ledger(case: Case) -> Case:
    """Replace the case's balance snapshots by opening entries of the same amounts."""
    for account in case.debtor.accounts.all():
        balance = AccountBalance.objects.get(account=account)
        amounts = {c: Decimal(getattr(balance, c.value)) for c in Component if c != Component.CREDIT}
        AccountBalance.objects.filter(pk=balance.pk).update(
            principal=0, interest=0, fee=0, penalty=0, credit=0, total=0, entry_count=0
        )
        for component, amount in amounts.items():
            if amount:
                post_entry(account, EntryKind(component.value), f"open:{component.value}", {component: amount},
                           account.due_date - timedelta(days=1))  # fmt: skip
    case.refresh_from_db()
    return case
