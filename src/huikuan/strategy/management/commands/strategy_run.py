from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from huikuan.memory import peak_memory_mb
from huikuan.strategy.executors import run_strategy
from huikuan.strategy.run import StrategyError, counts_diff, counts_table


class Command(BaseCommand):
    help = "Decide today's work items for every open case (huikuan strategy run)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", type=date.fromisoformat, default=None, help="YYYY-MM-DD, default today")
        parser.add_argument("--dry-run", action="store_true", help="print what would be planned, write nothing")
        parser.add_argument("--policy", default=None, help="force one policy version, e.g. default@2")
        parser.add_argument(
            "--shards", type=int, default=None, help="split the run by case id (default: HUIKUAN_STRATEGY_SHARDS)"
        )
        parser.add_argument("--rebalance", action="store_true", help="deal every worked case out afresh")
        parser.add_argument("--sample", type=int, default=8, help="reasons to show in a dry run")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = run_strategy(
                options["as_of"],
                dry_run=options["dry_run"],
                policy=options["policy"],
                shards=options["shards"],
                rebalance=options["rebalance"],
            )
        except StrategyError as exc:
            raise CommandError(str(exc)) from exc
        result = report.result
        arms = ", ".join(f"{a.name or 'champion'}={a.version.label}" for a in report.arms)
        self.stdout.write(_("Policy: %(arms)s") % {"arms": arms})
        self.stdout.write(
            _("%(cases)d cases read, %(planned)d items planned, %(blocked)d blocked by the gate, %(held)d held")
            % {
                "cases": result.cases,
                "planned": result.planned,
                "blocked": result.blocked,
                "held": result.held,
            }
        )
        self.stdout.write(_("Stage × action:"))
        for stage, action, n in counts_table(report.counts):
            self.stdout.write(f"  {stage:<10} {action:<20} {n:>9}")
        if result.gate:
            self.stdout.write(_("Blocked by the gate: %(why)s") % {"why": dict(result.gate)})
        if any(result.unplanned.values()):
            self.stdout.write(_("Not planned: %(why)s") % {"why": dict(result.unplanned)})
        timings = ", ".join(f"{k} {v:.2f}s" for k, v in result.timings.items())
        self.stdout.write(_("Timings: %(t)s; peak memory %(mb)d MB") % {"t": timings, "mb": peak_memory_mb()})
        if not options["dry_run"]:
            assert report.run is not None
            self.stdout.write(_("Run #%(id)d wrote %(n)d work items.") % {"id": report.run.pk, "n": report.run.written})
            return
        if result.items is not None and result.items.height:
            self.stdout.write(_("Sample of reasons:"))
            sample = result.items.sample(n=min(options["sample"], result.items.height), seed=1)
            for case_id, action, reason in sample.select("case_id", "action", "reason_zh").iter_rows():
                self.stdout.write(f"  #{case_id} {action}: {reason}")
        if report.previous is None:
            self.stdout.write(_("No earlier real run to compare with."))
            return
        diff = counts_diff(report.counts, report.previous.counts)
        self.stdout.write(
            _("Difference against run #%(id)d of %(day)s:") % {"id": report.previous.pk, "day": report.previous.as_of}
        )
        if not diff:
            self.stdout.write(_("  no difference"))
        for stage, action, before, now in diff:
            self.stdout.write(f"  {stage:<10} {action:<20} {before:>9} → {now:<9} ({now - before:+d})")
        self.stdout.write(_("Dry run: nothing was written."))
