"""The three options for a case: a worked example with figures computed by hand, and properties."""

from __future__ import annotations

import calendar
import itertools
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from huikuan.kernel.ledger import Balance
from huikuan.kernel.plans import (
    Instalment,
    OptionKind,
    PlanOptions,
    PlanPolicy,
    WaiverAuthority,
    defer_schedule,
    design_options,
    highest_instalments,
    propose_deferral,
    summary,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
D = Decimal

POLICY = PlanPolicy(
    max_instalments=24,
    min_instalment=D("300.00"),
    max_plan_months=60,
    waiver_authority={
        "collector": WaiverAuthority(max_amount=D("500.00"), max_percent=D("50")),
        "team_lead": WaiverAuthority(max_amount=D("5000.00"), max_percent=D("100")),
    },
    goodwill_first_payment=D("500.00"),
    first_due_min_days=7,
    waiver_valid_days=3,
    waiver_deadline_hour=18,
)

# Persona: 王先生, a consumer loan 90 days late, says he can manage 1,500 元 a month, paid on the 31st.
WANG = Balance(principal=D("10000.00"), interest=D("850.50"), fee=D("200.00"), penalty=D("1349.50"))
CALL_TIME = datetime(2024, 1, 29, 10, 30, tzinfo=SHANGHAI)


def wang_options(role: str = "collector") -> PlanOptions:
    options, errors = design_options(WANG, POLICY, role, CALL_TIME, capacity=D("1500"), payment_day=31)
    assert errors == []
    assert options is not None
    return options


def test_exactly_three_options_in_order() -> None:
    assert [o.kind for o in wang_options()] == [
        OptionKind.FULL_WITH_WAIVER,
        OptionKind.INSTALMENTS,
        OptionKind.LADDER,
    ]


def test_full_payment_waives_penalty_and_fee_until_a_deadline_with_hour() -> None:
    full = wang_options().full
    # Owed 10,000 + 850.50 + 200 + 1,349.50 = 12,400; waiving 1,349.50 + 200 = 1,549.50 leaves 10,850.50.
    assert full.owed == D("12400.00")
    assert full.total == D("10850.50")
    assert full.waiver is not None
    assert (full.waiver.penalty, full.waiver.fee) == (D("1349.50"), D("200.00"))
    # Three days after the call, at 18:00 Beijing time.
    assert full.waiver.valid_until == datetime(2024, 2, 1, 18, 0, tzinfo=SHANGHAI)
    assert full.schedule == (Instalment(1, date(2024, 2, 1), D("10850.50")),)


def test_collector_authority_is_half_capped_at_500_so_the_rest_needs_approval() -> None:
    full = wang_options("collector").full
    assert full.waiver is not None
    # 50 % of 1,549.50 is 774.75, above the 500 cap: 500 authorised, 1,049.50 to a team lead.
    assert full.waiver.authorised == D("500.00")
    assert full.needs_approval
    assert full.approval_amount == D("1049.50")


def test_team_lead_may_waive_it_all() -> None:
    full = wang_options("team_lead").full
    assert not full.needs_approval
    assert full.approval_amount == D("0")


def test_unknown_role_has_no_authority() -> None:
    options, _ = design_options(WANG, POLICY, "intern", CALL_TIME)
    assert options is not None
    assert options.full.approval_amount == D("1549.50")


def test_percentage_binds_before_the_cap() -> None:
    small = Balance(principal=D("1000.00"), penalty=D("300.00"), fee=D("100.00"))
    options, _ = design_options(small, POLICY, "collector", CALL_TIME)
    assert options is not None and options.full.waiver is not None
    # 50 % of 400 = 200, under the 500 cap.
    assert options.full.waiver.authorised == D("200.00")
    assert options.full.approval_amount == D("200.00")


def test_instalments_fit_capacity_in_whole_yuan_on_the_31st() -> None:
    plan = wang_options().instalments
    # 8 instalments would be 1,550 > 1,500; 9 gives 12,400 // 9 = 1,377
    # and a last of 12,400 - 8 × 1,377 = 1,384.
    assert [i.amount for i in plan.schedule] == [D("1377.00")] * 8 + [D("1384.00")]
    # First due at least 7 days after 29 Jan: the "31st" of February 2024 is the 29th (leap year).
    assert [i.due_date for i in plan.schedule] == [
        date(2024, 2, 29),
        date(2024, 3, 31),
        date(2024, 4, 30),
        date(2024, 5, 31),
        date(2024, 6, 30),
        date(2024, 7, 31),
        date(2024, 8, 31),
        date(2024, 9, 30),
        date(2024, 10, 31),
    ]
    assert [i.n for i in plan.schedule] == list(range(1, 10))
    assert plan.fits_capacity is True
    assert plan.waiver is None


def test_ladder_goodwill_today_then_the_rest() -> None:
    plan = wang_options().ladder
    assert plan.schedule[0] == Instalment(1, date(2024, 1, 29), D("500.00"))
    # 11,900 left: 7 would be 1,700; 8 gives 1,487 and a last of 11,900 - 7 × 1,487 = 1,491.
    assert [i.amount for i in plan.schedule[1:]] == [D("1487.00")] * 7 + [D("1491.00")]
    assert plan.schedule[1].due_date == date(2024, 2, 29)
    assert plan.schedule[-1].due_date == date(2024, 9, 30)
    assert plan.schedule[-1].n == 9


def test_remainder_with_fen_goes_to_the_last_instalment() -> None:
    balance = Balance(principal=D("1000.55"))
    policy = PlanPolicy(min_instalment=D("100.00"), default_instalments=3)
    options, _ = design_options(balance, policy, "collector", CALL_TIME, payment_day=15)
    assert options is not None
    assert [i.amount for i in options.instalments.schedule] == [D("333.00"), D("333.00"), D("334.55")]
    assert options.instalments.fits_capacity is None


def test_whole_amount_below_minimum_is_one_instalment() -> None:
    balance = Balance(principal=D("250.00"))
    options, _ = design_options(balance, POLICY, "collector", CALL_TIME, payment_day=10)
    assert options is not None
    assert [i.amount for i in options.instalments.schedule] == [D("250.00")]
    # The ladder's goodwill covers it all.
    assert [i.amount for i in options.ladder.schedule] == [D("250.00")]


def test_capacity_too_low_takes_the_longest_allowed_plan() -> None:
    balance = Balance(principal=D("100000.00"))
    options, _ = design_options(balance, POLICY, "collector", CALL_TIME, capacity=D("1000"), payment_day=5)
    assert options is not None
    plan = options.instalments
    assert plan.fits_capacity is False
    assert len(plan.schedule) == 24
    # 100,000 // 24 = 4,166; last = 100,000 - 23 × 4,166 = 4,182.
    assert plan.schedule[0].amount == D("4166.00")
    assert plan.schedule[-1].amount == D("4182.00")


def test_plan_length_limit_caps_the_count() -> None:
    policy = PlanPolicy(max_instalments=120, min_instalment=D("1.00"), max_plan_months=60, default_instalments=120)
    options, _ = design_options(Balance(principal=D("1000000.00")), policy, "x", CALL_TIME, payment_day=31)
    assert options is not None
    schedule = options.instalments.schedule
    # From 29 Jan 2024 the plan may run to 29 Jan 2029; first due 29 Feb 2024, so 59 monthly dates fit.
    assert schedule[-1].due_date == date(2028, 12, 31)
    assert len(schedule) == 59


def test_bad_requests_return_errors() -> None:
    naive = datetime(2024, 1, 29, 10, 30)
    options, errors = design_options(WANG, POLICY, "collector", naive)
    assert options is None and any("aware" in e.message for e in errors)
    options, errors = design_options(Balance(), POLICY, "collector", CALL_TIME)
    assert options is None and errors
    options, errors = design_options(WANG, POLICY, "collector", CALL_TIME, payment_day=32)
    assert options is None and errors
    options, errors = design_options(WANG, POLICY, "collector", CALL_TIME, time_zone="Mars/Olympus")
    assert options is None and errors
    options, errors = design_options(WANG, PlanPolicy(max_instalments=0), "collector", CALL_TIME)
    assert options is None and errors


def test_today_is_the_debtors_day() -> None:
    # 23:30 UTC on 31 Jan is already 1 Feb in Shanghai.
    late = datetime(2024, 1, 31, 23, 30, tzinfo=ZoneInfo("UTC"))
    options, _ = design_options(WANG, POLICY, "collector", late)
    assert options is not None
    assert options.ladder.schedule[0].due_date == date(2024, 2, 1)
    assert options.full.waiver is not None
    assert options.full.waiver.valid_until == datetime(2024, 2, 4, 18, tzinfo=SHANGHAI)


def test_summed_accounts() -> None:
    parts = [
        Balance(principal=D("6000.00"), penalty=D("1000.00")),
        Balance(principal=D("4000.00"), fee=D("50.00")),
    ]
    options, _ = design_options(parts, POLICY, "team_lead", CALL_TIME)
    assert options is not None
    assert options.full.owed == D("11050.00")
    assert options.full.total == D("10000.00")


def test_summaries_read_the_exact_figures() -> None:
    options = wang_options()
    zh = [summary(o) for o in options]
    en = [summary(o, "en") for o in options]
    assert zh[0] == (
        "一次性结清：2024年2月1日18:00前还款10,850.50元，减免滞纳金1,349.50元、费用200元（原欠款12,400元），"
        "其中1,049.50元减免需主管审批"
    )
    assert "分9期" in zh[1] and "前8期每期1,377元，最后一期1,384元" in zh[1] and "首期2024年2月29日" in zh[1]
    assert zh[2].startswith("阶梯式还款：今天（2024年1月29日）先还500元，余下11,900元分8期")
    assert en[0].startswith("Pay in full: 10,850.50 yuan by 18:00 on 1 Feb 2024")
    assert "1,049.50 yuan of the waiver needs a team lead's approval" in en[0]
    assert "9 monthly instalments on the 31st" in en[1] and "last on 31 Oct 2024" in en[1]
    assert "then the remaining 11,900 yuan in 8 monthly instalments" in en[2]
    # Fen are shown when present, even where the policy shows whole yuan, and always when asked for.
    assert "12,400.00" in summary(options.full, "zh-Hans", whole_yuan=False)


def test_deferral_only_when_allowed() -> None:
    option, errors = propose_deferral(WANG, POLICY, date(2024, 1, 31), 1)
    assert option is None and errors
    allowing = PlanPolicy(deferral_allowed=True, max_deferral_months=3)
    option, errors = propose_deferral(WANG, allowing, date(2024, 1, 31), 1)
    assert errors == [] and option is not None
    assert option.kind is OptionKind.DEFERRAL
    assert option.schedule == (Instalment(1, date(2024, 2, 29), D("12400.00")),)
    option, errors = propose_deferral(WANG, allowing, date(2024, 1, 31), 4)
    assert option is None and errors
    option, _ = propose_deferral(WANG, allowing, date(2024, 1, 31), 1)
    assert option is not None and summary(option) == "延期还款：2024年2月29日前还清12,400元"


def test_deferring_a_plan_keeps_the_payment_day() -> None:
    allowing = PlanPolicy(deferral_allowed=True, max_deferral_months=3)
    schedule = [
        Instalment(1, date(2024, 12, 31), D("100.00")),
        Instalment(2, date(2025, 1, 31), D("100.00")),
        Instalment(3, date(2025, 2, 28), D("100.00")),
    ]
    moved, errors = defer_schedule(schedule, 1, allowing, date(2024, 12, 1), 31, from_n=2)
    assert errors == [] and moved is not None
    assert [i.due_date for i in moved] == [date(2024, 12, 31), date(2025, 2, 28), date(2025, 3, 31)]
    assert [i.amount for i in moved] == [D("100.00")] * 3
    too_long = PlanPolicy(deferral_allowed=True, max_deferral_months=3, max_plan_months=3)
    moved, errors = defer_schedule(schedule, 2, too_long, date(2024, 12, 1), 31)
    assert moved is None and errors


# ---- properties --------------------------------------------------------------------------------

fen = st.integers(0, 50_000_000).map(lambda n: Decimal(n) / 100)


@st.composite
def balances(draw: st.DrawFn) -> Balance:
    b = Balance(principal=draw(fen), interest=draw(fen), fee=draw(fen), penalty=draw(fen))
    if b.total == 0:
        return Balance(principal=D("0.01"))
    return b


@st.composite
def policies(draw: st.DrawFn) -> PlanPolicy:
    return PlanPolicy(
        max_instalments=draw(st.integers(1, 72)),
        min_instalment=Decimal(draw(st.integers(1, 500_000))) / 100,
        max_plan_months=draw(st.integers(1, 60)),
        waiver_authority={
            "collector": WaiverAuthority(
                max_amount=Decimal(draw(st.integers(0, 1_000_000))) / 100,
                max_percent=Decimal(draw(st.integers(0, 100))),
            )
        },
        full_payment_waiver_percent=Decimal(draw(st.integers(0, 100))),
        goodwill_first_payment=Decimal(draw(st.integers(1, 200_000))) / 100,
        default_instalments=draw(st.integers(1, 36)),
        first_due_min_days=draw(st.integers(0, 20)),
    )


def _months_later(start: date, months: int) -> date:
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(start.day, calendar.monthrange(year, month + 1)[1]))


