"""Screening: the issue's must/must-not sentences, disguises, offsets, context, CLI lines, corpus figures.

Persona: Quinn (QA) reviews what Alice's templates, notes and calls would send out.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from huikuan.kernel.compliance.screening import ScreenContext, screen, screen_lines

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))
from screening import evaluate, read_corpus

TO_THIRD_PARTY = ScreenContext(lang="zh", audience="third_party")
EN = ScreenContext(lang="en")


@pytest.mark.parametrize(
    "text",
    [
        "根据合同约定，逾期超过90天将移交法务部门处理",
        "本公司将依法向人民法院提起诉讼",
        "请您抓紧时间处理，以免产生更多罚息。",
        "我们可以为您办理滚动还款。",
        "欠款属于民事纠纷，不涉及刑事责任。",
        "我们不会要求您借钱还款。",
        "请通过官方渠道还款，我们的工作人员不会要求您转账到个人账户。",
        "您的合同编号为SB2025001。",
    ],
)
def test_lawful_sentences_are_not_flagged(text: str) -> None:
    assert screen(text) == []


def test_the_speaker_denying_an_insult_of_themselves_is_not_abuse_but_calling_the_debtor_one_is() -> None:
    # A debtor asks whether the call is a scam; the collector's denial is the professional answer.
    for text in ("您放心，我们不是骗子，我是星河金融的贷后专员。", "我们真的不是什么骗子", "本公司并不是骗子"):
        assert screen(text) == [], text
    for text, word in (("我们不是骗子，你才是骗子", "骗子"), ("你不是骗子吗？", "骗子"), ("你就是个老赖", "老赖")):
        flags = screen(text)
        assert [(f.category, text[f.start : f.end]) for f in flags] == [("abuse", word)], text


def test_arrest_warrant_is_false_authority_with_offsets_into_the_original() -> None:
    text = "法院已经下了逮捕令"
    flags = screen(text)
    assert [f.category for f in flags] == ["false_authority"]
    assert text[flags[0].start : flags[0].end] == "逮捕"
    assert flags[0].severity == "block" and "法务" in flags[0].suggestion


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("你就是个傻 逼", "傻 逼"),
        ("你就是个傻.逼", "傻.逼"),
        ("你就是个傻\u200b逼", "傻\u200b逼"),
        ("你就是个ＳＢ，还钱", "ＳＢ"),
        ("nmsl，还不还", "nmsl"),
        ("你是不是 S B 啊", "S B"),
    ],
)
def test_disguised_insults_are_found_and_mapped_back(text: str, word: str) -> None:
    flags = screen(text)
    assert [f.category for f in flags] == ["abuse"]
    assert text[flags[0].start : flags[0].end] == word


def test_segmentation_keeps_ambiguous_single_words_apart() -> None:
    assert [f.category for f in screen("滚，别烦我，还钱")] == ["abuse"]
    assert screen("逾期会产生利滚利，建议尽快处理。") == []


def test_stating_the_debt_to_a_third_party_is_a_disclosure_but_a_call_back_request_is_not() -> None:
    text = "请转告刘先生，他的借款已经逾期60天。"
    assert screen(text) == []  # to the debtor himself this is a plain statement of the debt
    assert {f.category for f in screen(text, TO_THIRD_PARTY)} == {"disclosure"}
    assert screen("麻烦您转告他尽快给我们回个电话，谢谢。", TO_THIRD_PARTY) == []


def test_notes_are_downgraded_to_warnings_and_never_counted_as_disclosure() -> None:
    note = ScreenContext(lang="zh", audience="third_party", source="note")
    flags = screen("客户说：你们这些傻逼，欠款不还了", note)
    assert [(f.category, f.severity) for f in flags] == [("abuse", "warn")]


def test_english_must_and_must_not() -> None:
    assert screen("If the account remains unpaid, we may refer it to our legal department.", EN) == []
    assert screen("Failing to pay a debt is not a crime, and you cannot be arrested for it.", EN) == []
    assert {f.category for f in screen("A warrant has been issued for your arrest.", EN)} == {"false_authority"}
    text = "You are an id10t."
    flag = screen(text, EN)[0]
    assert (flag.category, text[flag.start : flag.end]) == ("abuse", "id10t")
    spaced = "You will be a r r e s t e d."
    flag = screen(spaced, EN)[0]
    assert spaced[flag.start : flag.end] == "a r r e s t e d"


def test_screen_lines_writes_one_json_object_per_line() -> None:
    out = list(screen_lines(["您好，请问是张先生吗？\n", "法院已经下了逮捕令\n"], lang="zh"))
    first, second = (json.loads(line) for line in out)
    assert first == {"text": "您好，请问是张先生吗？", "flags": []}
    assert second["flags"][0]["category"] == "false_authority"
    assert set(second["flags"][0]) == {"category", "severity", "start", "end", "rule_id", "suggestion"}
    assert "逮捕" in out[1]  # ensure_ascii=False


@pytest.mark.parametrize(
    ("files", "lang"),
    [
        (("corpus_zh.tsv", "corpus_zh_holdout.tsv"), "zh"),
        (("corpus_en.tsv", "corpus_en_holdout.tsv"), "en"),
    ],
)
def test_corpus_meets_the_targets(files: tuple[str, ...], lang: str) -> None:
    examples = [example for name in files for example in read_corpus(name)]
    result = evaluate(examples, lang)
    assert result["professional_flagged"] == 0, result["_professional_flagged"]
    assert result["detection_precision"] >= 0.95
    assert result["detection_recall"] >= 0.9, result["_missed"]
    assert result["category_precision"] >= 0.95, result["_wrong_category"]
    assert result["category_recall"] >= 0.9, result["_missed"]
    for category, scores in result["per_category"].items():
        assert scores["support"] >= 3, category
        assert scores["recall"] >= 0.8, (category, scores)


def test_corpus_is_big_enough_and_covers_every_kind() -> None:
    zh = read_corpus("corpus_zh.tsv") + read_corpus("corpus_zh_holdout.tsv")
    en = read_corpus("corpus_en.tsv") + read_corpus("corpus_en_holdout.tsv")
    assert len(zh) >= 400 and len(en) >= 100
    assert {ex.kind for ex in zh} == {"professional", "violation", "disguised"}
    assert sum(1 for ex in zh if ex.audience == "third_party" and ex.category == "clean") >= 10
