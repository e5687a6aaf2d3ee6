"""How many work items each collector has on a day, from the counts the database keeps (models.QueueCount)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from django.db import connection, transaction
from django.db.models import Sum

from huikuan.strategy.models import QueueCount


def queue_counts(assignee_ids: Iterable[int], day: date) -> dict[int, dict[str, int]]:
    """Assignee → status → number of that day's items: a few rows per collector summed, where counting the
    items read a third of a million index entries for a team at a million cases."""
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    rows = (
        QueueCount.objects.filter(as_of=day, assignee_id__in=list(assignee_ids))
        .values("assignee_id", "status")
        .annotate(total=Sum("n"))
        .values_list("assignee_id", "status", "total")
    )
    for assignee_id, status, total in rows:
        if total:
            counts[assignee_id][status] = total
    return counts


def compact_queue_counts(before: date) -> int:
    """Fold the rows of the days before ``before`` into one per (assignee, day, status); returns the keys folded.

    PostgreSQL's triggers append a row per statement (a collector's every closed item adds two), so the rows
    of a day grow with its work; folding past days keeps the table at one row a key (the nightly run calls
    this for the days before its own). One statement on PostgreSQL, which deletes exactly the rows it sums
    whatever commits meanwhile, and touches only keys with more than one row (or a zero sum), so a night
    rewrites yesterday's keys, not the whole history. SQLite keeps one row a key already; its zero rows go.
    """
    table = QueueCount._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"WITH folded AS (DELETE FROM {table} WHERE as_of < %(before)s AND (assignee_id, as_of, status) IN"
                f" (SELECT assignee_id, as_of, status FROM {table} WHERE as_of < %(before)s"
                "   GROUP BY assignee_id, as_of, status HAVING count(*) > 1 OR sum(n) = 0)"
                "  RETURNING assignee_id, as_of, status, n)"
                f" INSERT INTO {table} (assignee_id, as_of, status, n)"
                " SELECT assignee_id, as_of, status, sum(n) FROM folded"
                " GROUP BY assignee_id, as_of, status HAVING sum(n) <> 0",
                {"before": before},
            )
            return cursor.rowcount
        cursor.execute(f"DELETE FROM {table} WHERE as_of < %s AND n = 0", [before])
        return 0
