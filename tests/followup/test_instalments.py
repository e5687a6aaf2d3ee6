"""Instalment follow-up in the nightly run: reminders before each instalment, the re-plan call after a missed
one, a broken plan weighing like broken promises, and the thank-you for an instalment paid on time."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from huikuan.comms.models import Message
from huikuan.comms.templates import seed_default_templates
from huikuan.payments.models import MessageKind, Payment, PendingMessage
from huikuan.payments.settlement import refresh_plans
from huikuan.strategy.executors import run_strategy
from huikuan.strategy.models import WorkItem
from tests.followup.plans import plan_on
from tests.strategy.conftest import AS_OF, CaseMaker


def items(case: Any) -> dict[str, WorkItem]:
    return {w.action: w for w in WorkItem.objects.filter(case=case, as_of=AS_OF)}


def test_a_plan_in_force_gets_its_instalment_reminder_through_the_plans_hold(
    champion: Any, make_case: CaseMaker
) -> None:
    seed_default_templates()
    # AS_OF is Friday 20 November 2026; the instalment falls due on Monday the 23rd: three days ahead is today,
    # one day ahead is Sunday, moved back to today. One reminder.
    case = make_case(dpd=40)
    plan_on(case, [AS_OF + timedelta(days=3), AS_OF + timedelta(days=34)], amount="880.50")
    elsewhere = make_case(dpd=40)
    plan_on(elsewhere, [AS_OF + timedelta(days=6)])  # Thursday: its reminders are Monday and Wednesday
    run_strategy(AS_OF)
    planned = items(case)
    assert set(planned) == {"sms"}  # the plan suspends collection: no call, no collection SMS
    sms = planned["sms"]
    assert (sms.rule, sms.template, sms.goal) == ("instalment_reminder", "instalment_reminder", "remind")
    message = Message.objects.get(case=case, purpose="instalment_reminder")
    assert "880.50元" in message.body and "2026年11月23日" in message.body
    assert items(elsewhere) == {}
    wednesday_due = make_case(dpd=40)
    plan_on(wednesday_due, [AS_OF + timedelta(days=5)])  # three days ahead is Sunday: moved back to today
    run_strategy(AS_OF)
    assert items(wednesday_due)["sms"].rule == "instalment_reminder"


def test_a_missed_instalment_brings_a_re_plan_call_the_next_working_day(champion: Any, make_case: CaseMaker) -> None:
    # Due Thursday the 19th and unpaid: Friday the 20th is the first working day after. The plan's grace
    # days still shield the case from collection, but this call serves the plan.
    case = make_case(dpd=40)
    plan_on(case, [AS_OF - timedelta(days=1), AS_OF + timedelta(days=30)])
    late_by_two = make_case(dpd=40)
    plan_on(late_by_two, [AS_OF - timedelta(days=2)])  # its call was yesterday's
    run_strategy(AS_OF)
    call = items(case)["call"]
    assert (call.rule, call.template, call.goal) == ("instalment_missed_call", "instalment_missed_replan", "replan")
    assert "call" not in items(late_by_two)


def test_a_missed_instalment_before_a_weekend_is_called_on_monday(champion: Any, make_case: CaseMaker) -> None:
    case = make_case(dpd=40)
    plan_on(case, [AS_OF])  # due Friday, unpaid
    monday = AS_OF + timedelta(days=3)
    for day in (AS_OF + timedelta(days=1), AS_OF + timedelta(days=2)):
        run_strategy(day)
        assert not WorkItem.objects.filter(case=case, as_of=day, rule="instalment_missed_call").exists()
    run_strategy(monday)
    assert WorkItem.objects.filter(case=case, as_of=monday, rule="instalment_missed_call").exists()


def test_a_broken_plan_counts_like_a_broken_promise_for_escalation(champion: Any, make_case: CaseMaker) -> None:
    # The policy hands a case to a specialist at two broken promises: one promise and one plan broken make two.
    case = make_case(dpd=40, promises=(("broken", -10),))
    plan_on(case, [AS_OF - timedelta(days=45)], status="broken")
    only_promise = make_case(dpd=40, promises=(("broken", -10),))
    run_strategy(AS_OF)
    assert "escalate_specialist" in items(case)
    assert items(case)["escalate_specialist"].behaviour == "broken_promise"
    assert "跳票2次" in items(case)["escalate_specialist"].reason
    assert "escalate_specialist" not in items(only_promise)


def test_an_instalment_paid_on_time_is_thanked_once_and_a_late_one_is_not(db: None, make_case: CaseMaker) -> None:
    on_time, late = make_case(dpd=40), make_case(dpd=40)
    plan_on(on_time, [AS_OF + timedelta(days=2)], amount="500.00")
    plan_on(late, [AS_OF - timedelta(days=2)], amount="500.00")
    for n, case in enumerate((on_time, late)):
        Payment.objects.create(
            idempotency_key=f"test:{n}", source="manual", debtor=case.debtor, case=case, amount=Decimal("500.00"),
            paid_on=AS_OF,
        )  # fmt: skip
    refresh_plans(AS_OF)
    refresh_plans(AS_OF)  # a second night changes nothing and thanks nobody again
    thanks = PendingMessage.objects.filter(kind=MessageKind.INSTALMENT_THANKS)
    assert [(m.debtor_id, m.cause.endswith(":on_time")) for m in thanks] == [(on_time.debtor_id, True)]
