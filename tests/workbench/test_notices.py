"""What falls due reaches the collector who holds the case: a call-back at its time, a promise on its day
(the debtor's), a case reassigned to them; each once, whoever sweeps how often."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from huikuan.cases.models import Interaction, Promise
from huikuan.notifications.actions import unread_count
from huikuan.notifications.models import NoticeKind, Notification
from huikuan.notifications.texts import describe
from huikuan.workbench.actions import reassign_case
from huikuan.workbench.models import CallBack
from huikuan.workbench.notices import notify_due
from tests.conftest import client_for


def _callback(case: Any, at: Any) -> CallBack:
    asked = Interaction.objects.create(case=case, channel="call", outcome="callback", at=timezone.now())
    return CallBack.objects.create(case=case, interaction=asked, at=at)


def test_a_call_back_due_is_told_to_the_cases_collector_once(workday: dict[str, Any]) -> None:
    p, now = workday["personas"], timezone.now()
    due = _callback(workday["middle"], now + timedelta(minutes=5))
    _callback(workday["late"], now + timedelta(hours=3))  # not yet
    _callback(workday["early"], now - timedelta(days=2))  # long past: the queue lists it, no notification
    assert notify_due(now) == 1
    assert notify_due(now) == 0  # found again by the sweep, written once
    notice = Notification.objects.get()
    assert (notice.user, notice.kind, notice.key) == (p.alice, NoticeKind.CALLBACK_DUE, f"callback:{due.pk}")
    assert unread_count(p.alice) == 1 and unread_count(p.bob) == 0


def test_a_promise_is_told_on_the_debtors_day(workday: dict[str, Any]) -> None:
    case, now = workday["middle"], timezone.now()
    today = case.debtor.today(now)
    Promise.objects.create(case=case, amount=Decimal("500.00"), due_date=today, created_at=now)
    Promise.objects.create(case=case, amount=Decimal("600.00"), due_date=today + timedelta(days=1), created_at=now)
    notify_due(now)
    notice = Notification.objects.get()
    assert notice.kind == NoticeKind.PROMISE_DUE and notice.params == {"amount": "500.00", "due": today.isoformat()}


def test_the_queue_sweeps_for_whoever_opens_it(workday: dict[str, Any]) -> None:
    p = workday["personas"]
    _callback(workday["bob"], timezone.now() + timedelta(minutes=1))
    page = client_for(p.bob).get("/work/").content.decode()
    assert 'data-testid="unread-count"' in page
    assert Notification.objects.get().user == p.bob


def test_a_reassigned_case_is_told_to_its_new_collector(workday: dict[str, Any]) -> None:
    p = workday["personas"]
    reassign_case(p.lena, workday["middle"], p.bob, "Alice 休假")
    notice = Notification.objects.get(user=p.bob)
    assert notice.kind == NoticeKind.CASE_ASSIGNED and notice.case_id == workday["middle"].pk
    assert "Alice 休假" in describe(notice)


def test_the_queue_reads_promises_once_a_day_and_call_backs_every_time(workday: dict[str, Any]) -> None:
    p, case, now = workday["personas"], workday["middle"], timezone.now()
    alice = client_for(p.alice)
    alice.get("/work/")
    Promise.objects.create(case=case, amount=Decimal("500.00"), due_date=case.debtor.today(now), created_at=now)
    _callback(case, now + timedelta(minutes=2))
    alice.get("/work/")
    assert list(Notification.objects.values_list("kind", flat=True)) == [NoticeKind.CALLBACK_DUE]
    # The notification list sweeps everything; so does the beat task.
    alice.get("/work/notifications/")
    assert set(Notification.objects.values_list("kind", flat=True)) == {NoticeKind.CALLBACK_DUE, NoticeKind.PROMISE_DUE}
