"""When the nightly jobs run: a beat schedule read from the environment.

Production keeps the defaults (settlement at 01:00, the strategy run at 01:30, the installation's time zone);
an operator moves them with five crontab fields, and a smoke test of a deployment gives a number of seconds
so beat sends both within moments of starting.
"""

from __future__ import annotations

from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured


def beat_schedule(name: str, text: str) -> crontab | float:
    """Five crontab fields ("30 1 * * *": minute hour day-of-month month day-of-week) or a period in seconds."""
    text = text.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        if not (0 < seconds < float("inf")):
            raise ImproperlyConfigured(f"{name}={text!r}: a period must be a positive number of seconds.")
        return seconds
    fields = text.split()
    if len(fields) != 5:
        raise ImproperlyConfigured(
            f"{name}={text!r}: give five crontab fields (minute hour day-of-month month day-of-week, "
            "e.g. '30 1 * * *') or a period in seconds."
        )
    minute, hour, day_of_month, month_of_year, day_of_week = fields
    try:
        return crontab(
            minute=minute, hour=hour, day_of_month=day_of_month, month_of_year=month_of_year, day_of_week=day_of_week
        )
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={text!r}: {exc}") from exc
