"""Celery tasks; without a broker they run in-process (CELERY_TASK_ALWAYS_EAGER)."""

from __future__ import annotations

from datetime import date

from celery import shared_task

from huikuan.payments.settlement import nightly_settlement


@shared_task(name="payments.nightly_settlement")
def settle_nightly(as_of: str | None = None) -> dict[str, object]:
    """Promise states and plan instalments; scheduled nightly after the bank statements are in."""
    counts = nightly_settlement(date.fromisoformat(as_of) if as_of else None)
    return {
        "promises": counts.promises,
        "changed": counts.changed,
        "by_state": counts.by_state,
        "plans": counts.plans,
        "plans_changed": counts.plans_changed,
    }
