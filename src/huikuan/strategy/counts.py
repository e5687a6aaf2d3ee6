"""How many work items each collector has on a day, from the counts the database keeps (models.QueueCount)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from django.db.models import Sum

from huikuan.db.counts import fold_counts
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
    this for the days before its own; ``db.counts.fold_counts``): a night rewrites yesterday's keys, not the
    whole history.
    """
    return fold_counts(
        QueueCount._meta.db_table, ["assignee_id", "as_of", "status"], "as_of < %(before)s", {"before": before}
    )
