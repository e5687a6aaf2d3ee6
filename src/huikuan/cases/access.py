"""Access to one case and what hangs off it: the checks the UI, the admin and the API share.

Which cases a user may see is `org.visibility.case_filter`; this module applies it to a case and guards the
looks at personal data that are made through a case.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from huikuan.audit.records import record_access
from huikuan.cases.models import Case
from huikuan.org.models import User
from huikuan.org.visibility import can_reveal_pii, case_filter
from huikuan.portfolio.models import ContactPoint


def can_view_case(user: User | AnonymousUser, case: Case) -> bool:
    return Case.objects.filter(case_filter(user), pk=case.pk).exists()


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
