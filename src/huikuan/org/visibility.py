"""Who may see which case: the one place the UI, the admin and the API ask.

A collector sees the cases assigned to them, a team lead their team's cases, QA, legal and admin all.
Superusers see all, because the admin must stay usable for whoever runs the installation.

A case the user may not see is answered exactly like a case that does not exist (404, same body): a 403
would tell a collector which case ids exist in other teams. The refusal is noted for the security log.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q
from django.http import Http404

from huikuan.audit.refusals import note_refusal
from huikuan.org.models import Role
from huikuan.org.permissions import SelfServiceDebtor, has_role, sees_all_cases

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from huikuan.org.models import User


def case_filter(user: User | AnonymousUser | SelfServiceDebtor, prefix: str = "") -> Q:
    """A Q over Case (or over a model reaching Case through `prefix`, e.g. 'case__') for this user."""
    if isinstance(user, SelfServiceDebtor):
        # The debtor's link opens one case: any other id is answered like a case that does not exist.
        return Q(**{f"{prefix}pk": user.case_id})
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if sees_all_cases(user):
        return Q()
    if has_role(user, Role.TEAM_LEAD):
        if user.team_id is None:
            return Q(**{f"{prefix}assignee": user})
        return Q(**{f"{prefix}team_id": user.team_id}) | Q(**{f"{prefix}assignee": user})
    return Q(**{f"{prefix}assignee": user})


class CaseNotFound(Http404):
    """A case hidden from its asker; its message is get_object_or_404's, so even DEBUG pages say the same."""

    def __init__(self) -> None:
        super().__init__("No Case matches the given query.")


def hidden_case(case_id: object, exists: bool = True) -> CaseNotFound:
    """The 404 for a case id this user may not see (or that does not exist), noted for the security log."""
    note_refusal("case of another team or collector" if exists else "no such case", "cases.case", case_id)
    return CaseNotFound()
