"""The debtor's day: the calendar day an instant falls on where the debtor lives.

Times are stored in UTC, but the rules speak of days: a payment may not be dated after today, a promise is
due on a day, a plan's instalment is late the day after its grace ends, a case is delinquent once a due
date is behind it. Each of those is the debtor's day, not the server's: 23:30 in Shanghai is already the
next day in Tokyo and still the morning before in Los Angeles, so a rule that takes the server's date
refuses a Tokyo debtor's payment made just after their midnight as "in the future". Every action that
dates something by the debtor's day asks ``local_day``; the SQL and Polars forms of the apps are tested
against it.

The zone is the caller's to give: the debtor's own, else the installation's default debtor zone (the
``DEFAULT_DEBTOR_TIME_ZONE`` setting). ``DEFAULT_TIME_ZONE`` is the one name the kernel falls back on when
no caller says, and the value that setting starts from.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

import polars as pl

DEFAULT_TIME_ZONE = "Asia/Shanghai"

# The zones furthest apart (UTC-12 and UTC+14): an instant falls on one of at most two or three calendar
# days somewhere on earth, and only a date between these two can depend on where the debtor lives.
_WESTMOST = timezone(timedelta(hours=-12))
_EASTMOST = timezone(timedelta(hours=14))


def zone_name(name: str | None, default: str = DEFAULT_TIME_ZONE) -> str:
    """The debtor's zone name; a debtor with none recorded (empty or missing) lives in ``default``."""
    return name or default


@lru_cache(maxsize=1024)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_day(at: datetime, time_zone: str | None, default: str = DEFAULT_TIME_ZONE) -> date:
    """The calendar day of the instant ``at`` in the debtor's zone (``default`` when the debtor has none).

    ``at`` must be aware: a naive time would be read in the server's zone, the very mistake this avoids.
    An unknown zone name raises (ZoneInfoNotFoundError), as the database would refuse it.
    """
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"the instant must be time-zone aware, got naive {at!r}")
    return at.astimezone(_zone(zone_name(time_zone, default))).date()


def local_days(at: datetime, default: str = DEFAULT_TIME_ZONE) -> Callable[[str | None], date]:
    """``local_day`` of one instant for many debtors: each zone is converted once (an import's rows share few)."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"the instant must be time-zone aware, got naive {at!r}")
    days: dict[str, date] = {}

    def day_in(time_zone: str | None) -> date:
        name = zone_name(time_zone, default)
        day = days.get(name)
        if day is None:
            day = days[name] = local_day(at, name)
        return day

    return day_in


def possible_days(at: datetime) -> tuple[date, date]:
    """The earliest and the latest calendar day ``at`` falls on anywhere: a date outside them is the same
    question in every zone (already past, or not yet come), so only the dates between need the debtor's zone."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"the instant must be time-zone aware, got naive {at!r}")
    return at.astimezone(_WESTMOST).date(), at.astimezone(_EASTMOST).date()


def with_local_day(
    frame: pl.DataFrame, at: str, zone: str, into: str, default: str = DEFAULT_TIME_ZONE
) -> pl.DataFrame:
    """The Polars form of ``local_day``: column ``into`` holds each row's day of the UTC instant in column
    ``at`` in the zone named by column ``zone`` (null or empty: ``default``).

    Polars converts a column to one zone at a time, so the frame is split by zone and put back together;
    the row order is not kept. ``at`` is a datetime column in UTC (naive values are read as UTC).
    """
    if frame.is_empty():
        return frame.with_columns(pl.lit(None, pl.Date).alias(into))
    instant = pl.col(at)
    if getattr(frame.schema[at], "time_zone", None) is None:
        instant = instant.dt.replace_time_zone(str(UTC))
    named = frame.with_columns(
        pl.when(pl.col(zone).is_null() | (pl.col(zone) == ""))
        .then(pl.lit(default))
        .otherwise(pl.col(zone))
        .alias("_local_zone")
    )
    parts = [
        part.with_columns(instant.dt.convert_time_zone(str(name)).dt.date().alias(into))
        for (name,), part in named.group_by("_local_zone")
    ]
    return pl.concat(parts).drop("_local_zone")
