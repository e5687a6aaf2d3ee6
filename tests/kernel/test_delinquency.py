from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huikuan.kernel.delinquency import Bucket, Stage, bucket, days_past_due, stage


@pytest.mark.parametrize(
    ("due", "as_of", "dpd"),
    [
        (date(2024, 1, 31), date(2024, 2, 1), 1),
        (date(2024, 1, 31), date(2024, 2, 29), 29),  # leap year: February has 29 days
        (date(2024, 1, 31), date(2024, 3, 1), 30),
        (date(2023, 1, 31), date(2023, 3, 1), 29),  # common year
        (date(2023, 12, 31), date(2024, 1, 1), 1),  # year end
        (date(2024, 2, 29), date(2025, 2, 28), 365),
        (date(2024, 2, 29), date(2024, 2, 29), 0),  # due today is not overdue
        (date(2024, 3, 31), date(2024, 3, 1), 0),  # not yet due
    ],
)
def test_dpd_counts_calendar_days_after_the_due_date(due: date, as_of: date, dpd: int) -> None:
    assert days_past_due(due, as_of) == dpd


@pytest.mark.parametrize(
    ("dpd", "expected"),
    [
        (0, Bucket.CURRENT),
        (1, Bucket.M1),
        (30, Bucket.M1),
        (31, Bucket.M2),
        (60, Bucket.M2),
        (61, Bucket.M3),
        (90, Bucket.M3),
        (91, Bucket.M3_PLUS),
        (4000, Bucket.M3_PLUS),
    ],
)
def test_bucket_boundaries(dpd: int, expected: Bucket) -> None:
    assert bucket(dpd) == expected


@pytest.mark.parametrize(
    ("dpd", "expected"),
    [
        (0, Stage.REMINDER),
        (3, Stage.REMINDER),
        (4, Stage.EARLY),
        (30, Stage.EARLY),
        (31, Stage.MIDDLE),
        (90, Stage.MIDDLE),
        (91, Stage.LATE),
    ],
)
def test_default_stage_boundaries(dpd: int, expected: Stage) -> None:
    assert stage(dpd) == expected


def test_legal_status_overrides_dpd() -> None:
    assert stage(5, legal=True) == Stage.LEGAL


def test_month_end_due_date_reaches_m2_on_the_same_day_in_leap_and_common_years() -> None:
    # Due 31 January: M2 starts at DPD 31, which is 2 March in a leap year and 3 March otherwise.
    assert bucket(days_past_due(date(2024, 1, 31), date(2024, 3, 2))) == Bucket.M2
    assert bucket(days_past_due(date(2024, 1, 31), date(2024, 3, 1))) == Bucket.M1
    assert bucket(days_past_due(date(2023, 1, 31), date(2023, 3, 3))) == Bucket.M2
    assert bucket(days_past_due(date(2023, 1, 31), date(2023, 3, 2))) == Bucket.M1


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)), st.integers(0, 3000))
def test_dpd_is_the_day_difference(due: date, days: int) -> None:
    assert days_past_due(due, due + timedelta(days=days)) == days
