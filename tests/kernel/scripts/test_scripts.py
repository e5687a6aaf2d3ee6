"""Script composition and objection matching in the kernel: no database, no Django."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from huikuan.kernel.compliance.screening import ScreenContext, screen
from huikuan.kernel.ledger import Balance
from huikuan.kernel.plans import PlanPolicy, design_options, summary
from huikuan.kernel.scripts import (
    OBJECTION_KEYS,
    STEP_KEYS,
    ScriptFacts,
    compose,
    default_library,
    match_objections,
    parse_library,
)
from huikuan.kernel.scripts.library import DEFAULT_PATH

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)  # 11:00 in Shanghai
BALANCE = Balance(
    principal=Decimal("10000.00"), interest=Decimal("1234.56"), fee=Decimal("200.00"), penalty=Decimal("965.44")
)


def facts(dpd: int, stage: str, **extra: Any) -> ScriptFacts:
    options, errors = design_options(BALANCE, PlanPolicy(), "collector", NOW, time_zone="Asia/Shanghai")
    assert options is not None, errors
    base = ScriptFacts(
        name="王先生",
        agent="艾丽",
        amount=BALANCE.total,
        dpd=dpd,
        stage=stage,
        deadline=options.full.schedule[0].due_date,
        phone_tail="1234",
        options=tuple(options),
        has_id=True,
    )
    return replace(base, **extra)


@pytest.mark.parametrize(
    ("dpd", "stage", "tone", "marker"),
    [
        (12, "early", "gentle", "一时疏忽"),
        (45, "middle", "firm", "请您重视"),
        (120, "late", "legal", "移交法务部门"),
    ],
)
def test_script_per_stage_has_exact_figures_and_passes_the_screener(
    dpd: int, stage: str, tone: str, marker: str
) -> None:
    f = facts(dpd, stage)
    script = compose(f, default_library(), "zh")
    assert [s.key for s in script.steps] == list(STEP_KEYS)
    assert script.tone == tone
    opening, debt, solutions, confirm = script.steps
    # Nothing about the debt before the right party is confirmed.
    assert "12,400.00" not in " ".join(opening.lines + opening.third_party)
    assert "王先生本人" in opening.lines[0] and "艾丽" in opening.lines[0] and "回款公司" in opening.lines[0]
    assert f"共计12,400.00元，已逾期{dpd}天" in debt.lines[0] and "尾号1234" in debt.lines[0]
    assert marker in " ".join(debt.lines)
    assert f.deadline is not None
    deadline = f"{f.deadline.year}年{f.deadline.month}月{f.deadline.day}日"
    assert deadline in " ".join(debt.lines)
    for option in f.options:
        assert any(summary(option, "zh", whole_yuan=False) in line for line in solutions.lines)
    assert f"同意在{deadline}前还款12,400.00元" in " ".join(confirm.lines)
    for step in script.steps:
        for line in step.lines:
            assert screen(line, ScreenContext(lang="zh", audience="debtor", source="template")) == [], line
        for line in step.third_party:
            assert screen(line, ScreenContext(lang="zh", audience="third_party", source="template")) == [], line


@pytest.mark.parametrize(("dpd", "stage"), [(12, "early"), (45, "middle"), (120, "late")])
def test_english_script_passes_the_screener(dpd: int, stage: str) -> None:
    script = compose(facts(dpd, stage), default_library(), "en")
    text = script.text()
    assert "12,400.00 yuan" in text and f"{dpd} days overdue" in text
    for line in text.splitlines():
        assert screen(line, ScreenContext(lang="en", audience="debtor", source="template")) == [], line


def test_middle_stage_reminds_of_the_promise() -> None:
    f = facts(45, "middle", promise_amount=Decimal("500.50"), promise_date=date(2026, 11, 18))
    debt = compose(f, default_library(), "zh").steps[1]
    assert "您之前承诺在2026年11月18日还款500.50元" in " ".join(debt.lines)
    confirm = compose(f, default_library(), "zh").steps[3]
    assert "同意在2026年11月18日前还款500.50元" in " ".join(confirm.lines)


def test_lines_with_unknown_facts_are_left_out_not_read_with_a_blank() -> None:
    f = facts(12, "early", options=(), deadline=None, phone_tail="", has_id=False)
    script = compose(f, default_library(), "zh")
    text = script.text()
    assert "{" not in text and "方案" in text  # the introduction stays, the option lines go
    assert "身份证" not in text
    assert len(script.steps[2].lines) == 2


def test_third_party_lines_never_carry_the_debt() -> None:
    for lang in ("zh", "en"):
        opening = compose(facts(45, "middle"), default_library(), lang).steps[0]
        joined = " ".join(opening.third_party)
        assert opening.third_party and "12,400" not in joined and "45" not in joined


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("他说金额不对，不是这么多", "dispute"),
        ("我已经还了啊", "already_paid"),
        ("最近失业了，手头紧", "hardship"),
        ("过几天再说吧", "pay_later"),
        ("别打了！", "stop_calling"),
        ("我要投诉你们", "complaint"),
        ("你打错了，没这个人", "wrong_number"),
        ("能不能减免一点", "reduction"),
        ("I already paid last week", "already_paid"),
        ("please stop calling me", "stop_calling"),
        ("That is the wrong amount!", "dispute"),
    ],
)
def test_objection_matching_by_a_few_words(said: str, expected: str) -> None:
    matches = match_objections(said, default_library())
    assert matches and matches[0].key == expected, matches


def test_nothing_matches_small_talk() -> None:
    assert match_objections("你好", default_library()) == []
    assert match_objections("", default_library()) == []
    # Whole English words only: "collateral" does not contain the objection "later".
    assert match_objections("collateral", default_library()) == []


def test_playbook_covers_every_objection_with_sentences_and_actions() -> None:
    library = default_library()
    assert {o.key for o in library.objections} == set(OBJECTION_KEYS)
    for o in library.objections:
        assert o.sentences and o.actions

    def actions(key: str) -> tuple[str, ...]:
        objection = library.objection(key)
        assert objection is not None, key
        return objection.actions

    assert "open_bill" in actions("dispute")
    assert "stop_calls" in actions("stop_calling")
    assert "complaint_hold" in actions("complaint")
    assert "mark_wrong_number" in actions("wrong_number")


def test_playbook_sentences_pass_the_screener() -> None:
    library = default_library()
    for o in library.objections:
        for line in o.sentences:
            for lang in ("zh", "en"):
                text = line.text.get(lang)
                audience = "third_party" if o.key == "third_party" else "debtor"
                assert screen(text, ScreenContext(lang=lang, audience=audience)) == [], text


def test_a_broken_library_reports_every_problem() -> None:
    source = DEFAULT_PATH.read_text(encoding="utf-8")
    broken = source.replace("{amount}元，已逾期", "{amout}元，已逾期").replace("key: complaint", "key: complaints")
    library, problems = parse_library(broken)
    assert library is None
    assert any("unknown placeholder {amout}" in p for p in problems)
    assert any("missing complaint" in p for p in problems)
    assert parse_library("steps: [")[0] is None
