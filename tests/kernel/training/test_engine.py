"""The training simulator's engine on scripted conversations, in both languages.

Persona: Tao, a new collector, practises with the scenario library before getting a live queue; Lin (team
lead) reads his debriefs.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huikuan.kernel.compliance.screening import ScreenContext, screen
from huikuan.kernel.training import (
    RunState,
    Scenario,
    debrief,
    default_scenarios,
    end_call,
    play,
    scenario_by_key,
    start,
    suggestions,
)
from huikuan.kernel.training.engine import yuan

SCENARIOS = default_scenarios()


def scenario(key: str) -> Scenario:
    found = scenario_by_key(key)
    assert found is not None
    return found


def say(sc: Scenario, state: RunState, *lines: str) -> RunState:
    for line in lines:
        state = play(sc, state, line)
    return state


def model_run_zh(sc: Scenario, seed: int) -> RunState:
    """The four steps by hand: identity, the debt with its exact figures, empathy and the reason, what
    they can pay, a plan within it, the read-back and a polite close."""
    state = start(sc, seed, "zh")
    f = state.facts
    state = say(
        sc,
        state,
        f"您好，我是回款公司的客服专员小李，请问是{f.debtor_name}本人吗？",
        f"您在我司的账户目前欠款共计{yuan(f.balance)}元，已逾期{f.dpd}天。",
        "我理解您的难处，方便说一下是遇到什么困难了吗？",
        "我理解，请问您每个月大概能拿出多少钱用于还款？",
    )
    assert state.capacity_told
    capacity = state.hidden.capacity
    count = int((f.balance / capacity).to_integral_value(rounding="ROUND_UP"))
    per = (f.balance / count).quantize(Decimal("0.01"), rounding="ROUND_UP")
    state = say(sc, state, f"我们可以为您办理分期：分{count}期，每期{yuan(per)}元，每月15号还款，您看可以吗？")
    assert state.agreement is not None and state.agreement.instalments == count
    return say(
        sc,
        state,
        f"我跟您确认一下：分{count}期，每期{yuan(per)}元，每月15号还款，对吗？",
        "我会把这个约定记录下来，感谢您的配合，再见。",
    )


def test_a_model_run_reaches_a_realistic_agreement_and_passes() -> None:
    sc = scenario("unemployed")
    state = model_run_zh(sc, seed=11)
    assert state.ended and state.end_reason == "agreement"
    assert state.agreement is not None and state.agreement.within_capacity and state.agreement.read_back
    result = debrief(sc, state)
    assert result.outcome == "agreement"
    assert result.passed
    assert result.total == Decimal("100.0")
    assert all(item.passed in (True, None) for item in result.score.items)
    assert not result.broken_promise
    assert "identity_checked" in result.notes[0].worked
    assert "figures_exact" in result.notes[1].worked


def test_a_model_run_in_english_passes_too() -> None:
    sc = scenario("unemployed")
    state = start(sc, 11, "en")
    f = state.facts
    state = say(
        sc,
        state,
        f"Hello, this is Alex from Huikuan. Am I speaking with {f.debtor_name_en}?",
        f"The account has an outstanding balance of {yuan(f.balance)} yuan, {f.dpd} days overdue.",
        "I understand, that sounds hard. May I ask what happened?",
        "I understand. How much could you set aside each month towards this?",
    )
    count = int((f.balance / state.hidden.capacity).to_integral_value(rounding="ROUND_UP"))
    per = (f.balance / count).quantize(Decimal("0.01"), rounding="ROUND_UP")
    state = say(
        sc,
        state,
        f"We can set up a payment plan: {count} instalments of {yuan(per)} yuan a month, the first on the 15th.",
        f"To confirm: {count} instalments of {yuan(per)} yuan a month, the first on the 15th. Is that right?",
        "I will record this agreement. Thank you for your time. Goodbye.",
    )
    result = debrief(sc, state)
    assert result.outcome == "agreement", [t.situation for t in state.turns]
    assert result.passed
    assert result.score.item("amount_exact").passed is True
    assert result.score.item("dpd_exact").passed is True
    assert state.turns[0].reply and state.opening  # English replies, not empty
    assert all(ch.isascii() or ch in "…" for ch in state.turns[-1].reply)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_threat_is_failed_by_screening(lang: str) -> None:
    sc = scenario("refuses")
    state = start(sc, 3, lang)
    f = state.facts
    if lang == "zh":
        lines = [f"请问是{f.debtor_name}本人吗？", f"你欠款{yuan(f.balance)}元，再不还就让你坐牢！"]
    else:
        lines = [f"Am I speaking with {f.debtor_name_en}?", "Pay now or you will go to jail!"]
    state = say(sc, state, *lines)
    assert state.violations, "the screener flags the threat"
    assert "threat" in state.turns[-1].moves
    assert state.ended and state.end_reason == "hung_up"
    result = debrief(sc, state)
    assert result.outcome == "failed_compliance"
    assert not result.passed
    assert result.score.item("screening_clean").passed is False
    assert result.total == Decimal("0.0")  # the scorecard caps a flagged call at 0
    note = result.notes[-1]
    assert note.broke and note.broke[0].phrase
    assert note.better  # the compliant sentence from the playbook


@pytest.mark.parametrize("key", ["spouse_answers", "colleague_answers"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_disclosing_the_debt_to_a_third_party_fails(key: str, lang: str) -> None:
    sc = scenario(key)
    state = start(sc, 5, lang)
    f = state.facts
    if lang == "zh":
        lines = [f"您好，请问是{f.debtor_name}本人吗？", f"他在我们这里欠款{yuan(f.balance)}元，已经逾期了，请转告他。"]
    else:
        lines = [f"Hello, may I speak to {f.debtor_name_en}?", f"He owes us {yuan(f.balance)} yuan and it is overdue."]
    state = say(sc, state, *lines, "谢谢，再见。" if lang == "zh" else "Thanks, goodbye.")
    assert any(v.code == "disclosure" for v in state.violations)
    assert state.turns[1].situation == "tp_shocked"
    result = debrief(sc, state)
    assert result.outcome == "failed_compliance"
    assert not result.passed
    assert "转告" in result.notes[1].better or "call us back" in result.notes[1].better


def test_asking_a_third_party_only_for_a_call_back_is_the_right_ending() -> None:
    sc = scenario("spouse_answers")
    state = start(sc, 5, "zh")
    state = say(
        sc,
        state,
        f"您好，请问是{state.facts.debtor_name}本人吗？",
        "麻烦您转告他尽快回电，号码是我司官方客服热线，谢谢。",
        "好的，谢谢您，再见。",
    )
    assert state.end_reason == "callback_arranged"
    result = debrief(sc, state)
    assert result.outcome == "callback_arranged" and result.passed


def test_a_wrong_number_is_closed_with_an_apology_and_nothing_said() -> None:
    sc = scenario("wrong_number")
    state = start(sc, 2, "en")
    state = say(sc, state, f"Hello, may I speak to {state.facts.debtor_name_en}, please?")
    assert state.turns[-1].situation == "wn_wrong"
    state = say(sc, state, "Sorry to disturb you; we will update our records.", "Goodbye.")
    assert debrief(sc, state).outcome == "closed_correctly"
    bad = say(sc, start(sc, 2, "en"), "Is this Mr Wang? He owes us money on a loan.")
    assert debrief(sc, bad).outcome == "failed_compliance"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_plan_above_capacity_is_accepted_but_the_debrief_calls_it_a_broken_promise(lang: str) -> None:
    sc = scenario("unemployed")
    state = start(sc, 11, lang)
    f = state.facts
    per = state.hidden.capacity * 3
    if lang == "zh":
        lines = [
            f"请问是{f.debtor_name}本人吗？",
            f"您在我司的账户目前欠款共计{yuan(f.balance)}元，已逾期{f.dpd}天。",
            "我理解您的难处，方便说一下是遇到什么困难了吗？",
            f"我理解。那就分3期，每期{yuan(per)}元，每月10号还款。",
        ]
    else:
        lines = [
            f"Am I speaking with {f.debtor_name_en}?",
            f"The account has an outstanding balance of {yuan(f.balance)} yuan, {f.dpd} days overdue.",
            "I understand. May I ask what happened?",
            f"I understand. Then 3 instalments of {yuan(per)} yuan a month, the first on the 10th.",
        ]
    state = say(sc, state, *lines)
    assert state.turns[-1].situation == "plan_reluctant"
    assert state.agreement is not None and not state.agreement.within_capacity
    result = debrief(sc, state)
    assert result.outcome == "unrealistic_agreement"
    assert result.broken_promise
    assert not result.passed
    assert "plan_above_capacity" in result.notes[-1].missed
    assert yuan(state.hidden.capacity) in result.notes[-1].better or result.notes[-1].better


@pytest.mark.parametrize("sc", SCENARIOS, ids=[s.key for s in SCENARIOS])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_shipped_scenario_reaches_its_right_ending_by_the_model_suggestions(sc: Scenario, lang: str) -> None:
    for seed in (1, 2, 3):
        state = start(sc, seed, lang)
        while not state.ended and len(state.turns) < 15:
            state = play(sc, state, suggestions(sc, state)[0])
        result = debrief(sc, state)
        assert state.ended, [t.situation for t in state.turns]
        assert result.outcome == sc.ending, [(t.text, t.situation) for t in state.turns]
        assert result.passed, [(i.id, i.passed, i.note) for i in result.score.items]


def test_suggestions_carry_the_cases_figures() -> None:
    sc = scenario("unemployed")
    state = say(sc, start(sc, 4, "zh"), "您好，请问是本人吗？")
    f = state.facts
    assert any(yuan(f.balance) in line and str(f.dpd) in line for line in suggestions(sc, state))
    for sc in SCENARIOS:
        for lang in ("zh", "en"):
            state = start(sc, 4, lang)
            while not state.ended:
                options = suggestions(sc, state)
                assert 3 <= len(options) <= 4 and len(set(options)) == len(options)
                state = play(sc, state, options[0])
            assert suggestions(sc, state) == []


TEXT = st.text(min_size=0, max_size=200)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    key=st.sampled_from([s.key for s in SCENARIOS]),
    seed=st.integers(min_value=0, max_value=2**31),
    lang=st.sampled_from(["zh", "en"]),
    lines=st.lists(TEXT, max_size=6),
)
def test_same_seed_and_inputs_give_the_same_transcript_and_any_text_is_taken(
    key: str, seed: int, lang: str, lines: list[str]
) -> None:
    sc = scenario(key)
    one = say(sc, start(sc, seed, lang), *lines)
    two = say(sc, start(sc, seed, lang), *lines)
    assert one == two
    assert one.to_dict() == two.to_dict()
    assert RunState.from_dict(json.loads(json.dumps(one.to_dict()))) == one
    debrief(sc, one)  # never raises either
    suggestions(sc, one)


def test_two_seeds_draw_different_plausible_cases() -> None:
    sc = scenario("unemployed")
    facts = [sc.case_facts(seed) for seed in range(20)]
    assert len({f.balance for f in facts}) > 10
    for f in facts:
        assert Decimal(6000) <= f.principal <= Decimal(20000)
        assert f.balance > f.principal
        assert 35 <= f.dpd <= 90
        assert f.debtor_name.endswith("**")
        assert Decimal(500) <= f.capacity <= Decimal(1200)
        assert 0 < f.overdue_amount <= f.balance


def test_replies_vary_between_seeds_but_not_within_one() -> None:
    sc = scenario("unemployed")
    replies = set()
    for seed in range(12):
        state = say(sc, start(sc, seed, "zh"), "请问是本人吗？", "您的账户欠款已逾期。")
        replies.add(state.turns[-1].reply)
    assert len(replies) > 1


LINES = {
    "zh": [
        "您好",
        "请问是本人吗？",
        "您的账户欠款已逾期。",
        "我理解您的难处。",
        "方便说一下是什么原因吗？",
        "请问您每个月大概能拿出多少钱用于还款？",
        "分6期，每期800元，每月15号还款。",
        "分3期。",
        "每个月还五千元。",
        "我跟您确认一下，对吗？",
        "你今天必须马上还钱！",
        "再不还就让你坐牢！",
        "你这个老赖",
        "麻烦您转告他尽快回电。",
        "抱歉打扰了。",
        "请您提供还款流水号。",
        "我把账单明细逐项给您核对。",
        "您可以拨打官方客服热线核实。",
        "我再说一遍。",
        "感谢您的配合，再见。",
    ],
    "en": [
        "Hello",
        "Am I speaking with Mr Wang?",
        "The account is overdue.",
        "I understand, that must be hard.",
        "May I ask what happened?",
        "How much could you set aside each month?",
        "Six instalments of 800 yuan a month, the first on the 15th.",
        "A payment plan over 3 months.",
        "To confirm: is that right?",
        "Pay right now or else!",
        "You will be arrested if you do not pay.",
        "You idiot.",
        "Could you ask him to call us back?",
        "Sorry to disturb you.",
        "Could you give me the payment reference?",
        "Let me go through the bill item by item.",
        "You can check with our official hotline.",
        "Thank you, goodbye.",
    ],
}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    key=st.sampled_from([s.key for s in SCENARIOS]),
    seed=st.integers(min_value=0, max_value=10**6),
    lang=st.sampled_from(["zh", "en"]),
    picks=st.lists(st.integers(min_value=0, max_value=99), max_size=12),
)
def test_invariants_of_any_run(key: str, seed: int, lang: str, picks: list[int]) -> None:
    sc = scenario(key)
    lines = LINES[lang]
    state = start(sc, seed, lang)
    context = ScreenContext(lang=lang, audience=state.audience, source="transcript")
    for pick in picks:
        state = play(sc, state, lines[pick % len(lines)])
        for line in suggestions(sc, state):  # off the model path too, every proposal is compliant
            assert [f for f in screen(line, context) if f.severity == "block"] == [], line
    for name in ("mood", "trust", "willingness"):
        assert -5 <= getattr(state.hidden, name) <= 5
    assert state.hidden.patience >= 0
    assert state.ended == (state.end_reason is not None)
    assert [t for t in state.turns if t.ended] == ([state.turns[-1]] if state.ended else [])
    result = debrief(sc, state)
    assert (result.outcome == "failed_compliance") == bool(state.violations)
    if state.violations:
        assert result.total == 0 and not result.passed
    if result.passed:
        assert result.outcome == sc.ending and result.total >= sc.pass_mark
    agreement = state.agreement
    if agreement is not None:
        assert sc.persona.answerer == "debtor"
        if agreement.within_capacity:
            assert agreement.instalment <= state.hidden.capacity
        assert result.broken_promise == (not agreement.within_capacity)
    assert len(result.notes) == len(state.turns)
    for note in result.notes:  # what the debrief proposes saying is itself compliant, to whoever was on the line
        assert [f for f in screen(note.better, context) if f.severity == "block"] == [], note.better


def test_the_trainee_may_end_the_call_and_an_agreement_made_stays_made() -> None:
    sc = scenario("unemployed")
    state = model_run_zh(sc, seed=11)
    assert end_call(state) is state  # already ended by the close
    cut = end_call(state.__class__.from_dict({**state.to_dict(), "ended": False, "end_reason": None}))
    assert cut.end_reason == "agreement" and debrief(sc, cut).outcome == "agreement"
    spouse = scenario("spouse_answers")
    asked = say(spouse, start(spouse, 2, "zh"), "您好，请问是本人吗？", "麻烦您转告他尽快回电。")
    assert debrief(spouse, end_call(asked)).outcome == "callback_arranged"
    told = say(spouse, start(spouse, 2, "zh"), "麻烦您转告他尽快回电处理欠款。")
    assert debrief(spouse, end_call(told)).outcome == "failed_compliance"
    early = end_call(say(sc, start(sc, 11, "zh"), "您好"))
    assert early.ended and debrief(sc, early).outcome == "no_agreement"
    assert play(sc, early, "还在吗") is early
