from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser

from huikuan.intake.importer import ColumnMapping, ImportFileError, import_accounts
from huikuan.org.models import User
from huikuan.tabular.writing import write_csv


class Command(BaseCommand):
    help = "Import accounts from a CSV or XLSX file: all rows or none (`huikuan import accounts FILE`)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--mapping", type=Path, help="YAML file mapping fields to your column titles")
        parser.add_argument("--dry-run", action="store_true", help="validate and count, write nothing")
        parser.add_argument("--errors-csv", type=Path, help="write the error report here as CSV")
        parser.add_argument(
            "--user",
            help="import as this user: their rules apply and their name is on every entry (default: the operator, "
            "with an administrator's rules and no name)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.exists():
            raise CommandError(f"{path}: no such file")
        user = None
        if options["user"]:
            user = User.objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"{options['user']}: no such user")
        try:
            mapping = ColumnMapping.load(options["mapping"]) if options["mapping"] else None
            report = import_accounts(path, mapping, dry_run=options["dry_run"], user=user)
        except (ImportFileError, PermissionDenied) as exc:
            raise CommandError(f"{path}: {exc}") from exc
        for line in report.error_lines():
            self.stderr.write(line)
        if options["errors_csv"] and report.errors:
            write_csv(options["errors_csv"], report.error_rows(), excel=True)
        if not report.ok:
            raise CommandError(report.summary())
        self.stdout.write(report.summary())