@settings(max_examples=300)
@given(
    balance=balances(),
    policy=policies(),
    capacity=st.none() | st.integers(1, 5_000_000).map(lambda n: Decimal(n) / 100),
    day=st.integers(1, 31),
    moment=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1)),
)
def test_every_option_is_exact_bounded_and_dated(
    balance: Balance, policy: PlanPolicy, capacity: Decimal | None, day: int, moment: datetime
) -> None:
    now = moment.replace(tzinfo=SHANGHAI)
    options, errors = design_options(balance, policy, "collector", now, capacity=capacity, payment_day=day)
    assert errors == [] and options is not None
    today = now.date()
    end = _months_later(today, policy.max_plan_months)
    for option in options:
        amounts = [i.amount for i in option.schedule]
        assert sum(amounts) == option.total
        assert all(a == a.quantize(D("0.01")) for a in amounts)
        # Nothing to pay happens only when the waiver covers everything owed.
        assert all(a > 0 for a in amounts) or (option.kind is OptionKind.FULL_WITH_WAIVER and option.total == 0)
        dates = [i.due_date for i in option.schedule]
        assert all(a < b for a, b in itertools.pairwise(dates))
        assert dates[0] >= today and dates[-1] <= end
        assert [i.n for i in option.schedule] == list(range(1, len(dates) + 1))
    assert options.instalments.total == options.ladder.total == balance.total

    minimum = policy.min_instalment
    plan = [i.amount for i in options.instalments.schedule]
    assert len(plan) <= policy.max_instalments
    if balance.total < minimum:
        assert plan == [balance.total]
    else:
        assert all(a >= minimum for a in plan)
    assert all(a == a.to_integral_value() for a in plan[:-1])
    assert all(a == plan[0] for a in plan[:-1]) and plan[-1] >= plan[0]
    if capacity is not None and options.instalments.fits_capacity:
        assert max(plan) <= capacity

    ladder = [i.amount for i in options.ladder.schedule]
    assert ladder[0] == min(policy.goodwill_first_payment, balance.total)
    rest = ladder[1:]
    if rest:
        if sum(rest) < minimum:
            assert len(rest) == 1
        else:
            assert all(a >= minimum for a in rest)
        assert len(ladder) <= max(policy.max_instalments, 2)

    full = options.full
    waivable = balance.penalty + balance.fee
    if full.waiver is not None:
        w = full.waiver
        assert w.penalty <= balance.penalty and w.fee <= balance.fee
        assert w.authorised + w.needs_approval == w.total
        authority = policy.waiver_authority["collector"]
        assert w.authorised <= authority.max_amount
        assert w.authorised <= waivable * authority.max_percent / 100
        assert full.total == balance.total - w.total
        assert w.valid_until.tzinfo is not None and w.valid_until.date() == today + timedelta(days=3)
    else:
        assert full.total == balance.total


