"""Who may see which case: the one place the UI, the admin and the API ask.

A collector sees the cases assigned to them, a team lead their team's cases, QA, legal and admin all.
Superusers see all, because the admin must stay usable for whoever runs the installation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Q

from huikuan.org.models import ALL_CASES_ROLES, Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from huikuan.org.models import User


def case_filter(user: User | AnonymousUser, prefix: str = "") -> Q:
    """A Q over Case (or over a model reaching Case through `prefix`, e.g. 'case__') for this user."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.is_superuser or user.role in ALL_CASES_ROLES:
        return Q()
    if user.role == Role.TEAM_LEAD:
        if user.team_id is None:
            return Q(**{f"{prefix}assignee": user})
        return Q(**{f"{prefix}team_id": user.team_id}) | Q(**{f"{prefix}assignee": user})
    return Q(**{f"{prefix}assignee": user})


def can_reveal_pii(user: User | AnonymousUser) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return bool(user.is_superuser or user.role in settings.PII_REVEAL_ROLES)
