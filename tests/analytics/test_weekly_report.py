"""The weekly report: last week's KPIs of each lead's team, e-mailed over a real SMTP server (aiosmtpd on
127.0.0.1, as the outbox's e-mail tests), sent by beat on Monday at 08:00 in the installation's zone."""

from __future__ import annotations

from datetime import date

import pytest
from celery.schedules import crontab
from django.conf import settings

from huikuan.analytics.reports import last_week
from huikuan.analytics.tasks import weekly_report
from tests.analytics.conftest import D1, Facts
from tests.comms.conftest import SmtpSink

pytestmark = pytest.mark.django_db


def test_each_lead_gets_last_weeks_figures_of_their_team_by_smtp(facts: Facts, smtp_server: SmtpSink) -> None:
    p = facts.p
    p.lena.email = "lena@example.com"
    p.lena.save()
    # The Monday after the facts' week (D1 is Monday 2 March): the week of 2 to 8 March.
    assert weekly_report(date(2026, 3, 9).isoformat()) == 1
    (mail,) = smtp_server.messages
    assert mail["To"] == "lena@example.com"
    assert "2026-03-02" in mail["Subject"] and "2026-03-08" in mail["Subject"] and "A组" in mail["Subject"]
    body = mail.get_content()
    # Team A on its first day: cases 1 and 2, 1,500.00; 300.00 back (20.0%); 2 promises settled, 1 kept;
    # 3 calls, 1 answered, by the debtor.
    figures = [line.rsplit(" ", 1)[-1] for line in body.splitlines() if line.startswith("- ")]
    assert figures == ["2", "1500.00", "300.00", "20.0%", "2", "50.0%", "3", "33.3%", "33.3%"]
    assert body.rstrip().endswith("/analytics/")


def test_nobody_without_an_address_or_a_team_gets_one(facts: Facts, smtp_server: SmtpSink) -> None:
    assert weekly_report(date(2026, 3, 9).isoformat()) == 0
    assert smtp_server.messages == []


def test_the_report_is_scheduled_for_monday_at_eight_in_the_installations_zone() -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["analytics-weekly-report"]
    schedule = entry["schedule"]
    assert entry["task"] == "huikuan.analytics.weekly_report" and isinstance(schedule, crontab)
    assert (schedule.minute, schedule.hour, schedule.day_of_week) == ({0}, {8}, {1})
    assert settings.CELERY_TIMEZONE == settings.TIME_ZONE


def test_last_week_is_monday_to_sunday_before_the_day() -> None:
    assert last_week(date(2026, 3, 9)) == (D1, date(2026, 3, 8))
    assert last_week(date(2026, 3, 15)) == (D1, date(2026, 3, 8))  # a Sunday: still the week before
