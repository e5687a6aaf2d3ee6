"""Celery tasks of the legal app; with no broker (the embedded default) they run in-process."""

from __future__ import annotations

from celery import shared_task

from huikuan.legal.notices import notify_hearings


@shared_task(name="huikuan.legal.tasks.notify_hearings")
def notify_hearings_task() -> int:
    """Court hearings in the next days, told to the counsel who scheduled them."""
    return notify_hearings()
