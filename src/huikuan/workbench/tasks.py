"""Celery tasks of the workbench; with no broker (the embedded default) they run in-process."""

from __future__ import annotations

from celery import shared_task

from huikuan.workbench.notices import notify_due


@shared_task(name="huikuan.workbench.tasks.notify_due")
def notify_due_task() -> int:
    """Call-backs and promises that fell due, told to the collectors who hold their cases."""
    return notify_due()
