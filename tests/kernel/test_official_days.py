"""The official holiday table as data: it overrides the library for the years it holds, and its CSV."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from huikuan.kernel.holidays import (
    HOLIDAY,
    WORKDAY,
    HolidayTable,
    OfficialDay,
    day_info,
    is_working_day,
    next_non_holiday,
    next_working_day,
    parse_official_days,
    working_day_on_or_before,
    year_missing,
)

# A made-up arrangement for 2027 (the test's own, not the State Council's): 国庆 1–7 October, make-up
# working days Sunday 26 September and Saturday 9 October.
NATIONAL_DAY_2027 = HolidayTable(
    "cn",
    (
        *(OfficialDay("cn", date(2027, 10, d), HOLIDAY, "国庆节") for d in range(1, 8)),
        OfficialDay("cn", date(2027, 9, 26), WORKDAY, "国庆节调休"),
        OfficialDay("cn", date(2027, 10, 9), WORKDAY, "国庆节调休"),
    ),
)


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_a_make_up_working_day_in_the_table_is_a_working_day_where_the_library_guesses_a_weekend() -> None:
    saturday = date(2027, 10, 9)
    assert saturday.weekday() == 5
    library = day_info("cn", saturday)
    assert library.approximate and not library.working_day
    table = day_info(NATIONAL_DAY_2027, saturday)
    assert table.working_day and not table.public_holiday and not table.approximate and table.name == "国庆节调休"


def test_a_holiday_the_library_cannot_know_is_a_rest_day_from_the_table() -> None:
    thursday = date(2027, 10, 7)  # the library knows 1–3 October only for a year it has no data for
    assert day_info("cn", thursday).working_day
    assert day_info(NATIONAL_DAY_2027, thursday).public_holiday
    assert next_non_holiday(NATIONAL_DAY_2027, date(2027, 10, 1)) == date(2027, 10, 8)
    assert next_working_day(NATIONAL_DAY_2027, date(2027, 9, 30)) == date(2027, 10, 8)


def test_a_year_the_table_does_not_hold_falls_back_to_the_library() -> None:
    spring_2026 = date(2026, 2, 17)
    assert day_info(NATIONAL_DAY_2027, spring_2026) == day_info("cn", spring_2026)
    assert day_info(NATIONAL_DAY_2027, date(2026, 2, 14)).working_day  # the library's own make-up day


def test_next_year_is_missing_from_the_first_of_november_when_neither_table_nor_library_holds_it() -> None:
    assert year_missing("cn", date(2026, 10, 31), set()) is None
    assert year_missing("cn", date(2026, 11, 1), set()) == 2027
    assert year_missing("cn", date(2026, 11, 1), {2027}) is None
    assert year_missing("us", date(2026, 11, 1), set()) is None  # US holidays follow rules: nothing to import


def test_the_csv_gives_its_days() -> None:
    days, errors = parse_official_days(
        rows("calendar,date,kind,name\ncn,2027-10-01,holiday,国庆节\ncn,2027-10-09,workday,调休\n")
    )
    assert errors == []
    assert [(d.day, d.kind) for d in days] == [(date(2027, 10, 1), HOLIDAY), (date(2027, 10, 9), WORKDAY)]


def test_every_error_of_the_csv_is_named_by_row_and_column_and_nothing_is_taken() -> None:
    text = (
        "calendar,date,kind,name\n"
        "cn,2027-10-01,holiday,国庆节\n"
        "xx,2027-13-01,rest,国庆节\n"
        "cn,2027-10-08,workday,调休\n"
        "cn,2027-10-01,holiday,国庆节\n"
        "cn,2027-10-02,holiday,\n"
        "cn,2027-10-03\n"
    )
    days, errors = parse_official_days(rows(text))
    assert days == []
    assert [(e.row, e.column) for e in errors] == [
        (3, "calendar"), (3, "date"), (3, "kind"), (4, "kind"), (5, "date"), (6, "name"), (7, "*"),
    ]  # fmt: skip
    assert "weekday" in str(errors[3]) and str(errors[0]).startswith("row 3, column calendar")


def test_a_wrong_header_is_one_error() -> None:
    days, errors = parse_official_days(rows("date,kind\n2027-10-01,holiday\n"))
    assert days == [] and [(e.row, e.column) for e in errors] == [(1, "header")]


days_2027 = st.dates(min_value=date(2027, 1, 1), max_value=date(2027, 12, 20))


@given(days_2027)
def test_next_working_day_is_the_first_working_day_after(day: date) -> None:
    found = next_working_day(NATIONAL_DAY_2027, day)
    assert found > day and is_working_day(NATIONAL_DAY_2027, found)
    between = day + timedelta(days=1)
    while between < found:
        assert not is_working_day(NATIONAL_DAY_2027, between)
        between += timedelta(days=1)


@given(days_2027)
def test_the_working_day_on_or_before_is_the_last_working_day_not_after(day: date) -> None:
    found = working_day_on_or_before(NATIONAL_DAY_2027, day)
    assert found <= day and is_working_day(NATIONAL_DAY_2027, found)
    assert all(
        not is_working_day(NATIONAL_DAY_2027, found + timedelta(days=k)) for k in range(1, (day - found).days + 1)
    )


@given(days_2027)
def test_the_table_answers_its_year_exactly(day: date) -> None:
    info = day_info(NATIONAL_DAY_2027, day)
    entry = NATIONAL_DAY_2027.entry(day)
    if entry is None:
        assert not info.public_holiday and info.working_day == (day.weekday() < 5)
    else:
        assert info.public_holiday == (entry.kind == HOLIDAY) and info.working_day == (entry.kind == WORKDAY)
