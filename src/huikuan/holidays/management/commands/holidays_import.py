from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from huikuan.holidays.actions import HolidayImportError, import_official_days


class Command(BaseCommand):
    help = "Import official holidays and make-up working days (huikuan holidays import FILE; docs/holidays.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(_("Cannot read %(file)s: %(error)s") % {"file": path, "error": exc}) from exc
        try:
            report = import_official_days(text)
        except HolidayImportError as exc:
            lines = [_("Nothing was imported; the file has errors:"), *map(str, exc.errors)]
            raise CommandError("\n".join(lines)) from exc
        for calendar, years in report.years.items():
            self.stdout.write(
                _("%(calendar)s: %(years)s imported.") % {"calendar": calendar, "years": ", ".join(map(str, years))}
            )
        self.stdout.write(_("%(n)s days in all.") % {"n": report.days})
