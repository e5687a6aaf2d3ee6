"""Writing the audit trail. Callers pass plain values; this module never decides whether to log."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import models

from huikuan.audit.models import AccessLog, ChangeLog


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
