from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from huikuan.payments.settlement import nightly_settlement


class Command(BaseCommand):
    help = "Settle promise states and plan instalments as of a day (`huikuan promises settle [--as-of]`)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", type=date.fromisoformat, help="YYYY-MM-DD; default today")

    def handle(self, *args: Any, **options: Any) -> None:
        counts = nightly_settlement(options["as_of"])
        states = ", ".join(f"{k} {v}" for k, v in sorted(counts.by_state.items()))
        self.stdout.write(
            f"{counts.promises} promises settled ({states or 'none'}), {counts.changed} changed; "
            f"{counts.plans} plans tracked, {counts.plans_changed} changed."
        )
