"""Writing and reading notifications.

``notify`` is a building block: it joins the caller's transaction, so a notification exists exactly when what
it tells of was committed (a rolled-back decision tells nobody). ``mark_read`` is an entry point (durable):
a user marks their own notifications, nobody else's.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from huikuan import clock
from huikuan.db.chunks import chunked
from huikuan.notifications.models import NoticeKind, Notification


@dataclass(frozen=True)
class Notice:
    """One notification to write: to whom, of what kind, caused by what, about which case."""

    user_id: int
    kind: NoticeKind
    key: str
    case_id: int | None = None
    params: Mapping[str, Any] | None = None


def notify(notices: Iterable[Notice]) -> int:
    """Write the notifications not written before (by user and cause); returns how many were new.

    The causes already written are looked up first, so a sweep that finds nothing new writes nothing (the
    queue page sweeps on every load); the unique constraint still holds against a writer in between."""
    given = {(n.user_id, n.key[:120]): n for n in notices}
    if not given:
        return 0
    written: set[tuple[int, str]] = set()
    for chunk in chunked(sorted(given)):
        users = {user for user, _key in chunk}
        keys = [key for _user, key in chunk]
        written |= set(Notification.objects.filter(user_id__in=users, key__in=keys).values_list("user_id", "key"))
    rows = [
        Notification(user_id=user, kind=n.kind.value, key=key, case_id=n.case_id, params=dict(n.params or {}))
        for (user, key), n in given.items()
        if (user, key) not in written
    ]
    if rows:
        with transaction.atomic():
            Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def notifications_of(user: Any) -> QuerySet[Notification]:
    """The user's notifications, newest first (none for an anonymous user)."""
    if not getattr(user, "is_authenticated", False):
        return Notification.objects.none()
    return Notification.objects.filter(user_id=user.pk)


def unread_count(user: Any) -> int:
    return notifications_of(user).filter(read_at__isnull=True).count()


def mark_read(user: Any, ids: Collection[int] | None = None) -> int:
    """Mark the user's own notifications read: those of ``ids``, or all of them; returns how many changed."""
    unread = notifications_of(user).filter(read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    with transaction.atomic(durable=True):
        return unread.update(read_at=clock.now())
