from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from huikuan.intake.importer import ColumnMapping, ImportFileError, import_accounts


class Command(BaseCommand):
    help = "Import accounts from a CSV or XLSX file: all rows or none (`huikuan import accounts FILE`)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--mapping", type=Path, help="YAML file mapping fields to your column titles")
        parser.add_argument("--dry-run", action="store_true", help="validate and count, write nothing")
        parser.add_argument("--errors-csv", type=Path, help="write the error report here as CSV")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.exists():
            raise CommandError(f"{path}: no such file")
        try:
            mapping = ColumnMapping.load(options["mapping"]) if options["mapping"] else None
            report = import_accounts(path, mapping, dry_run=options["dry_run"])
        except ImportFileError as exc:
            raise CommandError(f"{path}: {exc}") from exc
        for line in report.error_lines():
            self.stderr.write(line)
        if options["errors_csv"] and report.errors:
            options["errors_csv"].write_text(report.errors_csv(), encoding="utf-8-sig")
        if not report.ok:
            raise CommandError(report.summary())
        self.stdout.write(report.summary())
