"""Counts the database keeps: how many cases each user holds (models.HeldCount), how many promises were given
in a period (models.PromiseHour)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from django.db import connection, transaction
from django.db.models import Sum

from huikuan.cases.models import HeldCount, Promise, PromiseHour


def cases_held(assignee_ids: Iterable[int]) -> dict[int, int]:
    """User → the number of cases assigned to them (any status): a few rows per user summed, where counting the
    cases read ~300,000 index entries for a team at a million cases."""
    rows = (
        HeldCount.objects.filter(assignee_id__in=list(assignee_ids))
        .values("assignee_id")
        .annotate(total=Sum("n"))
        .values_list("assignee_id", "total")
    )
    return {assignee_id: total for assignee_id, total in rows if total}


def compact_held_counts() -> int:
    """Fold each user's rows into one; returns the users folded.

    PostgreSQL's triggers append a row per statement that moves cases (a lead's every reassignment adds two),
    so the rows grow with the moves; folding keeps the table near one row a user (the nightly run calls
    this). One statement on PostgreSQL, which deletes exactly the rows it sums whatever commits meanwhile, and
    touches only users with more than one row (or a zero sum). SQLite keeps one row a user already; its zero
    rows go.
    """
    table = HeldCount._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"WITH folded AS (DELETE FROM {table} WHERE assignee_id IN"
                f" (SELECT assignee_id FROM {table} GROUP BY assignee_id HAVING count(*) > 1 OR sum(n) = 0)"
                "  RETURNING assignee_id, n)"
                f" INSERT INTO {table} (assignee_id, n)"
                " SELECT assignee_id, sum(n) FROM folded GROUP BY assignee_id HAVING sum(n) <> 0"
            )
            return cursor.rowcount
        cursor.execute(f"DELETE FROM {table} WHERE n = 0")
        return 0


def _whole_hour(at: datetime) -> bool:
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0) == at


def promises_created(start: datetime, end: datetime) -> int:
    """The number of promises created in [start, end): the kept hours summed when both ends are whole UTC hours
    (a day of any zone with a whole-hour offset, such as Shanghai's), else the promises counted."""
    if not (_whole_hour(start) and _whole_hour(end)):
        return Promise.objects.filter(created_at__gte=start, created_at__lt=end).count()
    total = PromiseHour.objects.filter(hour__gte=start, hour__lt=end).aggregate(total=Sum("n"))["total"]
    return int(total or 0)


def compact_promise_hours() -> int:
    """Fold each hour's rows into one (each promise given appends a row on PostgreSQL); returns the hours folded.
    The same single statement as ``compact_held_counts``."""
    table = PromiseHour._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"WITH folded AS (DELETE FROM {table} WHERE hour IN"
                f" (SELECT hour FROM {table} GROUP BY hour HAVING count(*) > 1 OR sum(n) = 0)"
                "  RETURNING hour, n)"
                f" INSERT INTO {table} (hour, n) SELECT hour, sum(n) FROM folded GROUP BY hour HAVING sum(n) <> 0"
            )
            return cursor.rowcount
        cursor.execute(f"DELETE FROM {table} WHERE n = 0")
        return 0
