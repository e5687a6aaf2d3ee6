"""Reminders before the due date: which accounts get which reminder today.

A debtor who has not missed anything yet is not a collection case; what helps is a plain notice a few days
ahead with the amount, the date and how to pay. The rule is exact to the day in the debtor's calendar:
a reminder `days_before` N fires on the day that is N days before the account's due date, and on no other.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from huikuan.kernel.strategy.policy import DueReminder, SecondDelinquency

SECOND_DELINQUENCY_KEY = "second_delinquency"


@dataclass(frozen=True, slots=True)
class DueAccount:
    account_id: int
    debtor_id: int
    due_date: date
    amount_due: Decimal


@dataclass(frozen=True, slots=True)
class DueReminderItem:
    rule: DueReminder
    account: DueAccount

    @property
    def idempotency_key(self) -> str:
        # Names the due date and the rule, so a re-run the same day, or a run a day late, never sends twice.
        return f"predue:{self.account.due_date.isoformat()}:{self.account.account_id}:{self.rule.key}"


def due_dates_of_interest(rules: Sequence[DueReminder], today: date) -> list[date]:
    """The due dates that some reminder fires for today: what to read from the database."""
    return sorted({today + timedelta(days=rule.days_before) for rule in rules})


def due_reminders(rules: Sequence[DueReminder], accounts: Iterable[DueAccount], today: date) -> list[DueReminderItem]:
    """Each (rule, account) whose day is today; nothing for an account that owes nothing or less than the
    rule's minimum."""
    items = []
    for account in accounts:
        if account.amount_due <= 0:
            continue
        for rule in rules:
            if account.due_date - timedelta(days=rule.days_before) != today:
                continue
            if rule.min_balance is not None and account.amount_due < rule.min_balance:
                continue
            items.append(DueReminderItem(rule, account))
    return items


def second_delinquency_rule(rule: SecondDelinquency) -> DueReminder:
    """The reminder the recently closed get, as a pre-due rule of its own (its key names it in the message key)."""
    return DueReminder(SECOND_DELINQUENCY_KEY, rule.action, rule.days_before)


def second_delinquency_reminders(
    rule: SecondDelinquency, general: Sequence[DueReminder], accounts: Iterable[DueAccount], today: date
) -> list[DueReminderItem]:
    """Reminders for the accounts of debtors whose case closed lately (the caller selects them), except where a
    general rule already sends the same medium that day: a second delinquency is prevented once, not twice."""
    covered = {(r.action, r.days_before) for r in general}
    if (rule.action, rule.days_before) in covered:
        return []
    return due_reminders([second_delinquency_rule(rule)], accounts, today)
