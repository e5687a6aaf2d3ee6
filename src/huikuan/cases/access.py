"""Access to one case and what hangs off it: the checks the UI, the admin and the API share.

Which cases a user may see is `org.visibility.case_filter`; this module applies it to a case and guards the
looks at personal data that are made through a case.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.utils.translation import gettext as _

from huikuan.audit.records import record_access
from huikuan.cases.models import Case
from huikuan.kernel.identifiers import normalise_reference
from huikuan.org.models import User
from huikuan.org.permissions import can_reveal_pii, require
from huikuan.org.visibility import case_filter, hidden_case
from huikuan.portfolio.models import Account, ContactPoint


def can_view_case(user: User | AnonymousUser, case: Case) -> bool:
    return Case.objects.filter(case_filter(user), pk=case.pk).exists()


def require_visible_case(user: User | AnonymousUser, case: Case) -> None:
    """For actions handed a case: raises CaseNotFound (answered as 404) unless the user may see it."""
    if not can_view_case(user, case):
        raise hidden_case(case.pk)


def visible_case_or_404(user: Any, case_id: int) -> Case:
    """The case if this user may see it; the same 404 whether it is hidden or does not exist (org.visibility)."""
    case = Case.objects.filter(case_filter(user), pk=case_id).select_related("debtor", "assignee", "team").first()
    if case is None:
        # Asked on both paths, so a hidden case costs the same queries as a missing one.
        raise hidden_case(case_id, exists=Case.objects.filter(pk=case_id).exists())
    return case


def visible_contract(user: Any, contract_no: str) -> tuple[Account, Case] | None:
    """The contract with this number (any spelling: full-width digits fold to ASCII) and its case, when the
    user may see that case; None otherwise, the same for a contract of another team as for a missing one."""
    account = Account.objects.filter(contract_no=normalise_reference(contract_no)).select_related("debtor").first()
    if account is None:
        return None
    case = Case.objects.filter(case_filter(user), debtor_id=account.debtor_id).select_related("debtor").first()
    return (account, case) if case is not None else None


def reveal_contact_point(user: Any, point: ContactPoint, reason: str, channel: str = "web") -> str:
    """The full value of a contact point, for a user whose role allows it, with the look audited.

    An entry point (the case page, the API): the look is written in a transaction of its own.
    """
    require(can_reveal_pii(user), _("Your role may not see full contact details."))
    reason = reason.strip()
    if not reason:
        raise ValueError(_("Say why you need the full value."))
    case = getattr(point.debtor, "case", None)
    if case is None or not can_view_case(user, case):
        raise hidden_case(case.pk if case is not None else "", exists=case is not None)
    with transaction.atomic(durable=True):
        record_access(user, point, "value", reason, channel)
    return point.national if point.is_phone else point.value
