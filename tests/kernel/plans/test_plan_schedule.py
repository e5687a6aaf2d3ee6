"""Monthly due dates: month ends, February, leap years, first due dates, monotonic schedules."""

from __future__ import annotations

import calendar
import itertools
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from huikuan.kernel.plans.schedule import add_months, check_payment_day, first_due_date, monthly_due_dates


def test_31st_lands_on_feb_29_in_a_leap_year_and_returns_to_31st() -> None:
    assert monthly_due_dates(date(2024, 1, 31), 4) == [
        date(2024, 1, 31),
        date(2024, 2, 29),
        date(2024, 3, 31),
        date(2024, 4, 30),
    ]


def test_31st_lands_on_feb_28_in_a_common_year() -> None:
    assert monthly_due_dates(date(2023, 1, 31), 3) == [
        date(2023, 1, 31),
        date(2023, 2, 28),
        date(2023, 3, 31),
    ]


def test_century_rules_for_february() -> None:
    # 2000 is a leap year (divisible by 400); 2100 is not (divisible by 100 only).
    assert add_months(date(2000, 1, 31), 1) == date(2000, 2, 29)
    assert add_months(date(2100, 1, 31), 1) == date(2100, 2, 28)


def test_clamped_first_date_needs_the_payment_day_to_come_back() -> None:
    assert monthly_due_dates(date(2025, 2, 28), 3, payment_day=31) == [
        date(2025, 2, 28),
        date(2025, 3, 31),
        date(2025, 4, 30),
    ]
    # Without the payment day the plan follows the 28th, which is what the caller asked for.
    assert monthly_due_dates(date(2025, 2, 28), 2) == [date(2025, 2, 28), date(2025, 3, 28)]


def test_30th_and_29th_in_february() -> None:
    assert monthly_due_dates(date(2025, 1, 30), 3) == [
        date(2025, 1, 30),
        date(2025, 2, 28),
        date(2025, 3, 30),
    ]
    assert monthly_due_dates(date(2024, 1, 29), 2) == [date(2024, 1, 29), date(2024, 2, 29)]


def test_year_rolls_over() -> None:
    assert monthly_due_dates(date(2024, 11, 15), 3) == [
        date(2024, 11, 15),
        date(2024, 12, 15),
        date(2025, 1, 15),
    ]
    assert add_months(date(2024, 1, 15), -2) == date(2023, 11, 15)


def test_first_due_date_respects_lead_days() -> None:
    # The 15th is only 5 days away, below the 7-day lead: next month's 15th.
    assert first_due_date(date(2025, 3, 10), 15, 7) == date(2025, 4, 15)
    assert first_due_date(date(2025, 3, 10), 20, 7) == date(2025, 3, 20)
    assert first_due_date(date(2025, 3, 10), 10, 0) == date(2025, 3, 10)
    # The 31st in February is the 28th, still at least a week away.
    assert first_due_date(date(2025, 2, 20), 31, 7) == date(2025, 2, 28)
    assert first_due_date(date(2025, 2, 23), 31, 7) == date(2025, 3, 31)


def test_payment_day_is_checked() -> None:
    assert check_payment_day(0)
    assert check_payment_day(32)
    assert check_payment_day(31) == []


def _months_between(a: date, b: date) -> int:
    return (b.year - a.year) * 12 + b.month - a.month


@given(
    start=st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31)),
    day=st.integers(1, 31),
    count=st.integers(1, 72),
)
def test_schedule_is_monotonic_one_per_month_on_the_day_or_month_end(start: date, day: int, count: int) -> None:
    first = first_due_date(start, day, 0)
    dates = monthly_due_dates(first, count, day)
    assert len(dates) == count
    assert dates[0] >= start
    assert dates[0] - start < timedelta(days=32)
    for k, (earlier, later) in enumerate(itertools.pairwise(dates)):
        assert earlier < later
        assert _months_between(earlier, later) == 1, k
    for d in dates:
        last_day = calendar.monthrange(d.year, d.month)[1]
        assert d.day == min(day, last_day)
    assert _months_between(dates[0], dates[-1]) == count - 1
