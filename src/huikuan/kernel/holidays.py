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

The official table (``HolidayTable``): the State Council publishes each year's arrangement in the autumn
before, and an installation imports it as data (the ``holidays`` app, ``huikuan holidays import``). A
year the table holds is answered from the table alone (a day not in it is a weekday or a weekend day);
any other year from the library, as above. The kernel takes the table as an argument: it never reads it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
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


# Cached: the package validates every date against min() and max() of its whole holiday table (~0.1 ms a call),
# and the gate asks about the same few days for every message of a batch. A day's answer never changes
# within a process (the package's data is fixed at install), and the warning below is still logged once
# per year, by the first call that computes it.
@lru_cache(maxsize=4096)
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


HOLIDAY = "holiday"
WORKDAY = "workday"  # a make-up working day (调休上班): a weekend day worked in exchange for a holiday
DAY_KINDS = (HOLIDAY, WORKDAY)


@dataclass(frozen=True, slots=True)
class OfficialDay:
    calendar: str
    day: date
    kind: str
    name: str


@dataclass(frozen=True, slots=True)
class HolidayTable:
    """One calendar's official days as data, for the years it holds; other years fall back to the library."""

    calendar: str
    entries: tuple[OfficialDay, ...] = ()
    _by_day: dict[date, OfficialDay] = field(default_factory=dict, init=False, compare=False, hash=False, repr=False)
    years: frozenset[int] = field(default=frozenset(), init=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_day", {e.day: e for e in self.entries if e.calendar == self.calendar})
        object.__setattr__(self, "years", frozenset(d.year for d in self._by_day))

    def entry(self, day: date) -> OfficialDay | None:
        return self._by_day.get(day)


Calendar = str | HolidayTable


def table_of(calendar: str, entries: Iterable[OfficialDay]) -> HolidayTable:
    return HolidayTable(calendar, tuple(sorted((e for e in entries if e.calendar == calendar), key=lambda e: e.day)))


def _table_day(table: HolidayTable, day: date) -> DayInfo:
    entry = table.entry(day)
    if entry is None:
        return DayInfo(day, False, day.weekday() < 5, None)
    if entry.kind == HOLIDAY:
        return DayInfo(day, True, False, entry.name)
    return DayInfo(day, False, True, entry.name)


def day_info(calendar: Calendar, day: date) -> DayInfo:
    """What kind of day ``day`` is in ``calendar`` ('cn', 'us' or 'uk', or an official table of one)."""
    if isinstance(calendar, HolidayTable):
        if day.year in calendar.years:
            return _table_day(calendar, day)
        calendar = calendar.calendar
    if calendar == "cn":
        return _cn_day(day)
    if calendar == "us":
        name = _us_year(day.year).get(day)
    elif calendar == "uk":
        name = _uk_year(day.year).get(day)
    else:
        raise ValueError(f"unknown holiday calendar {calendar!r}; known: {', '.join(CALENDARS)}")
    return DayInfo(day, name is not None, name is None and day.weekday() < 5, name)


def is_public_holiday(calendar: Calendar, day: date) -> bool:
    return day_info(calendar, day).public_holiday


def is_working_day(calendar: Calendar, day: date) -> bool:
    """A day people work: a weekday that is no holiday, or a make-up working day."""
    return day_info(calendar, day).working_day


def next_working_day(calendar: Calendar, day: date) -> date:
    """The first working day strictly after ``day``."""
    day += timedelta(days=1)
    while not is_working_day(calendar, day):
        day += timedelta(days=1)
    return day


def working_day_on_or_before(calendar: Calendar, day: date) -> date:
    """``day`` itself when people work then, else the last working day before it."""
    while not is_working_day(calendar, day):
        day -= timedelta(days=1)
    return day


def next_non_holiday(calendar: Calendar, day: date) -> date:
    """The first day on or after ``day`` that is not a public holiday (weekends are not holidays)."""
    while is_public_holiday(calendar, day):
        day += timedelta(days=1)
    return day


def holidays_between(calendar: Calendar, first: date, last: date) -> list[date]:
    """Public holidays in [first, last], for building lookup tables in batch work."""
    out: list[date] = []
    day = first
    while day <= last:
        if is_public_holiday(calendar, day):
            out.append(day)
        day += timedelta(days=1)
    return out


# The official table's CSV (docs/holidays.md): one row per day, header ``calendar,date,kind,name``.
CSV_COLUMNS = ("calendar", "date", "kind", "name")


@dataclass(frozen=True, slots=True)
class RowError:
    row: int  # 1 = the header, 2 = the first day
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.message}"


def parse_official_days(rows: Iterable[Iterable[str]]) -> tuple[list[OfficialDay], list[RowError]]:
    """The days of an official-calendar CSV, or every error at once (with its row and column).

    A make-up working day must fall on a weekend (otherwise it changes nothing), a day appears once per
    calendar, and the calendar is one the kernel knows.
    """
    it = iter(rows)
    header = [h.strip().lower() for h in next(it, [])]
    if tuple(header) != CSV_COLUMNS:
        return [], [RowError(1, "header", f"the header must be {','.join(CSV_COLUMNS)}")]
    days: list[OfficialDay] = []
    errors: list[RowError] = []
    seen: set[tuple[str, date]] = set()
    for number, raw in enumerate(it, start=2):
        cells = [c.strip() for c in raw]
        if not any(cells):
            continue
        if len(cells) != len(CSV_COLUMNS):
            errors.append(RowError(number, "*", f"expected {len(CSV_COLUMNS)} columns, found {len(cells)}"))
            continue
        row_errors, day = official_day(number, *cells)
        errors.extend(row_errors)
        if day is None:
            continue
        if (day.calendar, day.day) in seen:
            errors.append(RowError(number, "date", f"{day.day.isoformat()} appears twice"))
            continue
        seen.add((day.calendar, day.day))
        days.append(day)
    return (days, []) if not errors else ([], errors)


def official_day(
    number: int, calendar: str, when: str, kind: str, name: str
) -> tuple[list[RowError], OfficialDay | None]:
    """One row's day, or its errors (also the admin's check of a day entered by hand)."""
    errors = []
    if calendar not in CALENDARS:
        errors.append(RowError(number, "calendar", f"{calendar!r} is not one of {', '.join(CALENDARS)}"))
    try:
        day = date.fromisoformat(when)
    except ValueError:
        errors.append(RowError(number, "date", f"{when!r} is not a date (YYYY-MM-DD)"))
        day = None
    if kind not in DAY_KINDS:
        errors.append(RowError(number, "kind", f"{kind!r} is not one of {', '.join(DAY_KINDS)}"))
    elif kind == WORKDAY and day is not None and day.weekday() < 5:
        errors.append(RowError(number, "kind", f"{when} is a weekday: only a weekend day can be a make-up working day"))
    if not name:
        errors.append(RowError(number, "name", "the name is empty"))
    elif len(name) > 60:
        errors.append(RowError(number, "name", "the name is longer than 60 characters"))
    if errors or day is None:
        return errors, None
    return [], OfficialDay(calendar, day, kind, name)


def library_knows(calendar: str, year: int) -> bool:
    """Whether the library alone knows ``year``'s arrangement (China's lunar holidays are published yearly)."""
    return not day_info(calendar, date(year, 1, 1)).approximate


def year_missing(calendar: str, today: date, held: set[int], warn_from: tuple[int, int] = (11, 1)) -> int | None:
    """Next year, when it is ``warn_from`` (month, day) or later and neither the table nor the library knows it."""
    if (today.month, today.day) < warn_from:
        return None
    year = today.year + 1
    return None if year in held or library_knows(calendar, year) else year
