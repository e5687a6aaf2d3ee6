"""The official table as the kernel takes it: read once per process and kept until a row changes.

The compliance gate asks for it with every decision; a few hundred rows a year are read once and cached.
Saving or deleting a row here (import, admin) drops the cache; another process sees the change within
``TTL_SECONDS``.
"""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from django.db.models.signals import post_delete, post_save

from huikuan.holidays.models import OfficialDay
from huikuan.kernel.holidays import HolidayTable, table_of, year_missing
from huikuan.kernel.holidays import OfficialDay as KernelDay

TTL_SECONDS = 300
_cache: dict[str, tuple[float, HolidayTable]] = {}


def holiday_table(calendar: str) -> HolidayTable | None:
    """The imported official days of ``calendar``, or None when none were imported."""
    hit = _cache.get(calendar)
    if hit is not None and time.monotonic() - hit[0] < TTL_SECONDS:
        return hit[1] if hit[1].entries else None
    rows = OfficialDay.objects.filter(calendar=calendar).values_list("calendar", "day", "kind", "name")
    table = table_of(calendar, (KernelDay(*row) for row in rows))
    _cache[calendar] = (time.monotonic(), table)
    return table if table.entries else None


def years_held(calendar: str) -> set[int]:
    table = holiday_table(calendar)
    return set(table.years) if table is not None else set()


def forget(**_: Any) -> None:
    _cache.clear()


post_save.connect(forget, sender=OfficialDay, dispatch_uid="holidays-forget-save")
post_delete.connect(forget, sender=OfficialDay, dispatch_uid="holidays-forget-delete")


def missing_next_year(calendar: str, today: date) -> int | None:
    """The year to import, from 1 November on, when neither the table nor the library holds next year."""
    return year_missing(calendar, today, years_held(calendar))
