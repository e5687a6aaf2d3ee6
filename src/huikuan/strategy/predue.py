"""Reminders before the due date, planned by the nightly run and carried out by the outbox.

Debtors with an open case are left to the collection cadence; the others get the policy's `pre_due`
reminders (SMS, e-mail) on the day they fall. No work item is written: nothing here is a person's task,
and a debtor who owes nothing overdue has no case to hang one on. The messages name the due date and the
account's own amount, and pass the compliance gate at send time like every other message.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import F, QuerySet

from huikuan.cases.models import Case, CaseStatus
from huikuan.comms.models import Purpose, Tone
from huikuan.comms.outbox import Request, queue_messages
from huikuan.kernel import lifecycle
from huikuan.kernel.comms.variables import masked_contract
from huikuan.kernel.money import format_yuan
from huikuan.kernel.strategy.policy import Policy
from huikuan.kernel.strategy.predue import (
    DueAccount,
    DueReminderItem,
    due_dates_of_interest,
    due_reminders,
    second_delinquency_reminders,
)
from huikuan.portfolio.models import Account
from huikuan.strategy.snapshot import Shard

STAGE = "pre_due"
IN_COLLECTION = sorted(lifecycle.IN_COLLECTION)


@dataclass
class DueReminderPlan:
    items: list[DueReminderItem]
    contracts: dict[int, str] = field(default_factory=dict)

    @property
    def counts(self) -> Counter[str]:
        return Counter(f"{STAGE}|{item.rule.action}" for item in self.items)


def plan_due_reminders(as_of: date, policy: Policy, shard: Shard | None = None) -> DueReminderPlan:
    """Today's reminders for the debtors of this shard (by debtor id) who are not in collection, and the
    second-delinquency reminders of those whose case closed lately (even with no general rule)."""
    plan = DueReminderPlan([])
    dates = due_dates_of_interest(policy.pre_due, as_of)
    if dates:
        accounts = _due_accounts(dates, shard, plan.contracts)
        plan.items += due_reminders(policy.pre_due, accounts, as_of)
    second = policy.second_delinquency
    if second is not None:
        since = datetime.combine(
            as_of - timedelta(days=second.closed_within_days), time(0), ZoneInfo(settings.TIME_ZONE)
        )
        closed = Case.objects.filter(status=CaseStatus.CLOSED, closed_at__gte=since).values("debtor_id")
        due = [as_of + timedelta(days=second.days_before)]
        accounts = _due_accounts(due, shard, plan.contracts, debtors=closed)
        plan.items += second_delinquency_reminders(second, policy.pre_due, accounts, as_of)
    return plan


def _due_accounts(
    dates: list[date], shard: Shard | None, contracts: dict[int, str], debtors: QuerySet[Case, Any] | None = None
) -> list[DueAccount]:
    """Accounts falling due on ``dates`` that owe something, of debtors not in collection (of ``debtors``)."""
    rows = Account.objects.filter(due_date__in=dates, balance__total__gt=0).exclude(
        debtor_id__in=Case.objects.filter(status__in=IN_COLLECTION).values("debtor_id")
    )
    if debtors is not None:
        rows = rows.filter(debtor_id__in=debtors)
    if shard is not None and shard.count > 1:
        rows = rows.annotate(_shard=F("debtor_id") % shard.count).filter(_shard=shard.index)
    accounts = []
    for account_id, debtor_id, due_date, amount, contract_no in rows.values_list(
        "id", "debtor_id", "due_date", "balance__total", "contract_no"
    ).order_by("id"):
        accounts.append(DueAccount(account_id, debtor_id, due_date, amount))
        contracts[account_id] = contract_no
    return accounts


def queue_due_reminders(plan: DueReminderPlan, run_id: int, as_of: date) -> int:
    """Outbox rows for the plan, in the caller's transaction; a re-run queues nothing twice."""

    requests = []
    for item in plan.items:
        contract = plan.contracts[item.account.account_id]
        requests.append(
            Request(
                item.idempotency_key,
                item.account.debtor_id,
                item.rule.action,
                Purpose.DUE_REMINDER,
                Tone.GENTLE,
                batch=f"run:{run_id}",
                deadline=item.account.due_date,
                extra=(
                    ("account", masked_contract(contract)),
                    ("contract_no", contract),
                    ("due_amount", format_yuan(item.account.amount_due)),
                ),
            )
        )
    return queue_messages(requests, as_of).queued
