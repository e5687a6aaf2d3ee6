"""The follow-up events of the kernel: instalment reminders and missed instalments in working days, abusive calls,
broken plans, goals, and the windows of holidays and make-up working days."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from huikuan.kernel.holidays import HOLIDAY, WORKDAY, HolidayTable, OfficialDay, is_working_day
from huikuan.kernel.strategy.evaluate import (
    evaluate,
    instalment_reminder_dues,
    missed_instalment_dues,
    window_weekday,
)
from tests.kernel.strategy.frames import AS_OF, default_policy, row, snapshot

# A made-up National Day week for 2027 (the test's own): 1–7 October off, Saturday 9 October worked.
TABLE = HolidayTable(
    "cn",
    (
        *(OfficialDay("cn", date(2027, 10, d), HOLIDAY, "国庆节") for d in range(1, 8)),
        OfficialDay("cn", date(2027, 9, 26), WORKDAY, "调休"),
        OfficialDay("cn", date(2027, 10, 9), WORKDAY, "调休"),
    ),
)


def test_reminders_across_a_month_end_move_back_from_the_weekend() -> None:
    # Monday 1 March 2027: one day ahead is Sunday 28 February, three days ahead Friday 26 February.
    assert date(2027, 3, 1) in instalment_reminder_dues(date(2027, 2, 26), (-3, -1), "cn")
    assert instalment_reminder_dues(date(2027, 2, 27), (-3, -1), "cn") == []  # nothing on a Saturday
    # Wednesday 31 March: Sunday the 28th moves back to Friday the 26th, Tuesday the 30th stays.
    assert date(2027, 3, 31) in instalment_reminder_dues(date(2027, 3, 26), (-3,), "cn")
    assert date(2027, 3, 31) in instalment_reminder_dues(date(2027, 3, 30), (-1,), "cn")


def test_reminders_before_a_holiday_week_go_before_it() -> None:
    # Due Friday 8 October, after the week off: both reminders fall in it and go on Thursday 30 September.
    assert date(2027, 10, 8) in instalment_reminder_dues(date(2027, 9, 30), (-3, -1), TABLE)
    for day in range(1, 8):
        assert instalment_reminder_dues(date(2027, 10, day), (-3, -1), TABLE) == []


def test_a_missed_instalment_is_called_after_the_holiday_week_and_on_a_make_up_saturday() -> None:
    assert missed_instalment_dues(date(2027, 10, 8), (1,), TABLE) == [
        date(2027, 9, 30),
        *[date(2027, 10, d) for d in range(1, 8)],
    ]
    assert missed_instalment_dues(date(2027, 10, 9), (1,), TABLE) == [date(2027, 10, 8)]
    # Without the table the library knows only 1–3 October for 2027: Monday the 4th would be a working day.
    assert date(2027, 9, 30) in missed_instalment_dues(date(2027, 10, 4), (1,), "cn")


def test_the_windows_of_a_holiday_and_a_make_up_working_day() -> None:
    assert window_weekday(date(2027, 10, 5), TABLE) == "sun"  # a Tuesday off
    assert window_weekday(date(2027, 10, 9), TABLE) == "mon"  # a Saturday worked
    assert window_weekday(date(2027, 10, 9), "cn") == "sat"
    assert window_weekday(date(2027, 10, 9), None) == "sat"


days = st.dates(min_value=date(2027, 1, 10), max_value=date(2027, 12, 10))


@given(days, st.integers(1, 6))
def test_each_instalment_is_reminded_exactly_once_per_offset_on_a_working_day(due: date, ahead: int) -> None:
    firing = [
        due + timedelta(days=k)
        for k in range(-30, 1)
        if due in instalment_reminder_dues(due + timedelta(days=k), (-ahead,), TABLE)
    ]
    assert len(firing) == 1
    assert is_working_day(TABLE, firing[0]) and firing[0] <= due - timedelta(days=ahead)


@given(days, st.integers(1, 3))
def test_each_missed_instalment_is_called_exactly_once_on_the_nth_working_day_after(due: date, n: int) -> None:
    firing = [
        due + timedelta(days=k)
        for k in range(1, 40)
        if due in missed_instalment_dues(due + timedelta(days=k), (n,), TABLE)
    ]
    assert len(firing) == 1
    worked = [due + timedelta(days=k) for k in range(1, (firing[0] - due).days + 1)]
    assert sum(is_working_day(TABLE, d) for d in worked) == n and is_working_day(TABLE, firing[0])


def followup(frame: pl.DataFrame, **columns: object) -> pl.DataFrame:
    return frame.with_columns(pl.lit(v).alias(k) for k, v in columns.items()).with_columns(
        pl.col("next_instalment_due").cast(pl.Date), pl.col("last_missed_instalment").cast(pl.Date),
        pl.col("broken_plans").cast(pl.Int32), pl.col("abusive_streak").cast(pl.Int32),
    )  # fmt: skip


def planned(frame: pl.DataFrame, calendar: object = None) -> dict[str, tuple[str, str, str]]:
    out = evaluate(frame, default_policy(), AS_OF, calendar).planned  # type: ignore[arg-type]
    return {r["action"]: (r["rule"], r["template"], r["goal"]) for r in out.iter_rows(named=True)}


def base(**columns: object) -> pl.DataFrame:
    defaults: dict[str, object] = {"next_instalment_due": None, "last_missed_instalment": None, "broken_plans": 0}
    return followup(snapshot(row(1, dpd=41)), **{**defaults, "abusive_streak": 0, **columns})


def test_after_an_abusive_call_the_next_call_becomes_a_gentle_sms_and_three_go_to_a_specialist() -> None:
    # DPD 41: the middle stage's call every second day falls today.
    assert planned(base())["call"] == ("middle_call", "middle_call_firm", "get_promise")
    once = planned(base(abusive_streak=1))
    assert "call" not in once and once["sms"] == ("middle_call", "reminder_gentle", "remind")
    assert planned(base(abusive_streak=2)).get("escalate_specialist") is None
    assert planned(base(abusive_streak=3))["escalate_specialist"][2] == "hand_over"


def test_a_broken_plan_makes_a_broken_promise_behaviour_and_the_goal_of_its_call() -> None:
    out = evaluate(base(broken_plans=1), default_policy(), AS_OF).planned
    assert out.get_column("behaviour").unique().to_list() == ["broken_promise"]
    assert "跳票1次" in out.get_column("reason_zh")[0]


def test_a_snapshot_without_the_follow_up_columns_means_nothing_of_them() -> None:
    assert planned(snapshot(row(1, dpd=41)).drop("abusive_streak", "broken_plans"))["call"][0] == "middle_call"
