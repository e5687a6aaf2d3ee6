"""Screening by intent (issue 20): families of phrasing without the banned words, lawful statements kept clean.

Persona: Quinn (QA) reads what collectors said on calls, in SMS, notes and chat. The held-out corpus
(`corpus_zh_intent_holdout.tsv`) was written and committed before the intent rules and is never tuned on.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huikuan.kernel.compliance.screening import (
    _DELETED,
    _STRONG_STOPS,
    _WEAK_STOPS,
    LexiconError,
    ScreenContext,
    _expand,
    _sentence_ids,
    _slots,
    _top_level_alternatives,
    screen,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))
from screening import evaluate, read_corpus

TO_THIRD_PARTY = ScreenContext(lang="zh", audience="third_party")


def categories(text: str, context: ScreenContext | None = None) -> set[str]:
    return {flag.category for flag in screen(text, context)}


@pytest.mark.parametrize(
    ("text", "category"),
    [
        # implied threats: no violent verb
        ("你不还钱，你的家人会怎么样你自己想想。", "threat"),
        ("你跑不掉的，我们一定会找到你。", "threat"),
        ("别逼我们采取行动。", "threat"),
        ("明天给你家送寿衣。", "threat"),
        ("你的照片我们已经做成遗照了。", "threat"),
        ("我们的人就在你单位门口等着你。", "threat"),
        ("你在这个城市待不下去了。", "threat"),
        # exposure said to the debtor
        ("你再不还，我就把你欠钱的事发到你公司群里。", "disclosure"),
        ("我们会给你通讯录里的每一个人打电话。", "disclosure"),
        ("我会告诉你领导你欠钱不还。", "disclosure"),
        ("你欠钱的事我们会发到朋友圈。", "disclosure"),
        # insults by comparison, about the family, slang
        ("你连狗都不如，狗还知道感恩。", "abuse"),
        ("你妈没教你做人吗？", "abuse"),
        ("nmsl", "abuse"),
        ("你个狗东西。", "abuse"),
        # harassment stated by count or hour
        ("我们有一百个号码轮流打你。", "harassment"),
        ("一天给你发五十条短信。", "harassment"),
        ("凌晨三点给你打电话。", "harassment"),
        # fees under any name, personal accounts
        ("开结清证明要交证明费。", "unlawful_fee"),
        ("我们的差旅费由你承担。", "unlawful_fee"),
        ("上门费300元。", "unlawful_fee"),
        ("你直接微信转给我就行。", "unlawful_fee"),
        # borrowing, selling
        ("以贷养贷也得还。", "borrow_to_repay"),
        ("你去借网贷还我们。", "borrow_to_repay"),
        ("把你的车卖了还钱。", "borrow_to_repay"),
        ("把房子抵押了还款。", "borrow_to_repay"),
        # false authority
        ("我们和公安是联网的，你的信息随时能调出来。", "false_authority"),
        ("我们是银保监会直属的催收机构。", "false_authority"),
        ("你的案子已经立案了。", "false_authority"),
        ("警察会上门来找你。", "false_authority"),
    ],
)
def test_each_family_of_the_issue_is_recognised(text: str, category: str) -> None:
    assert category in categories(text)


@pytest.mark.parametrize(
    "text",
    [
        "逾期可能影响您的征信记录，建议您尽快安排还款。",
        "我们将依法通过诉讼途径解决，诉讼费用以法院判决为准。",
        "如长期不还，我们可能会依法向人民法院提起诉讼。",
        "我们不会联系您的通讯录好友，也不会告诉您的单位。",
        "我们的工作人员不会以任何理由要求您支付管理费、证明费等费用。",
        "我们没有和公安机关联网，也不会把您的信息给警察。",
        "如有疑问，请拨打官方客服热线，我们24小时在线为您服务。",
        "我们不建议您借新还旧，以贷养贷只会让负担更重。",
        "这笔还款请直接在App里操作，资金会进入我司对公账户。",
        "您家人在哪上班？",
        "第三次外呼未接通，今天不再拨打。",
        "下午3点我再打给您。",
        "您可以联系您的朋友帮忙核实地址吗？",
        "法院已受理本案，开庭时间将以法院传票为准。",
    ],
)
def test_lawful_firm_and_ordinary_statements_are_not_flagged(text: str) -> None:
    assert screen(text) == []


def test_a_denial_belongs_to_its_clause_not_to_the_condition() -> None:
    # "不还" is the condition "if you don't pay": the threat to expose that follows is not denied by it.
    assert "disclosure" in categories("你要是再不还，我们就告诉你所有的亲戚朋友。")
    assert categories("我们不会告诉您的亲戚朋友。") == set()
    # the enumeration comma keeps the denial: both fees are denied
    assert categories("我司不收取任何管理费、证明费、上门费。") == set()


def test_certainty_is_false_authority_but_the_lawful_possibility_is_not() -> None:
    assert "false_authority" in categories("你的银行卡马上就会被冻结。")
    assert categories("如果法院依法判决，您的财产可能会被依法冻结。") == set()


def test_offsets_of_an_intent_point_into_the_original_text() -> None:
    text = "我们会把你的 照片 做成遗照。"
    flags = [f for f in screen(text) if f.category == "threat"]
    assert flags and text[flags[0].start : flags[0].end] == "遗照"


def test_debt_words_to_a_third_party_are_a_disclosure() -> None:
    text = "你女儿借的钱该还了，你们做父母的管一管。"
    assert "disclosure" in categories(text, TO_THIRD_PARTY)


def test_unknown_slots_and_bad_slot_lists_are_refused_with_the_rule_named() -> None:
    slots = _slots(Path("zh.yaml"), {"family": ["家人", "老婆"]})
    assert _expand("rule 'x'", ["{family}会怎么样"], slots) == ["(?:家人|老婆)会怎么样"]
    with pytest.raises(LexiconError, match=r"rule 'x': unknown slot \{target\}"):
        _expand("rule 'x'", ["{target}"], slots)
    with pytest.raises(LexiconError, match="slot 'family' must be a list"):
        _slots(Path("zh.yaml"), {"family": "家人"})


def test_top_level_alternatives_split_outside_groups_and_classes() -> None:
    assert _top_level_alternatives(r"a|b(c|d)|[|]e|\|f") == ["a", "b(c|d)", "[|]e", r"\|f"]


@given(st.text(alphabet="你我他她们的是在有会把还钱了吧吗。，", max_size=30))
def test_any_text_yields_flags_inside_the_text(text: str) -> None:
    for flag in screen(text):
        assert 0 <= flag.start < flag.end <= len(text)


@given(st.sampled_from(["我们会把你的事发到你公司群里。", "我们会挨个给你通讯录里的人打电话。"]))
def test_prefixing_a_denial_lifts_exposure(text: str) -> None:
    assert "disclosure" in categories(text)
    denied = text.replace("我们会", "我们不会", 1)
    assert "disclosure" not in categories(denied)


def test_the_held_out_intent_corpus_meets_the_targets() -> None:
    """Written first, committed before the intent rules, never tuned on (see docs/compliance.md)."""
    examples = read_corpus("corpus_zh_intent_holdout.tsv")
    assert len(examples) >= 200
    assert {ex.register for ex in examples} == {"call", "sms", "note", "chat"}
    result = evaluate(examples, "zh")
    assert result["professional_flagged"] == 0, result["_professional_flagged"]
    assert result["detection_precision"] >= 0.97
    assert result["detection_recall"] >= 0.95, result["_missed"]
    assert result["category_recall"] >= 0.95, result["_missed"]


def test_the_development_intent_corpora_meet_the_targets() -> None:
    zh = evaluate(read_corpus("corpus_zh_intent.tsv"), "zh")
    assert zh["professional_flagged"] == 0, zh["_professional_flagged"]
    assert zh["detection_recall"] >= 0.98, zh["_missed"]
    en = evaluate(read_corpus("corpus_en_intent.tsv"), "en")
    assert en["professional_flagged"] == 0, en["_professional_flagged"]
    assert en["detection_recall"] >= 0.95, en["_missed"]


@given(st.text(alphabet="你好。，！？；\n 、:a", max_size=40))
def test_sentence_numbers_count_the_stops_before_each_kept_character(text: str) -> None:
    keep = [i for i, ch in enumerate(text) if ch not in _DELETED]
    for stops in (_STRONG_STOPS, _STRONG_STOPS | _WEAK_STOPS):
        expected = [sum(1 for ch in text[: i + 1] if ch in stops) for i in keep]
        assert _sentence_ids(text, keep, stops) == expected
