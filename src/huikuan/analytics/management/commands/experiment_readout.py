from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from huikuan.analytics.readout import experiment_readout


def _fmt(value: float | None, digits: int = 4) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


class Command(BaseCommand):
    help = "Per arm: promise-kept and right-party contact rates (Wilson), recovery rate and contacts per 1,000 yuan "
    help += "(bootstrap), each challenger against the baseline with its interval and p-value (docs/analytics.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--start", type=date.fromisoformat, required=True, help="YYYY-MM-DD")
        parser.add_argument("--end", type=date.fromisoformat, required=True, help="YYYY-MM-DD")
        parser.add_argument("--baseline", default="champion")
        parser.add_argument("--minimum-effect", type=float, default=None, help="on the promise-kept rate, e.g. 0.05")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["end"] < options["start"]:
            raise CommandError("--end must be on or after --start")
        figures, comparisons = experiment_readout(
            options["start"], options["end"], options["baseline"], options["minimum_effect"]
        )
        if not figures:
            raise CommandError("no case had an arm in those days: no experiment ran then, or no facts were computed")
        self.stdout.write(f"{'arm':<14}{'metric':<26}{'value':>10}{'95% low':>10}{'95% high':>10}{'n':>8}")
        for f in figures:
            self.stdout.write(
                f"{f.arm:<14}{f.metric:<26}{_fmt(f.value):>10}{_fmt(f.low):>10}{_fmt(f.high):>10}{f.n:>8}"
            )
        self.stdout.write("")
        for c in comparisons:
            needed = (
                f"; {c.needed_per_arm} cases per arm needed" if c.needed_per_arm and c.verdict != "significant" else ""
            )
            self.stdout.write(
                f"{c.arm} − {c.baseline} {c.metric}: {_fmt(c.difference)} [{_fmt(c.low)}, {_fmt(c.high)}] "
                f"p = {_fmt(c.p_value)}: {c.verdict}{needed}"
            )
