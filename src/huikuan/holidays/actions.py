"""Importing a year's official arrangement: all or nothing.

Each year the file holds replaces that year's days of that calendar entirely (the State Council's
notice is the whole arrangement: a day it drops is no longer a holiday); years the file does not mention
stay as they were. One transaction, one change-log row per calendar-year.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from huikuan.audit.models import ChangeLog
from huikuan.audit.records import change_record
from huikuan.holidays.models import OfficialDay
from huikuan.holidays.table import forget
from huikuan.kernel.holidays import RowError, parse_official_days


class HolidayImportError(ValueError):
    def __init__(self, errors: list[RowError]) -> None:
        super().__init__("; ".join(map(str, errors)))
        self.errors = errors


@dataclass
class ImportReport:
    years: dict[str, list[int]]
    days: int


def import_official_days(text: str, user: Any = None) -> ImportReport:
    """Replace the years ``text`` (the documented CSV) holds; raise HolidayImportError listing every error."""
    days, errors = parse_official_days(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    if errors:
        raise HolidayImportError(errors)
    if not days:
        raise HolidayImportError([RowError(2, "*", "the file holds no day")])
    years: dict[str, set[int]] = defaultdict(set)
    for day in days:
        years[day.calendar].add(day.day.year)
    with transaction.atomic():
        audit = []
        for calendar, held in sorted(years.items()):
            for year in sorted(held):
                old = OfficialDay.objects.filter(calendar=calendar, day__year=year)
                before = old.count()
                old.delete()
                rows = OfficialDay.objects.bulk_create(
                    [
                        OfficialDay(calendar=d.calendar, day=d.day, kind=d.kind, name=d.name, imported_by=_user(user))
                        for d in days
                        if d.calendar == calendar and d.day.year == year
                    ]
                )
                after = {"days": len(rows), "year": year, "calendar": calendar}
                first = OfficialDay.objects.get(calendar=calendar, day=rows[0].day)
                audit.append(change_record(user, first, "holidays:imported", {"days": before}, after))
        ChangeLog.objects.bulk_create(audit)
    forget()
    return ImportReport({c: sorted(y) for c, y in years.items()}, len(days))


def _user(user: Any) -> Any:
    return user if getattr(user, "is_authenticated", False) else None
