"""What fell due for a collector, as notifications: call-backs whose time has come, promises due today.

The rows are the workbench's (call-backs) and the cases' (promises); each notification goes to whoever holds
the case now. A sweep writes what is due and was not written before (the notification's key is its cause,
so sweeping again writes nothing twice): the beat task every five minutes, and the queue and the
notification list for the user who opens them, so that an installation without a beat (the demo) still
tells. The queue sweeps a user's promises once a day per session (what falls due today is known when the
day starts; reading the pending promises costs ~20 ms on 100,000 cases, the call-backs well under one).
"Today" for a promise is the debtor's day, the day it was promised for.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from huikuan import clock
from huikuan.cases.models import Promise, PromiseState
from huikuan.notifications.actions import Notice, notify
from huikuan.notifications.models import NoticeKind
from huikuan.portfolio.models import debtor_today
from huikuan.workbench.models import CallBack

# A call-back is told a little before its time, so the collector can be ready; one long past is not
# told any more (the queue lists it until it is made).
CALLBACK_AHEAD = timedelta(minutes=10)
CALLBACK_STALE = timedelta(hours=12)


def due_notices(now: datetime, user: Any = None, *, promises: bool = True) -> list[Notice]:
    """The call-backs (and, with ``promises``, the promises) due at ``now``, for every collector or ``user``."""
    callbacks = CallBack.objects.filter(
        done=False, at__lte=now + CALLBACK_AHEAD, at__gte=now - CALLBACK_STALE, case__assignee__isnull=False
    )
    server_day = timezone.localdate(now)
    # Every debtor's today is within a day of the server's; the exact day is each debtor's (below).
    pending = Promise.objects.filter(
        state=PromiseState.PENDING,
        due_date__range=(server_day - timedelta(days=1), server_day + timedelta(days=1)),
        case__assignee__isnull=False,
    )
    if user is not None:
        callbacks = callbacks.filter(case__assignee_id=user.pk)
        pending = pending.filter(case__assignee_id=user.pk)
    notices = [
        Notice(assignee, NoticeKind.CALLBACK_DUE, f"callback:{pk}", case_id,
               {"at": timezone.localtime(at).strftime("%Y-%m-%d %H:%M")})
        for pk, case_id, assignee, at in callbacks.values_list("pk", "case_id", "case__assignee_id", "at")
    ]  # fmt: skip
    rows = pending.values_list("pk", "case_id", "case__assignee_id", "amount", "due_date", "case__debtor__time_zone")
    if not promises:
        return notices
    notices += [
        Notice(assignee, NoticeKind.PROMISE_DUE, f"promise:{pk}:due", case_id,
               {"amount": f"{amount:,.2f}", "due": due.isoformat()})
        for pk, case_id, assignee, amount, due, zone in rows
        if due == debtor_today(zone, now)
    ]  # fmt: skip
    return notices


def notify_due(now: datetime | None = None, user: Any = None, *, promises: bool = True) -> int:
    """Write the due notifications not yet written (an entry point, durable); returns how many were new."""
    notices = due_notices(now or clock.now(), user, promises=promises)
    if not notices:
        return 0
    with transaction.atomic(durable=True):
        return notify(notices)
