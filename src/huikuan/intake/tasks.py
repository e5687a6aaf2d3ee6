"""Background work of the portfolio: Celery tasks that wrap the same functions the command line calls."""

from __future__ import annotations

from pathlib import Path

from celery import shared_task

from huikuan.intake.importer import ColumnMapping, import_accounts
from huikuan.org.models import User


@shared_task(name="intake.import_accounts")
def import_accounts_task(
    path: str, mapping_text: str | None = None, dry_run: bool = False, user_id: int | None = None
) -> dict[str, object]:
    """Import a file already on shared storage; the result is the report in plain data for the caller."""
    # Without a user id it is the system's import; with one, that user's (whose role must allow it), never
    # the system's because the user is gone.
    user = User.objects.get(pk=user_id) if user_id else None
    mapping = ColumnMapping.parse(mapping_text) if mapping_text else None
    report = import_accounts(Path(path), mapping, dry_run=dry_run, user=user)
    return {
        "ok": report.ok,
        "rows": report.rows,
        "summary": report.summary(),
        "errors": report.error_lines(),
        "batch_id": report.batch_id,
    }
