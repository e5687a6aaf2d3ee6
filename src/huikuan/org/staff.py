"""Users as the queue dealer sees them: role, team, skills (kernel.strategy.queue.Staff).

The nightly run deals work to these; the workbench asks what a user can close and what a team lacks.
"""

from __future__ import annotations

from typing import Any

from huikuan.kernel.strategy.queue import Staff, closable, gaps, parse_skills
from huikuan.org.models import Role, User
from huikuan.org.permissions import role_of

# The roles that hold queues: QA and administrators are dealt nothing.
DEALT_ROLES = (Role.COLLECTOR, Role.TEAM_LEAD, Role.LEGAL)


def active_staff() -> list[Staff]:
    users = User.objects.filter(is_active=True, role__in=DEALT_ROLES).values_list("id", "team_id", "role", "skills")
    return [Staff(uid, team_id, role, parse_skills(skills)) for uid, team_id, role, skills in users]


def closable_by(user: Any) -> frozenset[str]:
    """The kinds of work item this user can close from the case page (nothing for nobody or the system)."""
    role = role_of(user)
    return closable(role, parse_skills(user.skills)) if role else frozenset()


def team_gaps(team_id: int | None) -> tuple[str, ...]:
    """What the team lacks for its routing (kernel.strategy.queue.gaps)."""
    return gaps(team_id, active_staff())
