"""Who may do what: one vocabulary of roles and capabilities that every action asks.

The action (the use case) asks for the capability it needs and raises ``PermissionDenied`` without it, so
the web, the API and the command line get the same answer; a view or a handler only turns that into its
response (403), and a page that is one capability's (the import screen, the team page) asks the same name
before it shows itself. Which *cases* a user sees is ``visibility.case_filter``; the capabilities here say
what a user may do with the cases they see.

- A user holds the capabilities of their role. A superuser counts as an administrator; an anonymous or
  inactive user holds none.
- Two role lists are the installation's to set: ``settings.PII_REVEAL_ROLES`` (who may reveal a full
  contact detail) and ``settings.HUIKUAN_PAYMENTS["posting_roles"]`` (who may post and reverse money).
- ``None`` as the user is the system: the command line and the scheduled tasks, run by whoever holds the
  installation's settings and database already. It holds only the capabilities those run (importing
  accounts, managing policies and runs, loading templates), never the ones that act for a person.

The table of who may do what is in docs/architecture.md ("Permissions").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied

from huikuan.kernel.strategy.queue import SPECIALIST, closable, parse_skills
from huikuan.org.models import ALL_CASES_ROLES, Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from huikuan.org.models import User

    Actor = User | AnonymousUser | None
else:
    Actor = Any

# Collectors record what the debtor says; money is posted by finance (leads and administrators).
DEFAULT_POSTING_ROLES = frozenset({Role.TEAM_LEAD.value, Role.ADMIN.value})
LEADS = (Role.TEAM_LEAD, Role.ADMIN)
# QA and legal read what the leads write (templates, where legal signs off lawyer's letters; policies; the QA
# register) but change none of it. Collectors send what was approved and never see the editors.
READERS = (*LEADS, Role.QA, Role.LEGAL)


# The role name a debtor acting on their own case holds (the payments policy's waiver authority is keyed by it).
SELF_SERVICE = "self_service"


@dataclass(frozen=True)
class SelfServiceDebtor:
    """The debtor acting on their own case through a self-service link, after the one-time code.

    Not a staff user: it is not authenticated in Django's sense, so no row of the audit trail or of a
    ``created_by`` names a user for it (the self-service app's own events name the link and the code). It
    sees exactly one case (``visibility.case_filter``) and may negotiate on it (``can_negotiate``): the
    debtor's acceptance of a plan or promise goes through the same actions as a collector's.
    """

    case_id: int
    is_authenticated: bool = False
    is_active: bool = True
    is_superuser: bool = False
    pk: None = None


def is_self_service(user: Actor) -> bool:
    return isinstance(user, SelfServiceDebtor)


def staff_user(user: Actor) -> User | None:
    """The user an action records as its author: None for the system and for a debtor acting themselves."""
    return user if getattr(user, "is_authenticated", False) else None  # type: ignore[return-value]


def is_system(user: Actor) -> bool:
    return user is None


def role_of(user: Actor) -> str:
    """The role whose rules apply to the user: "" for nobody (anonymous, inactive, the system)."""
    if isinstance(user, SelfServiceDebtor):
        return SELF_SERVICE
    if user is None or not user.is_authenticated or not user.is_active:
        return ""
    if user.is_superuser:
        return Role.ADMIN.value
    return str(getattr(user, "role", ""))


def has_role(user: Actor, *roles: str) -> bool:
    role = role_of(user)
    return bool(role) and role in roles


def sees_all_cases(user: Actor) -> bool:
    return has_role(user, *ALL_CASES_ROLES)


def posting_roles() -> frozenset[str]:
    configured = (getattr(settings, "HUIKUAN_PAYMENTS", None) or {}).get("posting_roles")
    return DEFAULT_POSTING_ROLES if configured is None else frozenset(str(r) for r in configured)


# Capabilities ------------------------------------------------------------------------------------------------


def can_negotiate(user: Actor) -> bool:
    """Offer and agree repayment plans, record promises, ask for waivers, cancel a plan.

    The debtor on their own self-service page agrees with themselves: only on their one case (visibility)."""
    return is_self_service(user) or has_role(user, Role.COLLECTOR, Role.TEAM_LEAD, Role.LEGAL, Role.ADMIN)


def can_edit_contacts(user: Actor) -> bool:
    """Add a phone number or an address the debtor or a third party gives, or correct one (unverified)."""
    return has_role(user, Role.COLLECTOR, Role.TEAM_LEAD, Role.LEGAL, Role.ADMIN)


def can_post_payments(user: Actor) -> bool:
    """Post a payment by hand or through the API, and reverse one (the roles are the installation's)."""
    return has_role(user, *posting_roles())


def can_decide_waivers(user: Actor) -> bool:
    """Approve or reject waivers beyond the requester's authority: a lead for the team's cases, an admin any."""
    return has_role(user, *LEADS)


def can_reveal_pii(user: Actor) -> bool:
    """See a full phone number or address (each look is audited); the roles are the installation's."""
    return has_role(user, *settings.PII_REVEAL_ROLES)


def can_import(user: Actor) -> bool:
    """Import accounts from a file (the screen, the API, the command)."""
    return is_system(user) or has_role(user, *LEADS)


def can_view_templates(user: Actor) -> bool:
    return has_role(user, *READERS)


def can_manage_templates(user: Actor) -> bool:
    """Write template versions and activate them."""
    return is_system(user) or has_role(user, *LEADS)


def can_view_strategy(user: Actor) -> bool:
    return has_role(user, *READERS)


def can_run_strategy(user: Actor) -> bool:
    """Import and activate policies, start runs and experiments."""
    return is_system(user) or has_role(user, *LEADS)


def can_view_qa_register(user: Actor) -> bool:
    return has_role(user, *READERS)


def can_review_qa(user: Actor) -> bool:
    """Confirm or dismiss a flagged text or a gate decision in the QA register."""
    return has_role(user, Role.QA, *LEADS)


def can_override_warnings(user: Actor) -> bool:
    """Let a contact the gate warned about go ahead (a block is nobody's to override)."""
    return has_role(user, *LEADS)


def can_settle_messages(user: Actor) -> bool:
    """Resend or mark delivered a message a dead worker left uncertain, after checking the provider."""
    return has_role(user, Role.QA, *LEADS)


def can_lead_team(user: Actor) -> bool:
    """The team page: the team's queues, reassigning its cases, the waivers waiting for a decision."""
    return has_role(user, *LEADS)


def can_record_training(user: Actor) -> bool:
    """Record a course a collector passed (a lead for their team, an administrator for anyone)."""
    return is_system(user) or has_role(user, *LEADS)


def can_close_work_item(user: Actor, action: str) -> bool:
    """Close a work item of this kind from the case page: a call or visit by logging it, a specialist
    hand-over or a legal review by deciding it. By role and skills (kernel.strategy.queue.closable), the
    rule the nightly run deals by."""
    role = role_of(user)
    skills = parse_skills(str(getattr(user, "skills", "") or ""))
    return bool(role) and action in closable(role, skills)


def can_move_legal_cases(user: Actor) -> bool:
    """Move a legal case through its stages, record its court facts and documents, build its evidence pack."""
    return has_role(user, Role.LEGAL, Role.ADMIN)


def can_refer_to_legal(user: Actor) -> bool:
    """Put a case into legal status from its page (a specialist hands over from the specialist queue instead)."""
    return has_role(user, Role.LEGAL, *LEADS)


def can_work_specialist_queue(user: Actor) -> bool:
    """The specialist queue (专员): escalations with their reason chain, handed to legal or back to the team.
    Whoever may close a specialist hand-over: a collector with the specialist skill, a lead, an admin."""
    return can_close_work_item(user, SPECIALIST)


CAPABILITIES = {
    "negotiate": can_negotiate,
    "edit_contacts": can_edit_contacts,
    "post_payments": can_post_payments,
    "decide_waivers": can_decide_waivers,
    "reveal_pii": can_reveal_pii,
    "import": can_import,
    "view_templates": can_view_templates,
    "manage_templates": can_manage_templates,
    "view_strategy": can_view_strategy,
    "run_strategy": can_run_strategy,
    "view_qa_register": can_view_qa_register,
    "review_qa": can_review_qa,
    "override_warnings": can_override_warnings,
    "lead_team": can_lead_team,
    "settle_messages": can_settle_messages,
    "record_training": can_record_training,
    "move_legal_cases": can_move_legal_cases,
    "refer_to_legal": can_refer_to_legal,
    "work_specialist_queue": can_work_specialist_queue,
}


def capabilities(user: Actor) -> dict[str, bool]:
    """Every capability's answer for the user: what the pages' menus show."""
    return {name: capability(user) for name, capability in CAPABILITIES.items()}


def require(allowed: bool, message: str) -> None:
    """Raise PermissionDenied with the message (shown to the user, and the security log's reason) unless ``allowed``."""
    if not allowed:
        raise PermissionDenied(message)
