"""Lunar festivals and the day a care greeting goes out."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from huikuan.kernel.festivals import birthday_in, festival_date, festivals_sent_on, send_day
from huikuan.kernel.holidays import HOLIDAY, HolidayTable, OfficialDay, is_working_day


def test_the_festivals_of_2027_from_the_lunar_calendar() -> None:
    # Published almanac dates: 春节 6 Feb, 端午 9 Jun, 中秋 15 Sep 2027.
    assert festival_date("spring_festival", 2027) == date(2027, 2, 6)
    assert festival_date("dragon_boat", 2027) == date(2027, 6, 9)
    assert festival_date("mid_autumn", 2027) == date(2027, 9, 15)


def test_a_greeting_that_would_fall_on_a_weekend_goes_on_the_friday_before() -> None:
    mid_autumn = date(2027, 9, 15)
    assert (mid_autumn - timedelta(days=4)).weekday() == 5  # Saturday 11 September
    assert send_day(mid_autumn, 4, "cn", working_days_only=True) == date(2027, 9, 10)
    assert send_day(mid_autumn, 4, "cn", working_days_only=False) == date(2027, 9, 11)
    assert festivals_sent_on(date(2027, 9, 10), ("mid_autumn", "dragon_boat"), 4, "cn", True) == [
        ("mid_autumn", mid_autumn)
    ]
    assert festivals_sent_on(date(2027, 9, 11), ("mid_autumn",), 4, "cn", True) == []


def test_the_eve_of_the_spring_festival_next_january_is_found_in_december() -> None:
    assert festival_date("spring_festival", 2028) == date(2028, 1, 26)
    table = HolidayTable("cn", ())
    assert festivals_sent_on(date(2028, 1, 25), ("spring_festival",), 1, table, True) == [
        ("spring_festival", date(2028, 1, 26))
    ]


def test_a_29_february_birthday_is_kept_on_the_28th_in_other_years() -> None:
    assert birthday_in(date(1992, 2, 29), 2027) == date(2027, 2, 28)
    assert birthday_in(date(1992, 2, 29), 2028) == date(2028, 2, 29)


@given(st.integers(2000, 2090), st.sampled_from(["spring_festival", "dragon_boat", "mid_autumn"]), st.integers(0, 10))
def test_a_greeting_goes_on_a_working_day_at_or_before_its_day(year: int, key: str, days_before: int) -> None:
    festival = festival_date(key, year)
    table = HolidayTable("cn", (OfficialDay("cn", festival - timedelta(days=1), HOLIDAY, "eve"),))
    sent = send_day(festival, days_before, table, working_days_only=True)
    assert sent <= festival - timedelta(days=days_before) and is_working_day(table, sent)
    assert festivals_sent_on(sent, (key,), days_before, table, True) == [(key, festival)]
