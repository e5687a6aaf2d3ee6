from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from huikuan import clock
from huikuan.comms.models import Template
from huikuan.comms.templates import seed_default_templates
from huikuan.org.demo import DEMO_PASSWORD, DEMO_USERS, ensure_demo_users
from huikuan.portfolio.models import Debtor
from huikuan.strategy.models import PolicyVersion, StrategyRun
from huikuan.training.demo import seed_demo_training

DEFAULT_POLICY = Path(__file__).resolve().parents[3] / "strategy" / "policies" / "default.yaml"


class Command(BaseCommand):
    help = "Create the demo users and, if the database has no debtors yet, the demo portfolio."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--debtors", type=int, default=2000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--days", type=int, default=60, help="days of simulated history (0: none)")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.HUIKUAN_DEMO:
            # Users whose password is printed in the README have no place in a real installation.
            raise CommandError("The demo users have a public password: run this only with HUIKUAN_DEMO=1 or DEBUG=1.")
        ensure_demo_users()
        if not Template.objects.exists():
            seed_default_templates()
        # A team opening the demo expects today's queue: the default policy in force and tonight's run done.
        if not PolicyVersion.objects.exists():
            call_command("strategy_import", str(DEFAULT_POLICY), activate=True, stdout=self.stdout)
        if Debtor.objects.exists():
            self.stdout.write(f"portfolio present: {Debtor.objects.count()} debtors")
        elif options["days"]:
            # History for every screen: the portfolio generated as of 60 days ago, then each day simulated
            # through the nightly pipeline up to today (docs/analytics.md).
            call_command("simulate", days=options["days"], debtors=options["debtors"], seed=options["seed"],
                         stdout=self.stdout)  # fmt: skip
        else:
            call_command("generate", debtors=options["debtors"], seed=options["seed"], assign=True, stdout=self.stdout)
        if not StrategyRun.objects.filter(as_of=clock.today(), dry_run=False).exists():
            call_command("strategy_run", stdout=self.stdout)
        # The training pages: the scenario library, an assessment for the first team, a few finished runs.
        self.stdout.write(seed_demo_training())
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for user in DEMO_USERS:
            self.stdout.write(f"  {user.username:<12} {user.role.label}  {user.team or ''}")
        self.stdout.write("Open http://127.0.0.1:8000/")
