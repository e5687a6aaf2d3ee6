from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from huikuan.kernel.strategy.policy import PolicyError
from huikuan.strategy.actions import import_policy


class Command(BaseCommand):
    help = "Import a policy YAML file as a new version (huikuan strategy import FILE [--activate])."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--activate", action="store_true", help="make it the policy in force")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            version, created = import_policy(options["file"].read_text(encoding="utf-8"), activate=options["activate"])
        except PolicyError as exc:
            raise CommandError("\n".join([_("The policy has errors:"), *exc.errors])) from exc
        message = _("Imported %(label)s.") if created else _("Unchanged: %(label)s already says this.")
        self.stdout.write(message % {"label": version.label})
        if options["activate"]:
            self.stdout.write(_("%(label)s is now in force.") % {"label": version.label})
