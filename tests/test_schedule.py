"""The nightly order matters: promises settle before the strategy reads them; every scheduled task exists."""

from celery.schedules import crontab
from django.conf import settings

from huikuan.config.celery import app


def test_every_beat_entry_names_a_registered_task() -> None:
    app.loader.import_default_modules()
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert entry["task"] in app.tasks, name


def test_promises_settle_before_the_strategy_run() -> None:
    schedule = settings.CELERY_BEAT_SCHEDULE
    settle = schedule["payments-nightly-settlement"]["schedule"]
    run = schedule["strategy-nightly-run"]["schedule"]
    assert isinstance(settle, crontab) and isinstance(run, crontab)
    assert (min(settle.hour), min(settle.minute)) < (min(run.hour), min(run.minute))
