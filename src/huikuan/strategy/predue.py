"""Reminders before the due date, planned by the nightly run and carried out by the outbox.

Debtors with an open case are left to the collection cadence; the others get the policy's `pre_due`
reminders (SMS, e-mail) on the day they fall. No work item is written: nothing here is a person's task,
and a debtor who owes nothing overdue has no case to hang one on. The messages name the due date and the
account's own amount, and pass the compliance gate at send time like every other message.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from django.db.models import F

from huikuan.cases.models import Case
from huikuan.comms.models import Purpose, Tone
from huikuan.comms.outbox import Request, queue_messages
from huikuan.kernel import lifecycle
from huikuan.kernel.comms.variables import masked_contract
from huikuan.kernel.money import format_yuan
from huikuan.kernel.strategy.policy import Policy
from huikuan.kernel.strategy.predue import DueAccount, DueReminderItem, due_dates_of_interest, due_reminders
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
    """Today's reminders for the debtors of this shard (by debtor id) who are not in collection."""
    dates = due_dates_of_interest(policy.pre_due, as_of)
    if not dates:
        return DueReminderPlan([])
    rows = Account.objects.filter(due_date__in=dates, balance__total__gt=0).exclude(
        debtor_id__in=Case.objects.filter(status__in=IN_COLLECTION).values("debtor_id")
    )
    if shard is not None and shard.count > 1:
        rows = rows.annotate(_shard=F("debtor_id") % shard.count).filter(_shard=shard.index)
    accounts = []
    contracts = {}
    for account_id, debtor_id, due_date, amount, contract_no in rows.values_list(
        "id", "debtor_id", "due_date", "balance__total", "contract_no"
    ).order_by("id"):
        accounts.append(DueAccount(account_id, debtor_id, due_date, amount))
        contracts[account_id] = contract_no
    return DueReminderPlan(due_reminders(policy.pre_due, accounts, as_of), contracts)


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
