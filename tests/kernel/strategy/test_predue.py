"""Reminders before the due date: exact to the day, never for an account that owes nothing."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huikuan.kernel.strategy.policy import DueReminder, PolicyError, parse_policy
from huikuan.kernel.strategy.predue import DueAccount, due_dates_of_interest, due_reminders

from .frames import ROOT, default_policy

RULES = (
    DueReminder("in_3_sms", "sms", 3),
    DueReminder("in_3_email", "email", 3, min_balance=Decimal("1000")),
    DueReminder("tomorrow_sms", "sms", 1),
)
TODAY = date(2026, 11, 20)


def account(due: date, amount: str = "500.00", account_id: int = 1) -> DueAccount:
    return DueAccount(account_id, 10 + account_id, due, Decimal(amount))


def test_the_default_policy_reminds_three_days_and_one_day_ahead() -> None:
    policy = default_policy()
    assert sorted((r.days_before, r.action) for r in policy.pre_due) == [(1, "sms"), (3, "email"), (3, "sms")]
    assert due_dates_of_interest(policy.pre_due, TODAY) == [date(2026, 11, 21), date(2026, 11, 23)]


def test_each_rule_fires_on_its_day_only() -> None:
    fired = due_reminders(RULES, [account(date(2026, 11, 23), "2400.00")], TODAY)
    assert [i.rule.key for i in fired] == ["in_3_sms", "in_3_email"]
    assert fired[0].idempotency_key == "predue:2026-11-23:1:in_3_sms"
    assert [i.rule.key for i in due_reminders(RULES, [account(date(2026, 11, 21))], TODAY)] == ["tomorrow_sms"]
    assert due_reminders(RULES, [account(date(2026, 11, 22)), account(TODAY), account(date(2026, 11, 19))], TODAY) == []


def test_nothing_owed_or_below_the_minimum_gets_nothing() -> None:
    assert due_reminders(RULES, [account(date(2026, 11, 23), "0.00")], TODAY) == []
    assert [i.rule.key for i in due_reminders(RULES, [account(date(2026, 11, 23), "999.99")], TODAY)] == ["in_3_sms"]
    assert len(due_reminders(RULES, [account(date(2026, 11, 23), "1000.00")], TODAY)) == 2


@given(
    due_offset=st.integers(min_value=-40, max_value=40),
    days_before=st.lists(st.integers(min_value=1, max_value=30), min_size=1, max_size=4, unique=True),
    amount=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1000000"), places=2),
)
def test_over_any_stretch_of_days_each_rule_fires_exactly_once_on_the_right_day(
    due_offset: int, days_before: list[int], amount: Decimal
) -> None:
    rules = [DueReminder(f"r{d}", "sms", d) for d in days_before]
    due = TODAY + timedelta(days=due_offset)
    fired_on: dict[str, list[date]] = {rule.key: [] for rule in rules}
    for shift in range(-80, 81):  # wide enough for every due date and lead time drawn
        day = TODAY + timedelta(days=shift)
        for item in due_reminders(rules, [DueAccount(7, 8, due, amount)], day):
            fired_on[item.rule.key].append(day)
            assert due in due_dates_of_interest(rules, day)  # the run reads exactly the dates that fire
    for rule in rules:
        assert fired_on[rule.key] == [due - timedelta(days=rule.days_before)]
        assert fired_on[rule.key][0] < due  # always before the due date, never on or after it


def test_pre_due_rules_are_validated_with_their_path() -> None:
    text = (ROOT / "examples" / "policy-default.yaml").read_text(encoding="utf-8")
    bad = text.replace(
        "{key: due_tomorrow_sms, action: sms, days_before: 1}", "{key: due_tomorrow_sms, action: call, days_before: 0}"
    )
    with pytest.raises(PolicyError) as caught:
        parse_policy(bad)
    assert any(e.startswith("pre_due[2].action") for e in caught.value.errors)
    assert any(e.startswith("pre_due[2].days_before") for e in caught.value.errors)
    duplicate = text.replace("key: due_tomorrow_sms", "key: reminder_sms")
    with pytest.raises(PolicyError, match="duplicate rule key 'reminder_sms'"):
        parse_policy(duplicate)
