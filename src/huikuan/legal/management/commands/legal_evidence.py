from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from huikuan.cases.models import Case
from huikuan.legal.evidence import build_packs


class Command(BaseCommand):
    help = "Build the evidence pack of a case: huikuan legal evidence CASE [CASE ...] [--out DIR]"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("cases", nargs="+", type=int, help="case ids")
        parser.add_argument("--out", default=".", help="directory for the ZIP files (default: here)")

    def handle(self, *args: Any, **options: Any) -> None:
        ids = sorted(set(options["cases"]))
        found = set(Case.objects.filter(pk__in=ids).values_list("pk", flat=True))
        missing = [str(i) for i in ids if i not in found]
        if missing:
            raise CommandError(_("No case with the id: %(ids)s") % {"ids": ", ".join(missing)})
        out = Path(options["out"])
        out.mkdir(parents=True, exist_ok=True)
        # The command line is the system (docs/architecture.md, "Permissions"): who runs it holds the database.
        for pack in build_packs(None, ids).values():
            path = out / pack.filename
            path.write_bytes(pack.data)
            self.stdout.write(f"{path} {len(pack.files) + 1} files")
