from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from huikuan.org.demo import DEMO_PASSWORD, DEMO_USERS, ensure_demo_users
from huikuan.portfolio.models import Debtor


class Command(BaseCommand):
    help = "Create the demo users and, if the database has no debtors yet, the demo portfolio."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--debtors", type=int, default=2000)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args: Any, **options: Any) -> None:
        ensure_demo_users()
        if not Debtor.objects.exists():
            call_command("generate", debtors=options["debtors"], seed=options["seed"], assign=True, stdout=self.stdout)
        else:
            self.stdout.write(f"portfolio present: {Debtor.objects.count()} debtors")
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for user in DEMO_USERS:
            self.stdout.write(f"  {user.username:<12} {user.role.label}  {user.team or ''}")
        self.stdout.write("Open http://127.0.0.1:8000/")
