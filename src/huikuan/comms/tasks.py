"""Celery tasks; with no broker (the embedded default) they run in-process."""

from __future__ import annotations

from celery import shared_task

from huikuan.comms.channels.letter.render import render_letter_batch
from huikuan.comms.dispatch import dispatch_due
from huikuan.comms.feeds import consume_pending_messages
from huikuan.comms.validation import queue_validation_notices


@shared_task(name="huikuan.comms.tasks.dispatch_outbox")
def dispatch_outbox(max_batches: int | None = None, now: str | None = None) -> dict[str, int]:
    """``now`` (ISO 8601, for tests and replays) fixes the instant the gate judges; default: the clock."""
    from datetime import datetime

    at = datetime.fromisoformat(now) if now else None
    return dispatch_due(max_batches=max_batches, now=at).as_dict()


@shared_task(name="huikuan.comms.tasks.consume_pending")
def consume_pending() -> int:

    return consume_pending_messages().queued


@shared_task(name="huikuan.comms.tasks.render_letters")
def render_letters(batch: str) -> int:

    return render_letter_batch(batch).letters


@shared_task(name="huikuan.comms.tasks.validation_notices")
def validation_notices() -> int:
    """US: the validation notice of every newly placed case (nothing under another pack)."""
    return queue_validation_notices().queued
