from __future__ import annotations

import time
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from huikuan import clock
from huikuan.intake.generator import PortfolioGenerator
from huikuan.intake.seeding import write_generated
from huikuan.org.demo import demo_collectors
from huikuan.payments.policy import current_policy


class Command(BaseCommand):
    help = "Generate a realistic synthetic Chinese portfolio (deterministic for a seed)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--debtors", type=int, default=2000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--as-of", type=date.fromisoformat, default=None, help="YYYY-MM-DD, default today")
        parser.add_argument("--assign", action="store_true", help="assign cases round-robin to the demo collectors")

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = options["as_of"] or clock.today()
        started = time.perf_counter()
        # The generated promises are settled with the grace days the nightly settlement will use.
        grace = current_policy().promise_grace_days
        generator = PortfolioGenerator(options["seed"], as_of, promise_grace_days=grace)
        collectors = demo_collectors() if options["assign"] else []
        counts = write_generated(generator.debtors(options["debtors"]), as_of, collectors)
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"generated {counts.debtors} debtors, {counts.accounts} accounts, "
            f"{counts.entries} ledger entries, {counts.cases} cases in {elapsed:.1f}s"
        )
