"""Interest-bearing schedules against numpy-financial's PMT/IPMT, the independent reference."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal

import numpy_financial as npf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huikuan.kernel.plans.annuity import annuity_schedule, check_annuity


def acceptable_fen(reference: float) -> set[Decimal]:
    """The fen value(s) a float reference rounds to; both neighbours when it sits on a half fen.

    The reference computes in binary floating point, so a figure that is exactly x.xx5 in decimal may
    come out a hair either side; only there is either rounding accepted.
    """
    scaled = reference * 100
    floor = math.floor(scaled)
    if abs(scaled - floor - 0.5) < 1e-6:
        return {Decimal(floor) / 100, Decimal(floor + 1) / 100}
    return {Decimal(math.floor(scaled + 0.5)) / 100}


def test_known_loan_10000_at_1_percent_for_12_months() -> None:
    rows, errors = annuity_schedule(Decimal("10000.00"), Decimal("0.01"), 12, date(2025, 1, 31), 31)
    assert errors == []
    assert [r.payment for r in rows[:11]] == [Decimal("888.49")] * 11
    assert [r.interest for r in rows[:3]] == [Decimal("100.00"), Decimal("92.12"), Decimal("84.15")]
    assert rows[1].due_date == date(2025, 2, 28)
    assert rows[2].due_date == date(2025, 3, 31)
    assert sum(r.principal for r in rows) == Decimal("10000.00")
    assert rows[-1].balance_after == Decimal("0.00")


def test_zero_rate_is_equal_principal() -> None:
    rows, errors = annuity_schedule(Decimal("1000.00"), Decimal("0"), 3, date(2025, 1, 1))
    assert errors == []
    assert [r.payment for r in rows] == [Decimal("333.33"), Decimal("333.33"), Decimal("333.34")]
    assert all(r.interest == 0 for r in rows)


def test_bad_input_is_reported_not_raised() -> None:
    assert len(check_annuity(Decimal("-1"), Decimal("-0.01"), 0)) == 3
    rows, errors = annuity_schedule(Decimal("100.001"), Decimal("0.01"), 2, date(2025, 1, 1))
    assert rows == [] and errors


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
@settings(max_examples=300)
@given(
    principal_fen=st.integers(10_000, 100_000_000),
    annual_rate_bp=st.integers(0, 3600),
    periods=st.integers(1, 60),
)
def test_matches_numpy_financial_to_the_fen(principal_fen: int, annual_rate_bp: int, periods: int) -> None:
    principal = Decimal(principal_fen) / 100
    rate = Decimal(annual_rate_bp) / Decimal(10000) / Decimal(12)
    rows, errors = annuity_schedule(principal, rate, periods, date(2025, 1, 31), 31)
    assert errors == []
    reference_rate = annual_rate_bp / 10000 / 12
    reference_payment = -float(npf.pmt(reference_rate, periods, float(principal)))
    for row in rows:
        reference_interest = -float(npf.ipmt(reference_rate, row.n, periods, float(principal)))
        assert row.interest in acceptable_fen(reference_interest), (row, reference_interest)
        assert row.payment == row.interest + row.principal
        if row.n < periods:
            assert row.payment in acceptable_fen(reference_payment), (row, reference_payment)
    # The last payment carries the schedule's rounding: each earlier period's principal is off the exact
    # figure by at most a fen (half from the level payment, half from the interest).
    assert abs(rows[-1].payment - Decimal(str(reference_payment))) <= Decimal("0.01") * periods
    assert sum(r.principal for r in rows) == principal
    assert rows[-1].balance_after == 0


@settings(max_examples=300)
@given(
    principal_fen=st.integers(1, 100_000),
    annual_rate_bp=st.integers(0, 3600),
    periods=st.integers(1, 600),
)
def test_a_schedule_never_pays_money_back(principal_fen: int, annual_rate_bp: int, periods: int) -> None:
    # Small principals over many periods: either a schedule whose every payment is positive and whose
    # principal parts sum to the principal, or an error; never a last payment below zero.
    principal = Decimal(principal_fen) / 100
    rate = Decimal(annual_rate_bp) / Decimal(10000) / Decimal(12)
    rows, errors = annuity_schedule(principal, rate, periods, date(2025, 1, 31), 31)
    if errors:
        assert rows == []
        return
    assert all(r.payment > 0 and r.principal >= 0 for r in rows)
    assert sum(r.principal for r in rows) == principal


def test_too_small_a_principal_for_the_periods_is_an_error() -> None:
    rows, errors = annuity_schedule(Decimal("0.02"), Decimal("0"), 4, date(2025, 1, 1))
    assert rows == [] and errors
    rows, errors = annuity_schedule(Decimal("0.04"), Decimal("0"), 4, date(2025, 1, 1))
    assert [r.payment for r in rows] == [Decimal("0.01")] * 4
