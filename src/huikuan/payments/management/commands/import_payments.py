from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from huikuan.payments.statement import FIELDS, import_statement
from huikuan.tabular.reading import ColumnMapping, ImportFileError
from huikuan.tabular.writing import write_csv


class Command(BaseCommand):
    help = "Import a bank statement (CSV/XLSX) as payments: all rows or none (`huikuan import payments FILE`)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--mapping", type=Path, help="YAML file mapping fields to your column titles")
        parser.add_argument("--dry-run", action="store_true", help="allocate and count, write nothing")
        parser.add_argument("--errors-csv", type=Path, help="write the error report here as CSV")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.exists():
            raise CommandError(f"{path}: no such file")
        try:
            mapping = ColumnMapping.load(options["mapping"], FIELDS) if options["mapping"] else None
            report = import_statement(path, mapping, dry_run=options["dry_run"])
        except ImportFileError as exc:
            raise CommandError(f"{path}: {exc}") from exc
        for line in report.error_lines():
            self.stderr.write(line)
        if options["errors_csv"] and report.errors:
            write_csv(options["errors_csv"], report.error_rows(), excel=True)
        if not report.ok:
            raise CommandError(report.summary())
        self.stdout.write(report.summary())
