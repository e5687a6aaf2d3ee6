"""Counts the database keeps: how many cases each user holds (models.HeldCount), how many promises were given
in a period (models.PromiseHour)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from django.db.models import Sum

from huikuan.cases.models import HeldCount, Promise, PromiseHour
from huikuan.db.counts import fold_counts


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
    this; ``db.counts.fold_counts``).
    """
    return fold_counts(HeldCount._meta.db_table, ["assignee_id"])


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
    ``db.counts.fold_counts``, as ``compact_held_counts``."""
    return fold_counts(PromiseHour._meta.db_table, ["hour"])
