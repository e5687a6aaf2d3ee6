"""The conversation scorecard on hand-written transcripts, good and bad; transcripts read from JSON and text.

Persona: Quinn (QA) scores Alice's calls; the training simulator scores a trainee's practice with the same engine.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huikuan.kernel.qa.scorecard import (
    ITEM_IDS,
    CaseFigures,
    ScorecardError,
    apply_overrides,
    load_scorecard,
    score,
    screen_transcript,
    total,
)
from huikuan.kernel.qa.transcript import Transcript, TranscriptError, Turn, parse, parse_json, parse_text

FIGURES = CaseFigures(amount=Decimal("4812.36"), dpd=23)

GOOD = """\
[00:00] 坐席: 您好，我是安信消费金融的小周，请问是王磊先生本人吗？
[00:05] 客户: 是我。
[00:07] 坐席: 为了核实身份，请您说一下身份证号码的后四位。
[00:12] 客户: 1234。
[00:15] 坐席: 核实无误。您的借款目前逾期23天，待还金额4,812.36元。
[00:24] 客户: 我最近失业了，家里还有人住院，实在没钱。
[00:34] 坐席: 真的很抱歉听到这些，这段时间一定很不容易。我们可以先申请分期，分三期还。
[00:45] 客户: 好吧。
[00:47] 坐席: 那我跟您确认一下：本周五前先还1,500元，剩下的分三期，每月15号还款，对吗？
[00:58] 客户: 对。
[01:00] 坐席: 感谢您的配合，祝您生活顺利，再见。
"""


def items(result: object) -> dict[str, tuple[bool | None, int | None]]:
    return {r.id: (r.passed, r.evidence_turn) for r in result.items}  # type: ignore[attr-defined]


def test_a_good_call_passes_every_item_with_its_evidence_turn() -> None:
    result = score(parse_text(GOOD), FIGURES)
    assert items(result) == {
        "identity_before_debt": (True, 0),
        "amount_exact": (True, 4),
        "dpd_exact": (True, 4),
        "solution_offered": (True, 6),
        "agreement_read_back": (True, 8),
        "no_interruption": (True, 5),
        "empathy_after_hardship": (True, 6),
        "compliant_ending": (True, 10),
        "screening_clean": (True, None),
    }
    assert result.total == Decimal("100.0") and result.version == 1 and result.flags == ()


def test_debt_before_identity_wrong_figures_no_solution_and_abrupt_ending_fail() -> None:
    bad = parse_text(
        "坐席: 你欠我们的钱逾期30天了，欠款5,000元，什么时候还？\n"
        "客户: 我生病住院了，真的没钱。\n"
        "坐席: 那是你的事，今天必须还。\n"
        "客户: 我真的没有。\n"
        "坐席: 那就这样。\n"
    )
    result = score(bad, FIGURES)
    got = items(result)
    assert got["identity_before_debt"] == (False, 0)
    assert got["amount_exact"] == (False, 0) and result.item("amount_exact").note == "stated_5000_case_4812.36"
    assert got["dpd_exact"] == (False, 0)
    assert got["solution_offered"] == (False, None)
    assert got["agreement_read_back"] == (False, None)
    assert got["empathy_after_hardship"] == (False, 2)
    assert got["compliant_ending"] == (False, 4)
    assert got["no_interruption"][0] is None  # plain text without times: cannot tell
    assert got["screening_clean"] == (True, None)
    card = load_scorecard(1)
    expected = (
        Decimal(100)
        * card.item("screening_clean").weight
        / sum(card.item(i).weight for i in ITEM_IDS if i != "no_interruption")
    )
    assert result.total == expected.quantize(Decimal("0.1"))


def test_a_flagged_turn_fails_screening_caps_the_total_and_keeps_the_turn_time() -> None:
    text = GOOD.replace("感谢您的配合，祝您生活顺利，再见。", "不还钱就把你的事发到你公司群里，再见。")
    result = score(parse_text(text), FIGURES)
    assert result.item("screening_clean").passed is False
    assert result.item("screening_clean").evidence_turn == 10
    assert result.item("compliant_ending").note == "last_turn_flagged"
    assert result.total == Decimal("0.0")  # the cap in v1.yaml
    assert [(f.turn, f.start, f.flag.category) for f in result.flags] == [(10, 60.0, "disclosure")]


def test_interrupting_the_debtors_reason_is_found_from_the_times() -> None:
    doc = {
        "language": "zh",
        "audience": "debtor",
        "turns": [
            {"speaker": "agent", "start": 0, "end": 4, "text": "请问是王磊先生本人吗？"},
            {"speaker": "debtor", "start": 4.5, "end": 5, "text": "是我。"},
            {"speaker": "agent", "start": 5.5, "end": 9, "text": "您逾期23天，待还金额4812.36元。"},
            {"speaker": "debtor", "start": 9.5, "end": 20, "text": "因为公司欠薪，我这个月实在……"},
            {"speaker": "agent", "start": 12.0, "end": 15, "text": "这些我不管，您先说什么时候还。"},
        ],
    }
    result = score(parse_json(json.dumps(doc, ensure_ascii=False)), FIGURES)
    assert items(result)["no_interruption"] == (False, 4)


def test_a_third_party_call_skips_the_debt_steps_and_screens_as_to_a_third_party() -> None:
    call = parse_text(
        "坐席: 您好，请问刘洋在家吗？\n客户: 他不在，我是他妈妈。\n坐席: 你儿子欠了我们三万块钱。\n",
        audience="third_party",
    )
    result = score(call, FIGURES)
    for item_id in ("identity_before_debt", "amount_exact", "dpd_exact", "solution_offered", "agreement_read_back"):
        assert result.item(item_id).passed is None
    assert [f.flag.category for f in screen_transcript(call)] == ["disclosure"]
    assert result.item("screening_clean").evidence_turn == 2


def test_overrides_need_a_reason_and_change_the_total() -> None:
    bad = score(parse_text(GOOD.replace("对吗？", "。").replace("那我跟您确认一下：", "")), FIGURES)
    assert bad.item("agreement_read_back").passed is False
    with pytest.raises(ScorecardError, match="needs a reason"):
        apply_overrides(bad, {"agreement_read_back": (True, "  ")})
    fixed = apply_overrides(bad, {"agreement_read_back": (True, "读回在录音里，转写漏了")})
    assert fixed.item("agreement_read_back").automatic is False
    assert fixed.total == Decimal("100.0") > bad.total
    assert apply_overrides(bad, {"agreement_read_back": (False, "")}) == bad  # confirming needs no reason
    with pytest.raises(ScorecardError, match="unknown item"):
        apply_overrides(bad, {"tone": (True, "x")})


def test_without_case_figures_the_exact_items_do_not_apply() -> None:
    result = score(parse_text(GOOD))
    assert result.item("amount_exact").passed is None and result.item("dpd_exact").passed is None


def test_english_calls_are_scored_with_the_english_cues() -> None:
    call = parse_text(
        "agent: Hello, am I speaking with Ms. Chen?\n"
        "debtor: Yes.\n"
        "agent: Your account is 23 days past due with a balance of $4,812.36.\n"
        "debtor: I lost my job last month.\n"
        "agent: I'm sorry to hear that. We can set up a payment plan.\n"
        "agent: Just to recap, $500 on Friday and the rest in three instalments, is that right?\n"
        "debtor: Yes.\n"
        "agent: Thank you, goodbye.\n",
        language="en",
    )
    assert score(call, FIGURES).total == Decimal("100.0")


@given(
    st.lists(
        st.tuples(st.sampled_from(["agent", "debtor"]), st.sampled_from(["您好", "逾期23天", "分期", "谢谢", "傻逼"])),
        min_size=1,
        max_size=12,
    )
)
def test_the_total_is_a_percentage_and_every_evidence_turn_exists(turns: list[tuple[str, str]]) -> None:
    transcript = Transcript(tuple(Turn(i, who, text) for i, (who, text) in enumerate(turns)))
    result = score(transcript, FIGURES)
    assert Decimal(0) <= result.total <= Decimal(100)
    assert all(r.evidence_turn is None or 0 <= r.evidence_turn < len(turns) for r in result.items)
    assert result.total == total(load_scorecard(result.version), result.items)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("", "no turns"),
        ("坐席 没有冒号", "line 1: expected 'speaker: text'"),
        ("路人: 你好", "line 1: unknown speaker"),
        ("[00:75] 坐席: 你好", "line 1: time"),
        ("坐席: 你好\n[00:03]没有说话人", "line 2: expected 'speaker: text'"),
        ('{"turns": [{"speaker": "agent", "text": "x", "start": 5, "end": 1}]}', "turn 1: end 1.0 is before start 5.0"),
        ('{"turns": [{"speaker": "agent", "text": ""}]}', "turn 1: the text is empty"),
        ('{"turns": [{"speaker": "agent", "text": "x", "start": "soon"}]}', "turn 1: start must be seconds"),
        ('{"turns": "x"}', "needs 'turns'"),
        ('{"turns": [{"speaker": "agent", "text": "x"}], "audience": "boss"}', "audience must be"),
        ("{not json", "not JSON"),
    ],
)
def test_bad_transcripts_say_where_and_what(payload: str, message: str) -> None:
    with pytest.raises(TranscriptError, match=message):
        parse(payload)


def test_plain_text_continuation_lines_and_times_become_turn_ends() -> None:
    transcript = parse("[00:01] 坐席: 您好，\n请问是王先生吗？\n[00:06.5] 客户: 是的\n".encode())
    assert [(t.speaker, t.text, t.start, t.end) for t in transcript.turns] == [
        ("agent", "您好，请问是王先生吗？", 1.0, 6.5),
        ("debtor", "是的", 6.5, None),
    ]
