"""Public-holiday calendars for the compliance gate: China (with make-up working days), US federal, UK.

China: the ``chinese_calendar`` package knows the State Council's holiday arrangements, including the
make-up working days (调休上班, e.g. Saturday 2026-02-14), for 2004–2026 and raises NotImplementedError for
any later year, because the State Council only publishes a year's arrangement in the preceding November.

Fallback for uncovered years (decided here, shown to the user through ``DayInfo.approximate``): only the
fixed-date statutory holidays are treated as public holidays — 元旦 1 Jan, 劳动节 1 May, 国庆节 1–3 Oct —
plus ordinary weekends as rest days. Lunar holidays (春节, 清明, 端午, 中秋) and make-up working days are
unknown until published, so an approximate calendar under-blocks on those days; every answer drawn from
it carries ``approximate=True`` and one warning is logged per year, so an operator can tell that the
package needs upgrading rather than trusting the calendar silently.

US: federal holidays (5 U.S.C. 6103) with the Saturday→Friday / Sunday→Monday observance rule.
UK: England & Wales bank holidays by rule (one-off proclamations such as a coronation are not known).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar

logger = logging.getLogger(__name__)

CALENDARS = ("cn", "us", "uk")


@dataclass(frozen=True, slots=True)
class DayInfo:
    day: date
    public_holiday: bool
    working_day: bool
    name: str | None
    approximate: bool = False


_CN_FIXED = {(1, 1): "New Year's Day", (5, 1): "Labour Day", (10, 1): "National Day"}
_CN_FIXED |= {(10, 2): "National Day", (10, 3): "National Day"}
_warned_years: set[int] = set()


def _cn_day(day: date) -> DayInfo:
    try:
        is_holiday, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        if day.year not in _warned_years:
            _warned_years.add(day.year)
            logger.warning("chinese_calendar has no data for %s: fixed-date holidays only", day.year)
        fixed = _CN_FIXED.get((day.month, day.day))
        weekend = day.weekday() >= 5
        return DayInfo(day, fixed is not None, not (weekend or fixed), fixed, approximate=True)
    # The package answers is_holiday=True for plain weekends too; a statutory holiday carries a name.
    return DayInfo(day, bool(is_holiday and name), not is_holiday, name)


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _last_weekday(year: int, month: int, weekday: int) -> date:
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    last = nxt - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _easter(year: int) -> date:
    # Anonymous Gregorian computus (Meeus/Jones/Butcher).
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    m = (32 + 2 * e + 2 * i - h - k) % 7
    n = (a + 11 * h + 22 * m) // 451
    month = (h + m - 7 * n + 114) // 31
    return date(year, month, (h + m - 7 * n + 114) % 31 + 1)


def _observed_us(day: date) -> date:
    if day.weekday() == 5:
        return day - timedelta(days=1)
    if day.weekday() == 6:
        return day + timedelta(days=1)
    return day


@lru_cache(maxsize=64)
def _us_year(year: int) -> dict[date, str]:
    fixed = {
        date(year, 1, 1): "New Year's Day",
        date(year, 6, 19): "Juneteenth",
        date(year, 7, 4): "Independence Day",
        date(year, 11, 11): "Veterans Day",
        date(year, 12, 25): "Christmas Day",
    }
    days = {_observed_us(d): name for d, name in fixed.items()}
    days[_nth_weekday(year, 1, 0, 3)] = "Martin Luther King Jr. Day"
    days[_nth_weekday(year, 2, 0, 3)] = "Washington's Birthday"
    days[_last_weekday(year, 5, 0)] = "Memorial Day"
    days[_nth_weekday(year, 9, 0, 1)] = "Labor Day"
    days[_nth_weekday(year, 10, 0, 2)] = "Columbus Day"
    days[_nth_weekday(year, 11, 3, 4)] = "Thanksgiving Day"
    return days


def _substitute(day: date, taken: set[date]) -> date:
    while day.weekday() >= 5 or day in taken:
        day += timedelta(days=1)
    return day


@lru_cache(maxsize=64)
def _uk_year(year: int) -> dict[date, str]:
    easter = _easter(year)
    days: dict[date, str] = {
        easter - timedelta(days=2): "Good Friday",
        easter + timedelta(days=1): "Easter Monday",
        _nth_weekday(year, 5, 0, 1): "Early May bank holiday",
        _last_weekday(year, 5, 0): "Spring bank holiday",
        _last_weekday(year, 8, 0): "Summer bank holiday",
    }
    taken: set[date] = set(days)
    for fixed, name in ((date(year, 1, 1), "New Year's Day"), (date(year, 12, 25), "Christmas Day")):
        observed = _substitute(fixed, taken)
        days[observed] = name
        taken.add(observed)
    boxing = _substitute(date(year, 12, 26), taken)
    days[boxing] = "Boxing Day"
    return days


def day_info(calendar: str, day: date) -> DayInfo:
    """What kind of day ``day`` is in ``calendar`` ('cn', 'us' or 'uk')."""
    if calendar == "cn":
        return _cn_day(day)
    if calendar == "us":
        name = _us_year(day.year).get(day)
    elif calendar == "uk":
        name = _uk_year(day.year).get(day)
    else:
        raise ValueError(f"unknown holiday calendar {calendar!r}; known: {', '.join(CALENDARS)}")
    return DayInfo(day, name is not None, name is None and day.weekday() < 5, name)


def is_public_holiday(calendar: str, day: date) -> bool:
    return day_info(calendar, day).public_holiday


def next_non_holiday(calendar: str, day: date) -> date:
    """The first day on or after ``day`` that is not a public holiday (weekends are not holidays)."""
    while is_public_holiday(calendar, day):
        day += timedelta(days=1)
    return day


def holidays_between(calendar: str, first: date, last: date) -> list[date]:
    """Public holidays in [first, last], for building lookup tables in batch work."""
    out: list[date] = []
    day = first
    while day <= last:
        if is_public_holiday(calendar, day):
            out.append(day)
        day += timedelta(days=1)
    return out
