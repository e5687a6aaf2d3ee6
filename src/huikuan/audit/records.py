"""Writing the audit trail. Callers pass plain values; this module never decides whether to log."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.http import HttpRequest

from huikuan.audit.models import AccessLog, ChangeLog, SecurityEvent

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, models.Model):
        return value.pk
    return value


def snapshot(instance: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """The instance's concrete field values as JSON-ready data (Decimal as text, dates ISO)."""
    names = fields or [f.attname for f in instance._meta.concrete_fields]
    return {name: _plain(getattr(instance, name)) for name in names}


def change_record(
    user: Any,
    instance: models.Model,
    action: str,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
) -> ChangeLog:
    """The unsaved ChangeLog row; bulk writers collect these and save them with one bulk_create."""
    changed_before = dict(before) if before else None
    changed_after = dict(after) if after else None
    if changed_before and changed_after:
        keys = {k for k in changed_after if changed_before.get(k) != changed_after.get(k)}
        changed_before = {k: changed_before.get(k) for k in sorted(keys)}
        changed_after = {k: changed_after[k] for k in sorted(keys)}
    return ChangeLog(
        user=user if getattr(user, "is_authenticated", False) else None,
        subject_type=instance._meta.label_lower,
        subject_id=str(instance.pk),
        action=action,
        before=changed_before,
        after=changed_after,
    )


def record_change(
    user: Any,
    instance: models.Model,
    action: str,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
) -> ChangeLog:
    row = change_record(user, instance, action, before, after)
    row.save()
    return row


def record_access(user: Any, instance: models.Model, field: str, reason: str, channel: str = "web") -> AccessLog:
    return AccessLog.objects.create(
        user=user,
        subject_type=instance._meta.label_lower,
        subject_id=str(instance.pk),
        field=field,
        reason=reason,
        channel=channel,
    )


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, or behind HUIKUAN_PROXY_COUNT proxies the one the outermost saw."""
    count = settings.HUIKUAN_PROXY_COUNT
    candidate = request.META.get("REMOTE_ADDR", "")
    if count > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= count:
            candidate = forwarded[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


def _text(value: object, limit: int) -> str:
    """Text a column can hold: control characters (PostgreSQL refuses NUL) replaced, cut to the column."""
    return _CONTROL.sub("\ufffd", str(value or ""))[:limit]


def record_security_event(
    kind: str,
    request: HttpRequest | None,
    *,
    user: Any = None,
    username: str = "",
    status: int | None = None,
    subject_type: str = "",
    subject_id: str = "",
    reason: str = "",
) -> SecurityEvent:
    user = user if getattr(user, "is_authenticated", False) else None
    return SecurityEvent.objects.create(
        kind=kind,
        user=user,
        username=_text(username or (user.get_username() if user else ""), 150),
        ip_address=client_ip(request) if request is not None else None,
        method=_text(request.method if request is not None else "", 10),
        path=_text(request.path if request is not None else "", 300),
        status=status,
        subject_type=_text(subject_type, 50),
        subject_id=_text(subject_id, 50),
        reason=_text(reason, 300),
    )
