"""Holiday calendars: China's make-up working days, the fallback for unpublished years, US and UK sets."""

from __future__ import annotations

from datetime import date
from typing import Any

import chinese_calendar

from huikuan.kernel import holidays
from huikuan.kernel.holidays import day_info, holidays_between, next_non_holiday


def test_china_knows_golden_week_and_make_up_working_days() -> None:
    assert day_info("cn", date(2026, 10, 1)).public_holiday
    saturday = day_info("cn", date(2026, 2, 14))
    assert saturday.working_day and not saturday.public_holiday
    plain_sunday = day_info("cn", date(2026, 6, 7))
    assert not plain_sunday.public_holiday and not plain_sunday.working_day
    assert next_non_holiday("cn", date(2026, 10, 1)) == date(2026, 10, 8)


def test_china_fallback_for_an_unpublished_year_is_fixed_dates_and_says_so() -> None:
    national = day_info("cn", date(2027, 10, 3))
    assert national.public_holiday and national.approximate
    spring = day_info("cn", date(2027, 2, 8))  # a lunar holiday is unknown until the State Council publishes it
    assert not spring.public_holiday and spring.approximate
    assert not day_info("cn", date(2026, 10, 3)).approximate


def test_us_federal_holidays_with_observed_days() -> None:
    assert day_info("us", date(2026, 7, 3)).public_holiday  # 4 July 2026 is a Saturday
    assert day_info("us", date(2026, 11, 26)).name == "Thanksgiving Day"
    assert len(holidays_between("us", date(2026, 1, 1), date(2026, 12, 31))) == 11


def test_uk_bank_holidays_with_easter_and_substitutes() -> None:
    days = holidays_between("uk", date(2026, 1, 1), date(2026, 12, 31))
    assert date(2026, 4, 3) in days and date(2026, 4, 6) in days  # Good Friday, Easter Monday
    assert date(2026, 12, 28) in days  # Boxing Day on a Saturday moves to Monday
    assert len(days) == 8


def test_a_chinese_day_is_looked_up_in_the_library_once(monkeypatch: Any) -> None:
    """The gate asks about the same days for every message of a batch; the library checks each date against its
    whole table (min and max of every key) on every call, a tenth of the dispatcher's CPU."""
    calls: list[date] = []
    library = chinese_calendar.get_holiday_detail

    def counting(day: date) -> Any:
        calls.append(day)
        return library(day)

    monkeypatch.setattr(chinese_calendar, "get_holiday_detail", counting)
    holidays._cn_day.cache_clear()
    try:
        answers = [day_info("cn", date(2026, 10, 1)) for _ in range(3)] + [day_info("cn", date(2026, 10, 9))]
    finally:
        holidays._cn_day.cache_clear()  # the counting lookups' answers stay in no other test's way
    assert calls == [date(2026, 10, 1), date(2026, 10, 9)]
    assert answers[0] == answers[2] and answers[0].public_holiday and not answers[3].public_holiday
