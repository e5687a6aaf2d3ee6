"""Reminders before the due date: planned by the nightly run for debtors not in collection, sent by the outbox."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from huikuan.comms.models import Message
from huikuan.comms.templates import seed_default_templates
from huikuan.strategy.executors import run_strategy
from huikuan.strategy.models import WorkItem
from tests.strategy.conftest import AS_OF, CaseMaker

_serial = iter(range(1, 10_000))


def current_debtor(days_to_due: int, owed: str = "2400.00", *, language: str = "zh-hans") -> Any:
    """A debtor whose only account falls due in ``days_to_due`` days and who has never been late."""
    from huikuan.portfolio.models import Account, AccountBalance, ContactPoint, Debtor

    n = next(_serial)
    debtor = Debtor.objects.create(
        customer_no=f"P{n:05d}", name="李娜", gender="female", preferred_language=language, time_zone="Asia/Shanghai"
    )
    ContactPoint.objects.create(debtor=debtor, kind="mobile", value=f"+8613900{n:06d}", validity="valid")
    ContactPoint.objects.create(debtor=debtor, kind="email", value=f"li{n}@example.com", validity="valid")
    due = AS_OF + timedelta(days=days_to_due)
    account = Account.objects.create(
        debtor=debtor, contract_no=f"PD2026{n:06d}", product="consumer_loan", original_amount=Decimal("10000.00"),
        open_date=due - timedelta(days=200), due_date=due,
    )  # fmt: skip
    AccountBalance.objects.create(account=account, principal=Decimal(owed), total=Decimal(owed))
    return account


def keys() -> set[str]:
    return set(Message.objects.filter(idempotency_key__startswith="predue:").values_list("idempotency_key", flat=True))


def test_reminders_three_days_and_one_day_before_with_the_accounts_own_figures(champion: Any) -> None:
    seed_default_templates()
    in_three = current_debtor(3)
    tomorrow = current_debtor(1, "880.50")
    current_debtor(2)  # no rule for two days ahead
    current_debtor(3, "0.00")  # owes nothing: nothing to remind
    report = run_strategy(AS_OF)
    assert keys() == {
        f"predue:2026-11-23:{in_three.pk}:due_in_3_days_sms",
        f"predue:2026-11-23:{in_three.pk}:due_in_3_days_email",
        f"predue:2026-11-21:{tomorrow.pk}:due_tomorrow_sms",
    }
    sms = Message.objects.get(idempotency_key=f"predue:2026-11-23:{in_three.pk}:due_in_3_days_sms")
    assert sms.purpose == "due_reminder" and sms.channel == "sms" and sms.recipient.startswith("+86139")
    assert "将于2026年11月23日到期" in sms.body and "应还2,400.00元" in sms.body
    assert f"尾号****{in_three.contract_no[-4:]}" in sms.body and "{{" not in sms.body
    assert "应还880.50元" in Message.objects.get(idempotency_key__endswith="due_tomorrow_sms").body
    assert report.run is not None and report.run.counts["pre_due|sms"] == 2 and report.run.counts["pre_due|email"] == 1
    assert not WorkItem.objects.exists()  # nobody's task: the outbox carries them out


def test_debtors_in_collection_get_the_cadence_not_a_due_reminder(champion: Any, make_case: CaseMaker) -> None:
    from huikuan.portfolio.models import Account, AccountBalance

    seed_default_templates()
    case = make_case(10)
    other = Account.objects.create(
        debtor_id=case.debtor_id, contract_no="PD-OTHER-1", product="consumer_loan",
        original_amount=Decimal("3000.00"), open_date=AS_OF - timedelta(days=100), due_date=AS_OF + timedelta(days=3),
    )  # fmt: skip
    AccountBalance.objects.create(account=other, principal=Decimal("3000.00"), total=Decimal("3000.00"))
    run_strategy(AS_OF)
    assert keys() == set()


def test_rerun_sharded_or_dry_gives_the_same_reminders_once(champion: Any) -> None:
    seed_default_templates()
    accounts = [current_debtor(3) for _ in range(5)] + [current_debtor(1, language="en") for _ in range(3)]
    dry = run_strategy(AS_OF, dry_run=True)
    assert dry.counts["pre_due|sms"] == 8 and dry.counts["pre_due|email"] == 5
    assert not Message.objects.exists()
    run_strategy(AS_OF, shards=2)
    first = keys()
    assert len(first) == 13 and {int(k.split(":")[2]) for k in first} == {a.pk for a in accounts}
    run_strategy(AS_OF)
    assert keys() == first and Message.objects.filter(idempotency_key__startswith="predue:").count() == 13
    english = Message.objects.get(idempotency_key=f"predue:2026-11-21:{accounts[-1].pk}:due_tomorrow_sms")
    assert "falls due on 21 November 2026" in english.body and "CNY 2,400.00" in english.body


def test_a_debtor_whose_earlier_case_closed_as_paid_is_reminded_again(champion: Any) -> None:
    """The closed case stays the message's file, but a reminder of a date not yet due is not its collection."""
    from datetime import UTC, datetime

    from huikuan.cases.models import Case
    from huikuan.comms.compliance_adapter import gate_inputs, gate_messages
    from huikuan.comms.models import MessageStatus
    from huikuan.comms.optouts import cancel_collection_messages

    seed_default_templates()
    never_late = current_debtor(3)
    cured = current_debtor(3)
    closed = Case.objects.create(
        debtor_id=cured.debtor_id, status="closed", closed_at=datetime(2026, 10, 1, tzinfo=UTC), close_reason="paid"
    )
    run_strategy(AS_OF)
    first = Message.objects.get(idempotency_key=f"predue:2026-11-23:{never_late.pk}:due_in_3_days_sms")
    again = Message.objects.get(idempotency_key=f"predue:2026-11-23:{cured.pk}:due_in_3_days_sms")
    assert again.case_id == closed.pk
    at = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai on a working Friday
    decisions = gate_messages(gate_inputs([first, again]), at)
    assert decisions[first.id].allowed
    assert decisions[again.id].allowed, decisions[again.id].blocking_rule
    # A case closing again (after a reopening) does not cancel it either: its amount is still owed on its date.
    cancel_collection_messages([closed.pk])
    again.refresh_from_db()
    assert again.status == MessageStatus.QUEUED


