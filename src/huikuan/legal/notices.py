"""Hearing reminders: a court hearing in the next days, told to the counsel who scheduled it.

A sweep like the workbench's (``workbench.notices``): the notification's key is the hearing (the file and its
time), so sweeping again writes nothing twice and a hearing moved to another day is told again. The beat
task runs it hourly and the legal queue sweeps for its reader when opened, so an installation without a beat
(the demo) still tells.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from huikuan import clock
from huikuan.kernel.legal import hearing_reminder_due
from huikuan.legal.models import OPEN_STAGES, LegalCase, LegalMove, LegalStage
from huikuan.notifications.actions import Notice, notify
from huikuan.notifications.models import NoticeKind

HEARING_AHEAD_DAYS = 3


def hearing_notices(now: datetime, user: Any = None) -> list[Notice]:
    """The hearings within ``HEARING_AHEAD_DAYS`` of ``now``, each for the counsel who scheduled it (or ``user``'s)."""
    upcoming = LegalCase.objects.filter(
        stage__in=OPEN_STAGES, next_hearing__gte=now, next_hearing__lte=now + timedelta(days=HEARING_AHEAD_DAYS)
    )
    notices = []
    for legal_case in upcoming:
        scheduled_by = (
            LegalMove.objects.filter(legal_case=legal_case, to_stage=LegalStage.HEARING, by__isnull=False)
            .order_by("-at", "-id")
            .values_list("by_id", flat=True)
            .first()
        ) or legal_case.opened_by_id
        if scheduled_by is None or (user is not None and scheduled_by != user.pk):
            continue
        if not hearing_reminder_due(legal_case.next_hearing, now, HEARING_AHEAD_DAYS):
            continue
        assert legal_case.next_hearing is not None
        at = timezone.localtime(legal_case.next_hearing)
        notices.append(
            Notice(
                scheduled_by,
                NoticeKind.HEARING_DUE,
                f"hearing:{legal_case.pk}:{legal_case.next_hearing.isoformat()}",
                legal_case.case_id,
                {"at": at.strftime("%Y-%m-%d %H:%M"), "court": legal_case.court},
            )
        )
    return notices


def notify_hearings(user: Any = None, *, now: datetime | None = None) -> int:
    """Write the hearing reminders not written before; returns how many are new."""
    return notify(hearing_notices(now or clock.now(), user))
