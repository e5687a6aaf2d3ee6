from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from huikuan.kernel.scoring.table import ScoringError
from huikuan.scoring.registry import get_version
from huikuan.scoring.reports import report_json, report_xlsx


class Command(BaseCommand):
    help = "A model version's validation report as JSON (stdout) or XLSX (--xlsx FILE)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("version", type=int)
        parser.add_argument("--xlsx", type=Path, default=None, help="write the report as an XLSX workbook")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            version = get_version(options["version"])
        except ScoringError as exc:
            raise CommandError(str(exc)) from exc
        if options["xlsx"] is not None:
            options["xlsx"].write_bytes(report_xlsx(version))
            self.stdout.write(f"written {options['xlsx']}")
            return
        self.stdout.write(json.dumps(report_json(version), ensure_ascii=False, indent=1))
