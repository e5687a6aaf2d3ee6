"""Reading a trainee's turn: the moves, the figures of a plan, and the persona's rules and endings.

Persona: Tao (new collector) types freely, in both languages; the engine must read what he meant.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huikuan.kernel.training import debrief, play, recognise, scenario_by_key, start, suggestions
from huikuan.kernel.training.engine import ordinal, words, yuan
from huikuan.kernel.training.moves import cn_number, normalise, parse_offer

BALANCE = Decimal("12000.00")


@pytest.mark.parametrize(
    ("text", "lang", "per", "count", "day"),
    [
        ("我们可以分6期，每期2,000元，每月15号还款", "zh", "2000.00", 6, 15),
        ("分十二期，每月1000元", "zh", "1000.00", 12, None),
        ("每个月还3千元", "zh", "3000.00", 4, None),
        ("分4期", "zh", "3000.00", 4, None),
        ("先还500元，剩下的再商量", "zh", "500.00", 1, None),
        ("每个月还一千五百元，分八期", "zh", "1500.00", 8, None),
        ("分六期，每期两千元，每月10号", "zh", "2000.00", 6, 10),
        ("Six instalments of 2,000 yuan a month, the first on the 3rd", "en", "2000.00", 6, 3),
        ("We can do 1,500 yuan per month", "en", "1500.00", 8, None),
        ("a payment plan over 12 months", "en", "1000.00", 12, None),
    ],
)
def test_a_plan_is_read_with_its_figures(text: str, lang: str, per: str, count: int, day: int | None) -> None:
    offer = parse_offer(normalise(text, lang), lang, BALANCE)
    assert offer is not None
    assert (offer.instalment, offer.instalments, offer.first_day) == (Decimal(per), count, day)


def test_a_plan_that_only_rounds_up_to_the_fen_totals_the_balance() -> None:
    offer = parse_offer(normalise("分7期", "zh"), "zh", Decimal("10000.00"))
    assert offer is not None and offer.instalment == Decimal("1428.58")
    assert offer.total == Decimal("10000.00")


def test_no_figure_no_offer() -> None:
    assert parse_offer(normalise("我们有很多方案", "zh"), "zh", BALANCE) is None


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("您好，请问是王**本人吗？", "zh", {"greeting", "identity_check"}),
        ("我理解您的难处，方便说一下是遇到什么困难了吗？", "zh", {"empathy", "ask_reason"}),
        ("请您提供还款的交易流水号", "zh", {"payment_reference"}),
        ("我跟您确认一下，对吗？", "zh", {"read_back"}),
        ("你今天必须马上还钱", "zh", {"pressure"}),
        ("Hello, am I speaking with Wang **?", "en", {"greeting", "identity_check"}),
        ("I understand. May I ask what happened?", "en", {"empathy", "ask_reason"}),
        ("Sorry to disturb you. Goodbye.", "en", {"apologise", "close"}),
        ("Hi, is this Zhang **?", "en", {"greeting", "identity_check"}),
        ("Is this Mr Zhang?", "en", {"identity_check"}),
    ],
)
def test_moves_are_recognised(text: str, lang: str, expected: set[str]) -> None:
    assert set(recognise(text, lang, "debtor", BALANCE).moves) == expected


def test_an_insult_is_a_violation_with_its_phrase() -> None:
    found = recognise("你这个老赖", "zh", "debtor", BALANCE)
    assert "insult" in found.moves
    assert found.violations and found.violations[0].code == "abuse" and "老赖" in found.violations[0].phrase


def test_the_debt_told_to_a_third_party_is_a_disclosure_even_in_plain_words() -> None:
    found = recognise("他借款没还", "zh", "third_party", BALANCE)
    assert "disclosure_third_party" in found.moves
    assert {v.code for v in found.violations} == {"disclosure"}
    found = recognise("he has a loan with us", "en", "third_party", BALANCE)
    assert {v.code for v in found.violations} == {"disclosure"}
    assert recognise("麻烦您转告他尽快回电，谢谢。", "zh", "third_party", BALANCE).violations == ()


def test_stating_the_debt_before_identity_is_noted_with_the_identity_line() -> None:
    sc = scenario_by_key("unemployed")
    assert sc is not None
    state = start(sc, 8, "zh")
    state = play(sc, state, f"您在我司的账户目前欠款共计{yuan(state.facts.balance)}元，已逾期{state.facts.dpd}天。")
    assert state.turns[0].situation == "who_are_you"
    note = debrief(sc, state).notes[0]
    assert "debt_before_identity" in note.missed
    assert state.facts.debtor_name in note.better


def test_wrong_figures_are_noted_with_the_exact_debt_line() -> None:
    sc = scenario_by_key("unemployed")
    assert sc is not None
    state = play(sc, start(sc, 8, "zh"), "请问是本人吗？")
    state = play(sc, state, "您欠款1元，已逾期1天。")
    result = debrief(sc, state)
    assert "figures_wrong" in result.notes[1].missed
    assert yuan(state.facts.balance) in result.notes[1].better
    assert result.score.item("amount_exact").passed is False


def test_the_impatient_persona_hangs_up_without_a_plan_in_five_turns() -> None:
    sc = scenario_by_key("hangs_up")
    assert sc is not None
    state = start(sc, 1, "zh")
    for line in ["喂？", "请问是本人吗？", "嗯", "好的", "我们再看看"]:
        state = play(sc, state, line)
    assert state.ended and state.end_reason == "hung_up"
    assert debrief(sc, state).outcome == "hung_up"
    assert play(sc, state, "还在吗？") is state  # an ended run takes no more turns
    pushed = start(sc, 1, "zh")
    for line in ["请问是本人吗？", "你今天必须还钱", "嗯", "好的"]:
        pushed = play(sc, pushed, line)
    assert pushed.end_reason == "hung_up" and len(pushed.turns) == 4  # pressure cost it a turn


def test_the_scam_suspicious_persona_refuses_a_plan_until_it_can_verify() -> None:
    sc = scenario_by_key("scam_suspicion")
    assert sc is not None
    state = start(sc, 2, "zh")
    state = play(sc, state, "请问是本人吗？")
    state = play(sc, state, "您的账户欠款已逾期，我们可以分6期，每期1000元。")
    assert state.turns[-1].situation == "plan_refused"
    assert state.agreement is None
    state = play(sc, state, "您可以拨打我司官方客服热线核实。")
    assert state.turns[-1].situation == "verified"
    assert dict(state.turns[-1].deltas)["trust"] == 2  # the scenario's own rule for verify_channel
    result = debrief(sc, state)
    assert "plan_too_early" in result.notes[1].missed
    assert "官方" in result.notes[1].better


def test_rules_from_the_yaml_move_the_hidden_state() -> None:
    sc = scenario_by_key("emotional")
    assert sc is not None
    state = start(sc, 4, "zh")
    before = state.hidden
    state = play(sc, state, "我理解您现在的心情，别着急。")
    assert state.hidden.trust == before.trust + 2 and state.hidden.mood == before.mood + 2
    assert (state.turns[-1].mood, state.turns[-1].trust) == (state.hidden.mood, state.hidden.trust)
    state = play(sc, state, "你赶紧还钱！")
    assert state.hidden.mood == before.mood + 2 - 4
    assert "pressure" in debrief(sc, state).notes[-1].missed


@pytest.mark.parametrize("text", ["", "   ", "\x00\x01", "🙂" * 3000, "{balance}{", "元元元" * 100])
def test_odd_input_is_taken(text: str) -> None:
    sc = scenario_by_key("unemployed")
    assert sc is not None
    state = play(sc, start(sc, 1, "zh"), text)
    assert len(state.turns) == 1 and state.turns[0].reply
    assert len(state.turns[0].text) <= 1000


def test_a_first_payment_before_payday_is_a_promise_that_would_break() -> None:
    sc = scenario_by_key("payday_delay")
    assert sc is not None and sc.persona.payday == 15
    state = start(sc, 6, "zh")
    f = state.facts
    state = play(sc, state, f"请问是{f.debtor_name}本人吗？")
    state = play(sc, state, f"您在我司的账户目前欠款共计{yuan(f.balance)}元，已逾期{f.dpd}天。")
    state = play(sc, state, "请问您具体哪一天可以还款？")
    assert state.turns[-1].situation == "payday"
    early = play(sc, state, "分12期，每月5号还款。")
    assert early.agreement is not None and not early.agreement.within_capacity
    assert debrief(sc, early).outcome == "unrealistic_agreement"
    on_payday = play(sc, state, "分12期，每月15号还款。")
    assert on_payday.agreement is not None and on_payday.agreement.within_capacity


def test_the_refuser_needs_to_be_heard_before_a_plan() -> None:
    sc = scenario_by_key("refuses")
    assert sc is not None and sc.needs.willingness == 0
    state = start(sc, 6, "zh")
    f = state.facts
    state = play(sc, state, f"请问是{f.debtor_name}本人吗？")
    state = play(sc, state, f"您在我司的账户目前欠款共计{yuan(f.balance)}元，已逾期{f.dpd}天。")
    assert play(sc, state, "分12期。").turns[-1].situation == "plan_refused"
    state = play(sc, state, "我理解您的想法，请问是什么原因让您不愿意还款？")
    assert state.hidden.willingness == sc.persona.willingness + 2
    assert play(sc, state, "分24期。").turns[-1].situation in ("plan_accepted", "plan_reluctant")


def test_saying_i_understand_again_does_not_keep_raising_trust() -> None:
    sc = scenario_by_key("unemployed")
    assert sc is not None
    state = start(sc, 6, "zh")
    for _ in range(5):
        state = play(sc, state, "我理解。")
    assert state.hidden.trust == sc.persona.trust + 1


def test_a_turn_the_persona_did_not_understand_gets_the_model_line_in_the_debrief() -> None:
    sc = scenario_by_key("unemployed")
    assert sc is not None
    state = play(sc, start(sc, 6, "zh"), "嗯嗯")
    note = debrief(sc, state).notes[0]
    assert "not_understood" in note.missed
    assert state.facts.debtor_name in note.better  # the identity line, as suggested at that point


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("三千", 3000),
        ("一千五", 1500),
        ("一千五百", 1500),
        ("两万五", 25000),
        ("两万五千", 25000),
        ("十二", 12),
        ("一百零八", 108),
        ("八百", 800),
        ("一万", 10000),
        ("甲", None),
    ],
)
def test_chinese_numerals(text: str, value: int | None) -> None:
    assert cn_number(text) == value


@pytest.mark.parametrize(
    ("text", "lang", "violation"),
    [
        ("我们可以办理滚动还款", "zh", False),  # 滚 of 滚动 is no insult
        ("我们不会上门，也绝不会找你家人", "zh", False),
        ("再不还就上门找你", "zh", True),  # the 不 is the condition's, the threat stands
        ("we will not tell your employer", "en", False),
        ("If you do not pay, we will tell your employer", "en", True),
        ("You will go to jail", "en", True),  # the screener lets it through; the simulator does not
    ],
)
def test_a_denied_threat_is_none_and_a_conditional_one_is(text: str, lang: str, violation: bool) -> None:
    assert bool(recognise(text, lang, "debtor", BALANCE).violations) is violation


def test_a_read_back_restates_the_figures() -> None:
    sc = scenario_by_key("unemployed")
    assert sc is not None
    state = start(sc, 6, "zh")
    f = state.facts
    state = play(sc, state, f"喂，你好，是{f.debtor_name}吗？")
    assert "identity_check" in state.turns[-1].moves
    state = play(sc, state, f"您在我司的账户目前欠款共计{yuan(f.balance)}元，已逾期{f.dpd}天。")
    state = play(sc, state, "我理解您的难处，方便说一下是遇到什么困难了吗？")
    state = play(sc, state, "分24期，每期100元。")
    assert state.agreement is not None and not state.agreement.read_back
    bare = play(sc, state, "对吗？")
    assert bare.turns[-1].situation == "confirmed" and bare.agreement is not None and not bare.agreement.read_back
    note = debrief(sc, bare).notes[-1]
    assert "read_back_without_figures" in note.missed and "100.00" in note.better
    full = play(sc, state, "我跟您确认一下：分24期，每期100元，对吗？")
    assert full.agreement is not None and full.agreement.read_back
    assert "read_back" in debrief(sc, full).notes[-1].worked


def test_restating_the_amount_alone_is_not_wrong_figures_but_no_figures_is_noted() -> None:
    sc = scenario_by_key("slow_speaker")
    assert sc is not None
    state = play(sc, start(sc, 3, "zh"), "您好，请问是本人吗？")
    state = play(sc, state, "您的账户已经逾期了。")
    state = play(sc, state, f"我再说一遍，慢慢说：您欠款{yuan(state.facts.balance)}元")
    notes = debrief(sc, state).notes
    assert "figures_missing" in notes[1].missed
    assert "figures_wrong" not in notes[2].missed and "figures_missing" not in notes[2].missed


def test_a_plan_before_identity_gets_who_are_you() -> None:
    sc = scenario_by_key("disputes_amount")
    assert sc is not None
    state = play(sc, start(sc, 3, "en"), "How about 1,500 yuan per month for 10 months?")
    assert state.turns[-1].situation == "who_are_you" and state.agreement is None


def test_the_reply_fits_the_personas_mood() -> None:
    sc = scenario_by_key("refuses")  # mood -2 at the start
    assert sc is not None
    state = play(sc, start(sc, 2, "zh"), "您好，请问是本人吗？")
    assert state.turns[-1].reply == "是我，又是你们？有事快说。"
    calm = scenario_by_key("already_paid")  # mood 0
    assert calm is not None
    calm_state = play(calm, start(calm, 2, "zh"), "您好，请问是本人吗？")
    assert calm_state.turns[-1].reply != "是我，又是你们？有事快说。"


def test_a_plan_before_the_debt_is_named_is_not_understood() -> None:
    sc = scenario_by_key("hangs_up")  # needs nothing: only the missing debt statement stops the plan
    assert sc is not None
    state = play(sc, start(sc, 3, "zh"), "您好，请问是本人吗？")
    state = play(sc, state, "分12期，每期1000元。")
    assert state.turns[-1].situation == "confused" and state.agreement is None
    assert yuan(state.facts.balance) in debrief(sc, state).notes[-1].better


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_slow_listener_does_not_follow_a_long_turn(lang: str) -> None:
    sc = scenario_by_key("slow_speaker")
    assert sc is not None and sc.persona.max_words
    state = start(sc, 3, lang)
    f = state.facts
    if lang == "zh":
        opening = f"您好，请问是{f.debtor_name}本人吗？"
        long = (
            f"您在我司的账户目前欠款共计{yuan(f.balance)}元，已逾期{f.dpd}天，我们可以为您办理分期，"
            "分12期，每期500元，每月10号还款，请您按时还款，以免产生更多的滞纳金和费用。"
        )
    else:
        opening = f"Hello, am I speaking with {f.debtor_name_en}?"
        long = (
            f"The account has an outstanding balance of {yuan(f.balance)} yuan, {f.dpd} days overdue, and we can "
            "set up a payment plan of 12 instalments of 500 yuan a month from the 10th if you pay on time."
        )
    state = play(sc, play(sc, state, opening), long)
    assert state.turns[-1].situation == "too_long" and state.agreement is None
    note = debrief(sc, state).notes[-1]
    assert "too_long" in note.missed and note.better
    for line in suggestions(sc, state):
        assert words(line, lang) <= sc.persona.max_words[lang], line


@given(
    per=st.decimals(min_value=Decimal("1.00"), max_value=Decimal("99999.99"), places=2),
    count=st.integers(min_value=2, max_value=60),
    day=st.integers(min_value=1, max_value=28),
    lang=st.sampled_from(["zh", "en"]),
)
def test_a_plan_said_with_its_figures_is_read_back_exactly(per: Decimal, count: int, day: int, lang: str) -> None:
    balance = per * count + Decimal("0.50")
    if lang == "zh":
        text = f"我们可以分{count}期，每期{yuan(per)}元，每月{day}号还款。"
    else:
        text = f"A payment plan of {count} instalments of {yuan(per)} yuan a month, the first on the {ordinal(day)}."
    offer = parse_offer(normalise(text, lang), lang, balance)
    assert offer is not None
    assert (offer.instalment, offer.instalments, offer.first_day) == (per, count, day)
    assert offer.total == per * count
