"""Use cases on the portfolio that the UI, the admin and the API share."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from huikuan.audit.records import record_access
from huikuan.org.visibility import can_reveal_pii, can_view_case
from huikuan.portfolio.models import ContactPoint


def reveal_contact_point(user: Any, point: ContactPoint, reason: str, channel: str = "web") -> str:
    """The full value of a contact point, for a user whose role allows it, with the look audited."""
    reason = reason.strip()
    if not reason:
        raise ValueError(_("Say why you need the full value."))
    if not can_reveal_pii(user):
        raise PermissionDenied(_("Your role may not see full contact details."))
    case = getattr(point.debtor, "case", None)
    if case is None or not can_view_case(user, case):
        raise PermissionDenied(_("This case is not yours to see."))
    with transaction.atomic():
        record_access(user, point, "value", reason, channel)
    return point.national if point.is_phone else point.value