# ---- the debtor's asks (the plan panel) ---------------------------------------------------------


def test_three_instalments_and_a_2000_first_payment_as_asked() -> None:
    options, errors = design_options(
        WANG, POLICY, "collector", CALL_TIME, payment_day=15, instalments=3, first_payment=D("2000.00")
    )
    assert errors == [] and options is not None
    assert [i.amount for i in options.instalments.schedule] == [D("4133.00"), D("4133.00"), D("4134.00")]
    ladder = options.ladder.schedule
    assert [i.amount for i in ladder] == [D("2000.00"), D("5200.00"), D("5200.00")]
    assert ladder[0].due_date == CALL_TIME.date() and ladder[1].due_date == date(2024, 2, 15)


def test_more_instalments_than_the_minimum_allows_names_the_limit() -> None:
    small = Balance(principal=D("1200.00"))
    options, errors = design_options(small, POLICY, "collector", CALL_TIME, instalments=5)
    assert options is None
    assert [(e.code, dict(e.params)["highest"]) for e in errors] == [("instalments_above", "4")]


def test_a_first_payment_above_the_balance_is_refused() -> None:
    options, errors = design_options(WANG, POLICY, "collector", CALL_TIME, first_payment=D("12400.01"))
    assert options is None and [e.code for e in errors] == ["first_payment_above"]
    options, errors = design_options(WANG, POLICY, "collector", CALL_TIME, first_payment=D("0.001"))
    assert options is None and [e.code for e in errors] == ["first_payment_invalid"]