def test_during_an_experiment_the_champions_pre_due_rules_apply(champion: Any) -> None:
    """The arms split cases; debtors not in collection have none, so the policy in force reminds them."""
    from huikuan.strategy.actions import import_policy, start_experiment
    from tests.strategy.conftest import ROOT

    text = (ROOT / "examples" / "policy-default.yaml").read_text(encoding="utf-8").replace("name: default", "name: a-2")
    rules = "\n".join(line for line in text.splitlines() if "days_before:" in line)
    assert rules  # the challenger reminds 2 days ahead by SMS only, and its name sorts before the champion's
    challenger, _ = import_policy(
        text.replace(rules, "  - {key: due_in_2_days_sms, action: sms, days_before: 2}"), activate=False
    )
    arms = [("b-champion", champion, Decimal("0.9")), ("a-challenger", challenger, Decimal("0.1"))]
    start_experiment("exp-predue", "pre-due", arms)
    seed_default_templates()
    in_three = current_debtor(3)
    current_debtor(2)
    dry = run_strategy(AS_OF, dry_run=True)
    assert dry.counts["pre_due|sms"] == 1 and dry.counts["pre_due|email"] == 1
    run_strategy(AS_OF)
    assert keys() == {
        f"predue:2026-11-23:{in_three.pk}:due_in_3_days_sms",
        f"predue:2026-11-23:{in_three.pk}:due_in_3_days_email",
    }
