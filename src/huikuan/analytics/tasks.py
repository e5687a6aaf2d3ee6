"""Celery tasks; without a broker they run in-process (CELERY_TASK_ALWAYS_EAGER)."""

from __future__ import annotations

from datetime import date

from celery import shared_task

from huikuan import clock
from huikuan.analytics.dashboard import warm_readout
from huikuan.analytics.facts import nightly_facts
from huikuan.analytics.reports import send_weekly_reports


@shared_task(name="huikuan.analytics.nightly_facts")
def facts_nightly(as_of: str | None = None) -> dict[str, int]:
    """The facts of the day that ended, after the settlement (01:00) and the strategy run (01:30)."""
    today = date.fromisoformat(as_of) if as_of else clock.today()
    counts = nightly_facts(today)
    warm_readout(today)
    return {"case_days": counts.case_days, "contact_days": counts.contact_days, "money_days": counts.money_days}


@shared_task(name="huikuan.analytics.weekly_report")
def weekly_report(today: str | None = None) -> int:
    """Monday 08:00 (beat, the installation's zone): last week's KPIs to each team lead."""
    return send_weekly_reports(date.fromisoformat(today) if today else clock.today())
