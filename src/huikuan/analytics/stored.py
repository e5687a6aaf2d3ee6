"""Dashboard figures kept between looks (models.StoredFigure), valid while their period's facts are unchanged.

``facts.compute_day`` is the only writer of the rollups these figures read: it records each day it writes
(``FactDayWritten``) and forgets the stored figures of the periods holding that day. A figure is served only
under the period's current count of written days, so one computed while a write was under way (read before
the write committed, stored after its forgetting) is computed again on the next look, never served stale.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import IntegrityError, transaction

from huikuan.analytics.models import FactDayWritten, StoredFigure


def fact_day_written(day: date) -> None:
    """Called by ``compute_day`` in its transaction: the day's rollups are being replaced."""
    FactDayWritten.objects.create(day=day)
    forget_figures(day)


def forget_figures(day: date) -> int:
    deleted, _ = StoredFigure.objects.filter(first__lte=day, last__gte=day).delete()
    return deleted


def written_count(first: date, last: date) -> int:
    """How many times a day of the period was written: the version of its rollups."""
    return FactDayWritten.objects.filter(day__range=(first, last)).count()


def stored_figures(keys: list[str], first: date, last: date, written: int) -> dict[str, Any]:
    """The figures stored under these keys for the period at this version, by key."""
    rows = StoredFigure.objects.filter(key__in=keys, first=first, last=last, written=written)
    return dict(rows.values_list("key", "figure"))


def store_figure(key: str, first: date, last: date, written: int, figure: dict[str, Any]) -> None:
    """Keep a figure; two looks at once both compute, the first to store wins (the same rollups, the same
    figure)."""
    try:
        with transaction.atomic():
            StoredFigure.objects.create(key=key, first=first, last=last, written=written, figure=figure)
    except IntegrityError:
        pass
