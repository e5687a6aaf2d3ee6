"""Traditional festivals on the lunar calendar, and the days care campaigns fall on.

春节 (1st of the 1st lunar month), 端午 (5th of the 5th) and 中秋 (15th of the 8th) move every year in the
Gregorian calendar; ``lunardate`` (pure Python, tables for 1900–2099) converts them. The day a campaign
sends on is a number of days before the festival, moved back to the last working day before it when that
day is a weekend or an official holiday: a greeting on a rest day would be refused by the gate's holiday
rule anyway, and one after the festival is no greeting.
"""

from __future__ import annotations

from datetime import date, timedelta

from lunardate import LunarDate

from huikuan.kernel.holidays import Calendar, working_day_on_or_before

# key → (lunar month, lunar day)
LUNAR_FESTIVALS: dict[str, tuple[int, int]] = {
    "spring_festival": (1, 1),
    "dragon_boat": (5, 5),
    "mid_autumn": (8, 15),
}
FESTIVALS = (*LUNAR_FESTIVALS, "birthday")


def festival_date(key: str, year: int) -> date:
    """The Gregorian date of festival ``key`` in ``year``."""
    month, day = LUNAR_FESTIVALS[key]
    return LunarDate(year, month, day).to_solar_date()


def send_day(festival: date, days_before: int, calendar: Calendar, working_days_only: bool) -> date:
    """The day a greeting for ``festival`` goes out."""
    day = festival - timedelta(days=days_before)
    return working_day_on_or_before(calendar, day) if working_days_only else day


def festivals_sent_on(
    today: date, keys: tuple[str, ...], days_before: int, calendar: Calendar, working_days_only: bool
) -> list[tuple[str, date]]:
    """The lunar festivals among ``keys`` whose greeting goes out ``today`` (this year's or next January's)."""
    found = []
    for key in keys:
        if key not in LUNAR_FESTIVALS:
            continue
        for year in (today.year, today.year + 1):
            festival = festival_date(key, year)
            if send_day(festival, days_before, calendar, working_days_only) == today:
                found.append((key, festival))
    return found


def birthday_in(born: date, year: int) -> date:
    """The birthday in ``year``; 29 February falls on the 28th in other years."""
    try:
        return born.replace(year=year)
    except ValueError:
        return date(year, 2, 28)
