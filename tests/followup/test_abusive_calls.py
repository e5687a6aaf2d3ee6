"""Calls ended because the debtor was abusive: the next attempt another day, by SMS as the policy says; three in a
row go to the specialist queue; a calm conversation in between starts the count again."""

from __future__ import annotations

from typing import Any

from huikuan.strategy.executors import run_strategy
from huikuan.strategy.models import WorkItem
from tests.strategy.conftest import AS_OF, CaseMaker


def actions(case: Any) -> dict[str, WorkItem]:
    return {w.action: w for w in WorkItem.objects.filter(case=case, as_of=AS_OF)}


def test_the_call_after_an_abusive_one_becomes_a_gentle_sms(champion: Any, make_case: CaseMaker) -> None:
    # DPD 41: the middle stage calls every second day, and today is one.
    calm = make_case(dpd=41)
    abused = make_case(dpd=41, outcomes=("ended_abusive",))
    calmed_since = make_case(dpd=41, outcomes=("right_party", "ended_abusive"))
    run_strategy(AS_OF)
    assert actions(calm)["call"].goal == "get_promise"
    sms = actions(abused)["sms"]
    assert "call" not in actions(abused)
    assert (sms.rule, sms.template, sms.goal) == ("middle_call", "reminder_gentle", "remind")
    assert "call" in actions(calmed_since)


def test_three_abusive_calls_in_a_row_go_to_the_specialist_queue(champion: Any, make_case: CaseMaker) -> None:
    three = make_case(dpd=41, outcomes=("ended_abusive",) * 3)
    two = make_case(dpd=41, outcomes=("ended_abusive",) * 2)
    broken_run = make_case(dpd=41, outcomes=("ended_abusive", "ended_abusive", "right_party", "ended_abusive"))
    run_strategy(AS_OF)
    assert actions(three)["escalate_specialist"].goal == "hand_over"
    assert "escalate_specialist" not in actions(two)
    assert "escalate_specialist" not in actions(broken_run)
