"""The weekly report e-mailed to each team lead: last week's KPIs of their team (Monday to Sunday).

Sent by beat on Monday at 08:00 in the installation's zone (``CELERY_TIMEZONE`` is ``TIME_ZONE``;
``HUIKUAN_WEEKLY_REPORT_SCHEDULE`` moves it), through the e-mail backend the outbox uses
(``COMMS_EMAIL_BACKEND``: SMTP in production). The figures are the dashboards' (``dashboard``), in the
lead's scope, so the report says what the lead's page says for the same week.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl
from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from huikuan.analytics.dashboard import Filters, Scope, contact_frame, portfolio_frame, scope_of, yuan
from huikuan.kernel.analytics.kpis import contact_rates, promise_kept_rate
from huikuan.org.models import Role, User


def last_week(today: date) -> tuple[date, date]:
    """Monday and Sunday of the week before ``today``'s.

    >>> last_week(date(2026, 12, 7))  # a Monday
    (datetime.date(2026, 11, 30), datetime.date(2026, 12, 6))
    """
    monday = today - timedelta(days=today.weekday())
    return monday - timedelta(days=7), monday - timedelta(days=1)


@dataclass(frozen=True)
class WeekFigures:
    first: date
    last: date
    open_cases: int
    balance: str | None
    recovered: str | None
    recovery_rate: float | None
    promises_settled: int
    kept_rate: float | None
    attempts: int
    contact_rate: float | None
    rpc_rate: float | None


def week_figures(scope: Scope, first: date, last: date) -> WeekFigures:
    """The week's KPIs in a scope: cases and balance open on its first day, yuan recovered in it and their
    ratio, promises settled and kept, call attempts and the contact and right-party contact rates."""
    filters = Filters(first, last, scope.team_id)
    days = portfolio_frame(scope, filters, ("day",))
    opening = days.filter(pl.col("day") == first)
    balance = int(opening["balance_fen"].sum()) if opening.height else 0
    recovered = int(days["paid_fen"].sum()) if days.height else 0
    kept = promise_kept_rate(days).row(0, named=True)
    contacts = contact_rates(contact_frame(scope, filters, ("channel",))).row(0, named=True)
    return WeekFigures(
        first,
        last,
        open_cases=int(opening["cases"].sum()) if opening.height else 0,
        balance=yuan(balance),
        recovered=yuan(recovered),
        recovery_rate=recovered / balance if balance else None,
        promises_settled=int(kept["promises_settled"] or 0),
        kept_rate=kept["kept_rate"],
        attempts=int(contacts["attempts"] or 0),
        contact_rate=contacts["contact_rate"],
        rpc_rate=contacts["rpc_rate"],
    )


def leads() -> list[User]:
    """Who gets the report: active team leads with a team and an e-mail address."""
    return list(
        User.objects.filter(role=Role.TEAM_LEAD, is_active=True, team__isnull=False)
        .exclude(email="")
        .select_related("team")
        .order_by("pk")
    )


def report_message(lead: User, today: date) -> EmailMessage:
    first, last = last_week(today)
    figures = week_figures(scope_of(lead), first, last)
    with translation.override(settings.LANGUAGE_CODE):
        team = lead.team.name if lead.team is not None else ""
        subject = _("Weekly figures of %(team)s: %(first)s to %(last)s") % {
            "team": team,
            "first": first.isoformat(),
            "last": last.isoformat(),
        }
        body = render_to_string(
            "analytics/weekly_report.txt",
            {"lead": lead, "team": team, "w": figures, "url": f"{settings.SITE_URL.rstrip('/')}/analytics/"},
        )
    return EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [lead.email])


def send_weekly_reports(today: date) -> int:
    """One e-mail per lead with last week's figures of their team; returns how many were sent."""
    messages = [report_message(lead, today) for lead in leads()]
    if not messages:
        return 0
    with get_connection(settings.COMMS_EMAIL_BACKEND, fail_silently=False) as connection:
        return int(connection.send_messages(messages) or 0)
