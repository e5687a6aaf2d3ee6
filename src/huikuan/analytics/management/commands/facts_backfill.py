from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from huikuan.analytics.facts import backfill


class Command(BaseCommand):
    help = "Compute the daily facts of every day from --start to --end (inclusive) again; idempotent."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--start", type=date.fromisoformat, required=True, help="YYYY-MM-DD")
        parser.add_argument("--end", type=date.fromisoformat, required=True, help="YYYY-MM-DD")

    def handle(self, *args: Any, **options: Any) -> None:
        start, end = options["start"], options["end"]
        if end < start or (end - start).days > 3660:
            raise CommandError("--end must be on or after --start, at most ten years later")
        counts = backfill(start, end)
        self.stdout.write(
            f"facts of {counts.days} days: {counts.case_days} case days, {counts.contact_days} contact rows, "
            f"{counts.money_days} money rows"
        )
