from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from huikuan.kernel.scoring.table import ScoringError
from huikuan.scoring.registry import get_version, promote_version


class Command(BaseCommand):
    help = "Put a model version in force (recorded in the change log); the nightly run then scores with it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("version", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            version = promote_version(get_version(options["version"]), None)
        except ScoringError as exc:
            raise CommandError(f"nothing promoted: {exc}") from exc
        self.stdout.write(f"model version {version.number} ({version.kind}) is in force")
