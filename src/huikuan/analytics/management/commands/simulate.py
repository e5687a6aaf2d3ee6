from __future__ import annotations

import json
from datetime import date
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from huikuan.analytics.setup import prepare
from huikuan.analytics.simulator import SimulationError, Simulator, parse_effect


class Command(BaseCommand):
    help = (
        "Run the nightly pipeline day by day with simulated debtors (docs/analytics.md). A database without "
        "debtors gets a generated portfolio as of the first day, so the history ends today."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, required=True)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--debtors", type=int, default=2000, help="size of a generated portfolio")
        parser.add_argument("--start", type=date.fromisoformat, default=None, help="first day, YYYY-MM-DD")
        parser.add_argument("--calls-per-collector", type=int, default=40)
        parser.add_argument(
            "--effect", action="append", default=[], metavar="ARM=+0.05",
            help="planted change of the promise-kept probability for the cases of an arm (repeatable)",
        )  # fmt: skip

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.HUIKUAN_DEMO:
            # Invented calls, promises and payments have no place next to real ones.
            raise CommandError("The simulator writes invented history: run it only with HUIKUAN_DEMO=1 or DEBUG=1.")
        if not 1 <= options["days"] <= 3660:
            raise CommandError("--days must be between 1 and 3660")
        try:
            effects = dict(parse_effect(text) for text in options["effect"])
            simulation = prepare(
                seed=options["seed"], days=options["days"], debtors=options["debtors"], effects=effects,
                first_day=options["start"],
            )  # fmt: skip
            report = Simulator(simulation, options["calls_per_collector"]).run()
        except (SimulationError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"simulated {simulation.first_day} – {simulation.last_day} (seed {simulation.seed}) "
            f"in {report.seconds:.1f}s"
        )
        self.stdout.write(json.dumps({**report.counts, "timings": {k: round(v, 2) for k, v in report.timings.items()}}))
