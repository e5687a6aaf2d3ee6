"""Month partitions of the fact and rollup tables on PostgreSQL, added before a day is written (SQLite: nothing)."""

from __future__ import annotations

from datetime import date

from django.db import connection

FACT_TABLES = (
    "analytics_caseday",
    "analytics_contactday",
    "analytics_moneyday",
    "analytics_portfolioday",
    "analytics_contacthour",
    "analytics_rollday",
    "analytics_channelday",
    "analytics_teamday",
    "analytics_collectorday",
    "analytics_teamhour",
    "analytics_collectorchannel",
    "analytics_vintageday",
    "analytics_vintageteamday",
)


def month_bounds(day: date) -> tuple[date, date]:
    """The first day of ``day``'s month and of the next.

    >>> month_bounds(date(2026, 12, 6))
    (datetime.date(2026, 12, 1), datetime.date(2027, 1, 1))
    """
    first = day.replace(day=1)
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, following


def partition_name(table: str, day: date) -> str:
    return f"{table}_y{day.year:04d}m{day.month:02d}"


def ensure_partitions(day: date) -> None:
    """The month partition of ``day`` for every fact table (idempotent)."""
    if connection.vendor != "postgresql":
        return
    first, following = month_bounds(day)
    with connection.cursor() as cursor:
        for table in FACT_TABLES:
            # Dates we formatted ourselves, never input: DDL takes no parameters.
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {partition_name(table, day)} PARTITION OF {table} "
                f"FOR VALUES FROM ('{first.isoformat()}') TO ('{following.isoformat()}')"
            )