@settings(max_examples=200)
@given(
    balance=balances(),
    policy=policies(),
    day=st.integers(1, 31),
    wanted=st.integers(1, 80),
    first=st.none() | st.integers(1, 5_000_000).map(lambda n: Decimal(n) / 100),
    moment=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1)),
)
def test_asked_terms_are_met_exactly_or_refused_with_their_limit(
    balance: Balance, policy: PlanPolicy, day: int, wanted: int, first: Decimal | None, moment: datetime
) -> None:
    now = moment.replace(tzinfo=SHANGHAI)
    today = now.date()
    options, errors = design_options(
        balance, policy, "collector", now, payment_day=day, instalments=wanted, first_payment=first
    )
    highest = highest_instalments(balance.total, policy, today, day)
    if wanted > highest or (first is not None and first > balance.total):
        assert options is None and errors
        assert {e.code for e in errors} <= {"instalments_above", "first_payment_above"}
        return
    assert errors == [] and options is not None
    # The instalment plan has exactly the payments asked, in whole yuan but the last, and sums to the balance.
    plan = options.instalments.schedule
    assert len(plan) == wanted and sum(i.amount for i in plan) == balance.total
    assert plan[-1].due_date <= _months_later(today, policy.max_plan_months)
    # The ladder starts with the first payment asked, and never has more payments than asked (one at least).
    ladder = options.ladder.schedule
    assert sum(i.amount for i in ladder) == balance.total
    if first is not None:
        assert ladder[0].amount == first
    assert len(ladder) <= max(wanted, 2)
