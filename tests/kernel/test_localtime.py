"""The debtor's day: the calendar day an instant falls on where the debtor lives."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from huikuan.kernel.localtime import DEFAULT_TIME_ZONE, local_day, local_days, possible_days, with_local_day

ZONES = [
    "Asia/Shanghai", "Asia/Tokyo", "America/Los_Angeles", "America/New_York", "Europe/London", "Pacific/Kiritimati",
    "Pacific/Pago_Pago", "Asia/Kathmandu", "Australia/Lord_Howe",
]  # fmt: skip
zones = st.sampled_from([*ZONES, "", None])
instants = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC))


def test_a_shanghai_evening_is_tomorrow_in_tokyo_and_the_morning_in_los_angeles() -> None:
    at = datetime(2025, 11, 3, 23, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert local_day(at, "Asia/Shanghai") == date(2025, 11, 3)
    assert local_day(at, "Asia/Tokyo") == date(2025, 11, 4)
    assert local_day(at, "America/Los_Angeles") == date(2025, 11, 3)
    just_after_midnight = datetime(2025, 11, 4, 0, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert local_day(just_after_midnight, "America/Los_Angeles") == date(2025, 11, 3)


def test_a_debtor_without_a_zone_lives_in_the_default() -> None:
    at = datetime(2025, 11, 3, 16, 30, tzinfo=UTC)  # 00:30 on the 4th in Shanghai
    assert local_day(at, "") == local_day(at, None) == local_day(at, DEFAULT_TIME_ZONE) == date(2025, 11, 4)
    assert local_day(at, None, "America/Los_Angeles") == date(2025, 11, 3)


def test_a_naive_time_is_refused_rather_than_read_in_the_servers_zone() -> None:
    with pytest.raises(ValueError, match="aware"):
        local_day(datetime(2025, 11, 3, 12, 0), "Asia/Tokyo")


@given(instants, zones)
def test_the_day_is_one_the_instant_falls_on_somewhere(at: datetime, zone: str | None) -> None:
    earliest, latest = possible_days(at)
    assert earliest <= local_day(at, zone) <= latest
    assert timedelta(days=1) <= latest - earliest <= timedelta(days=2)
    assert local_days(at)(zone) == local_day(at, zone)


@given(st.lists(st.tuples(instants, zones), max_size=25))
def test_the_polars_form_agrees_with_local_day(rows: list[tuple[datetime, str | None]]) -> None:
    frame = pl.DataFrame(
        {"n": list(range(len(rows))), "at": [a for a, _ in rows], "zone": [z for _, z in rows]},
        schema={"n": pl.Int64, "at": pl.Datetime("us", "UTC"), "zone": pl.Utf8},
    )
    got = dict(with_local_day(frame, "at", "zone", "day").select("n", "day").iter_rows())
    assert got == {n: local_day(at, zone) for n, (at, zone) in enumerate(rows)}


def test_the_polars_form_reads_naive_instants_as_utc() -> None:
    frame = pl.DataFrame({"at": [datetime(2025, 11, 3, 15, 30)], "zone": ["Asia/Tokyo"]})
    assert with_local_day(frame, "at", "zone", "day").get_column("day").to_list() == [date(2025, 11, 4)]
