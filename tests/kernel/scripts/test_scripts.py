"""Script composition and objection matching in the kernel: no database, no Django."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huikuan.kernel.compliance.screening import ScreenContext, screen
from huikuan.kernel.ledger import Balance
from huikuan.kernel.money import format_yuan
from huikuan.kernel.plans import PlanPolicy, design_options, summary
from huikuan.kernel.scripts import (
    OBJECTION_KEYS,
    STEP_KEYS,
    Agreement,
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
    # Nothing agreed yet: step 4 reads back no figure (it used to read the whole balance by the deadline).
    assert "同意" not in " ".join(confirm.lines) and "12,400.00" not in " ".join(confirm.lines)
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


def test_middle_stage_reminds_of_the_promise_but_step_4_reads_back_only_what_is_agreed_now() -> None:
    f = facts(45, "middle", promise_amount=Decimal("500.50"), promise_date=date(2026, 11, 18))
    debt = compose(f, default_library(), "zh").steps[1]
    assert "您之前承诺在2026年11月18日还款500.50元" in " ".join(debt.lines)
    confirm = compose(f, default_library(), "zh").steps[3]
    assert "500.50" not in " ".join(confirm.lines)  # the old promise is not this call's agreement
    typed = replace(f, agreed=Agreement(Decimal("3000.00"), date(2026, 11, 25)))
    lines = " ".join(compose(typed, default_library(), "zh").steps[3].lines)
    assert "我再跟您确认一下：您同意在2026年11月25日前还款3,000.00元。" in lines
    assert "500.50" not in lines and "记录下来" in lines


def test_step_4_reads_back_the_option_picked_in_step_3() -> None:
    """Issue 16: option 1 was 54,796.84 by 12-09, step 4 said 58,398.41 (the whole balance)."""
    f = facts(45, "middle")
    full = f.options[0]
    agreed = Agreement.of_option(f.options, "full_with_waiver")
    assert agreed is not None and agreed.amount == full.total and agreed.number == 1
    script = compose(replace(f, agreed=agreed), default_library(), "zh")
    solutions, confirm = " ".join(script.steps[2].lines), " ".join(script.steps[3].lines)
    due = full.schedule[0].due_date
    said = f"{due.year}年{due.month}月{due.day}日前还款{format_yuan(full.total)}元"
    assert summary(full, "zh", whole_yuan=False) in solutions
    assert f"您选择的是方案一，{summary(full, 'zh', whole_yuan=False)}" in confirm
    assert f"也就是说，您同意在{said}" in confirm
    assert f"还款{format_yuan(BALANCE.total)}元" not in confirm


def test_step_4_reads_back_instalments_with_their_count_total_and_first_payment() -> None:
    f = facts(45, "middle")
    plan = f.options[1]
    agreed = Agreement.of_option(f.options, "instalments")
    confirm = " ".join(compose(replace(f, agreed=agreed), default_library(), "en").steps[3].lines)
    first = plan.schedule[0]
    assert f"you chose option 2, {summary(plan, 'en', whole_yuan=False)}" in confirm
    assert (
        f"pay {format_yuan(plan.total)} yuan in {len(plan.schedule)} payments, the first of "
        f"{format_yuan(first.amount)} yuan by {first.due_date.day}" in confirm
    )


@settings(max_examples=40)
@given(
    st.decimals(min_value=Decimal("100.00"), max_value=Decimal("900000.00"), places=2),
    st.decimals(min_value=Decimal("0.00"), max_value=Decimal("5000.00"), places=2),
    st.sampled_from(["full_with_waiver", "instalments", "ladder"]),
    st.sampled_from(["zh", "en"]),
    st.booleans(),
)
def test_step_4_always_names_the_first_payment_of_the_option_picked(
    principal: Decimal, penalty: Decimal, kind: str, lang: str, company: bool
) -> None:
    balance = Balance(principal=principal, interest=Decimal("0.00"), fee=Decimal("0.00"), penalty=penalty)
    options, errors = design_options(balance, PlanPolicy(), "collector", NOW, time_zone="Asia/Shanghai")
    assert options is not None, errors
    f = ScriptFacts(name="王先生", agent="艾丽", amount=balance.total, dpd=40, stage="middle",
                    options=tuple(options), company=company)  # fmt: skip
    agreed = Agreement.of_option(f.options, kind)
    assert agreed is not None
    confirm = " ".join(compose(replace(f, agreed=agreed), default_library(), lang).steps[3].lines)
    option = next(o for o in options if o.kind.value == kind)
    first = option.schedule[0]
    day = f"{first.due_date.day} " if lang == "en" else f"{first.due_date.month}月{first.due_date.day}日"
    assert format_yuan(first.amount) in confirm and day in confirm
    assert summary(option, lang, whole_yuan=False) in confirm
    assert ("贵司" in confirm or "your company" in confirm) == company


def test_a_company_gets_the_company_script() -> None:
    """Issue 16: "请问是华泰通安网络有限公司本人吗？", asked for an ID number."""
    f = facts(45, "middle", name="华泰通安网络有限公司", company=True, phone_tail="")
    for lang in ("zh", "en"):
        script = compose(f, default_library(), lang)
        text = script.text()
        if lang == "zh":
            assert "请问是华泰通安网络有限公司的法定代表人或财务负责人吗？" in text
            assert "贵司统一社会信用代码的后四位" in text and "贵司" in " ".join(script.steps[1].lines)
            assert "本人" not in text and "身份证" not in text
        else:
            assert "legal representative or the finance manager of 华泰通安网络有限公司" in text
            assert "credit code" in text and "ID number" not in text
        audience = {"zh": "debtor", "en": "debtor"}[lang]
        for step in script.steps:
            for line in step.lines:
                assert screen(line, ScreenContext(lang=lang, audience=audience, source="template")) == [], line
            for line in step.third_party:
                assert screen(line, ScreenContext(lang=lang, audience="third_party", source="template")) == [], line
    person = compose(facts(45, "middle"), default_library(), "zh").text()
    assert "贵司" not in person and "法定代表人" not in person


def test_a_line_may_need_several_conditions() -> None:
    source = DEFAULT_PATH.read_text(encoding="utf-8").replace("when: [company, has_id]", "when: [company, has_idd]")
    library, problems = parse_library(source)
    assert library is None and any("unknown condition 'has_idd'" in p for p in problems)


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
