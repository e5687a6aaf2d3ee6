"""Promise-to-pay states around the grace boundary, partial and early payments, batch settlement."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huikuan.kernel.promises import (
    Promise,
    PromisePayment,
    PromiseState,
    evaluate_promise,
    promise_problems,
    promise_state,
    settle_promises,
    settle_promises_frame,
)

D = Decimal
GRACE = 3
# Persona: 张先生 promised on the phone on 1 March to pay 1,000 元 by 10 March; the policy allows 3 days'
# grace, so the last day that keeps the promise is 13 March.
PROMISE = Promise(D("1000.00"), date(2025, 3, 10), date(2025, 3, 1), "call", key="case-7", promise_id="ptp-1")


def pay(day: int, amount: str, month: int = 3) -> PromisePayment:
    return PromisePayment(date(2025, month, day), D(amount), key="case-7")


@pytest.mark.parametrize(
    ("payments", "as_of", "expected"),
    [
        ([], date(2025, 3, 5), PromiseState.PENDING),
        ([], date(2025, 3, 10), PromiseState.PENDING),
        # The last grace day is still open...
        ([], date(2025, 3, 13), PromiseState.PENDING),
        # ...and the day after it settles the promise.
        ([], date(2025, 3, 14), PromiseState.BROKEN),
        ([pay(13, "1000.00")], date(2025, 3, 13), PromiseState.KEPT),
        ([pay(13, "1000.00")], date(2025, 3, 20), PromiseState.KEPT),
        # One day late is late.
        ([pay(14, "1000.00")], date(2025, 3, 14), PromiseState.BROKEN),
        ([pay(2, "1000.00")], date(2025, 3, 2), PromiseState.KEPT),
        # Paid on the day the promise was made: counts.
        ([pay(1, "1000.00")], date(2025, 3, 14), PromiseState.KEPT),
        # Paid the day before the promise was made: settled something else.
        ([pay(28, "1000.00", month=2)], date(2025, 3, 14), PromiseState.BROKEN),
        ([pay(8, "400.00")], date(2025, 3, 13), PromiseState.PENDING),
        ([pay(8, "400.00")], date(2025, 3, 14), PromiseState.PARTLY_KEPT),
        ([pay(8, "600.00"), pay(13, "400.00")], date(2025, 3, 14), PromiseState.KEPT),
        ([pay(8, "999.99")], date(2025, 3, 14), PromiseState.PARTLY_KEPT),
        ([pay(8, "1500.00")], date(2025, 3, 14), PromiseState.KEPT),
        # A payment after the as-of day is not known yet.
        ([pay(8, "1000.00")], date(2025, 3, 7), PromiseState.PENDING),
        ([pay(8, "500.00"), pay(14, "500.00")], date(2025, 3, 20), PromiseState.PARTLY_KEPT),
    ],
)
def test_state_around_the_grace_boundary(payments: list[PromisePayment], as_of: date, expected: PromiseState) -> None:
    assert promise_state(PROMISE, payments, as_of, GRACE) is expected


def test_without_grace_the_due_date_is_the_last_day() -> None:
    assert promise_state(PROMISE, [], date(2025, 3, 10), 0) is PromiseState.PENDING
    assert promise_state(PROMISE, [], date(2025, 3, 11), 0) is PromiseState.BROKEN
    assert promise_state(PROMISE, [pay(11, "1000.00")], date(2025, 3, 11), 0) is PromiseState.BROKEN


def test_outcome_carries_paid_and_shortfall() -> None:
    outcome = evaluate_promise(PROMISE, [pay(8, "400.00"), pay(28, "50.00", month=2)], date(2025, 3, 14), GRACE)
    assert outcome.state is PromiseState.PARTLY_KEPT
    assert outcome.paid == D("400.00")
    assert outcome.shortfall == D("600.00")
    assert outcome.promise_id == "ptp-1"


def test_settle_matches_payments_by_key_and_reports_bad_promises() -> None:
    other = Promise(D("200.00"), date(2025, 3, 10), date(2025, 3, 1), "sms", key="case-8", promise_id="ptp-2")
    bad = Promise(D("0"), date(2025, 3, 10), date(2025, 3, 12), "", key="case-9", promise_id="ptp-3")
    payments = [pay(5, "1000.00"), PromisePayment(date(2025, 3, 5), D("50.00"), key="case-8")]
    outcomes, errors = settle_promises([PROMISE, other, bad], payments, date(2025, 3, 14), GRACE)
    assert [(o.promise_id, o.state) for o in outcomes] == [
        ("ptp-1", PromiseState.KEPT),
        ("ptp-2", PromiseState.PARTLY_KEPT),
    ]
    assert {e.promise_id for e in errors} == {"ptp-3"}
    assert len(errors) == 3
    outcomes, errors = settle_promises([PROMISE], {"case-7": [pay(5, "1000.00")]}, date(2025, 3, 14), GRACE)
    assert outcomes[0].state is PromiseState.KEPT and errors == []
    outcomes, errors = settle_promises([PROMISE], [], date(2025, 3, 14), -1)
    assert outcomes == [] and errors


# ---- the columnar variant agrees with the rules ------------------------------------------------

DAY0 = date(2025, 1, 1)
MONEY = pl.Decimal(18, 2)


@st.composite
def portfolios(draw: st.DrawFn) -> tuple[list[Promise], list[PromisePayment]]:
    promises = []
    for i in range(draw(st.integers(1, 12))):
        created = DAY0 + timedelta(days=draw(st.integers(0, 30)))
        due = created + timedelta(days=draw(st.integers(0, 20)))
        amount = Decimal(draw(st.integers(1, 500_000))) / 100
        promises.append(Promise(amount, due, created, "call", key=f"k{i % 5}", promise_id=f"p{i}"))
    payments = [
        PromisePayment(
            DAY0 + timedelta(days=draw(st.integers(-5, 60))),
            Decimal(draw(st.integers(1, 300_000))) / 100,
            key=f"k{draw(st.integers(0, 5))}",
        )
        for _ in range(draw(st.integers(0, 20)))
    ]
    return promises, payments


@settings(max_examples=100, deadline=None)
@given(
    portfolio=portfolios(),
    as_of_offset=st.integers(0, 70),
    grace=st.integers(0, 7),
)
def test_polars_settlement_agrees_with_the_rules(
    portfolio: tuple[list[Promise], list[PromisePayment]], as_of_offset: int, grace: int
) -> None:
    promises, payments = portfolio
    as_of = DAY0 + timedelta(days=as_of_offset)
    expected, errors = settle_promises(promises, payments, as_of, grace)
    assert errors == []
    promise_frame = pl.DataFrame(
        {
            "promise_id": [p.promise_id for p in promises],
            "key": [p.key for p in promises],
            "amount": [p.amount for p in promises],
            "due_date": [p.due_date for p in promises],
            "created_on": [p.created_on for p in promises],
        },
        schema_overrides={"amount": MONEY},
    )
    payment_frame = pl.DataFrame(
        {
            "key": [p.key for p in payments],
            "paid_on": [p.paid_on for p in payments],
            "amount": [p.amount for p in payments],
        },
        schema={"key": pl.String, "paid_on": pl.Date, "amount": MONEY},
    )
    frame = settle_promises_frame(promise_frame, payment_frame, as_of, grace).sort("promise_id")
    by_id = {o.promise_id: o for o in expected}
    assert frame.height == len(expected)
    for row in frame.iter_rows(named=True):
        outcome = by_id[row["promise_id"]]
        assert row["state"] == outcome.state.value
        assert row["paid"] == outcome.paid
        assert row["shortfall"] == outcome.shortfall


# ---- what a promise may be (promise_problems): the balance and the horizon ------------------------

TODAY = date(2026, 12, 6)


def test_the_reproduced_promise_is_refused_for_both_reasons() -> None:
    # 99,999,999 on a 142,311 balance, due in seven months.
    problems = promise_problems(D("99999999.00"), date(2027, 7, 6), TODAY, D("142311.00"), 30)
    assert [p.code for p in problems] == ["above_balance", "beyond_horizon"]
    assert dict(problems[0].params)["owed"] == "142,311.00"
    assert dict(problems[1].params) == {"days": "30", "last": "2027-01-05"}


def test_the_whole_balance_on_the_last_day_of_the_horizon_is_fine() -> None:
    assert promise_problems(D("142311.00"), TODAY + timedelta(days=30), TODAY, D("142311.00"), 30) == []


def test_a_promise_before_today_or_of_nothing_is_refused() -> None:
    assert [p.code for p in promise_problems(D("1.00"), TODAY - timedelta(days=1), TODAY, D("5.00"))] == [
        "before_today"
    ]
    assert [p.code for p in promise_problems(D("0.00"), TODAY, TODAY, D("5.00"))] == ["amount_invalid"]
    assert [p.code for p in promise_problems(D("1.005"), TODAY, TODAY, D("5.00"))] == ["amount_invalid"]


amounts = st.integers(1, 10**10).map(lambda n: Decimal(n) / 100)


@given(amount=amounts, owed=amounts, days=st.integers(-400, 400), horizon=st.integers(0, 365))
def test_a_promise_is_accepted_exactly_when_it_is_within_the_balance_and_the_horizon(
    amount: Decimal, owed: Decimal, days: int, horizon: int
) -> None:
    problems = {p.code for p in promise_problems(amount, TODAY + timedelta(days=days), TODAY, owed, horizon)}
    assert ("above_balance" in problems) == (amount > owed)
    assert ("before_today" in problems) == (days < 0)
    assert ("beyond_horizon" in problems) == (days > horizon)
    assert (not problems) == (amount <= owed and 0 <= days <= horizon)


@given(
    st.lists(st.tuples(st.integers(-5, 30), st.integers(1, 150_000)), max_size=4),
    st.integers(0, 30),
    st.integers(0, 30),
    st.integers(0, 5),
)
def test_with_the_same_payments_a_state_only_moves_forward_as_the_days_pass(
    paid: list[tuple[int, int]], first: int, later: int, grace: int
) -> None:
    # Settled (kept, partly kept, broken) never turns pending again, and kept stays kept: a promise can only go
    # back when money goes away (a reversal), never because time passed or an unrelated action settled it.
    payments = [PromisePayment(PROMISE.created_on + timedelta(days=d), D(f) / 100, key="case-7") for d, f in paid]
    day = PROMISE.created_on + timedelta(days=first)
    before = promise_state(PROMISE, payments, day, grace)
    after = promise_state(PROMISE, payments, day + timedelta(days=later), grace)
    if before is not PromiseState.PENDING:
        assert after is before
