"""The specialist queue (专员): escalations the nightly run dealt to specialists, and what a specialist decides.

The run hands a case to a specialist (``escalate_specialist``) for a reason it writes as a chain (a large
balance, broken promises, a dispute, a complaint's hold). The items go to collectors with the specialist
skill, else to the team lead (``kernel.strategy.queue``); this queue lists them for whoever may close them
(``can_work_specialist_queue``), with the chain. The specialist either hands the case to legal (a legal case
under review, the legal hold on: ``actions.refer_case``) or back to the team with a note; both close the
case's open escalations and go to the change log, the note screened like a call note.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from huikuan import clock
from huikuan.audit.records import record_change
from huikuan.cases.access import require_visible_case
from huikuan.cases.models import Case
from huikuan.compliance.actions import screen_and_register
from huikuan.kernel.strategy.queue import SPECIALIST
from huikuan.legal.actions import LegalError, refer_case
from huikuan.legal.models import LegalCase
from huikuan.org.models import Role
from huikuan.org.permissions import can_work_specialist_queue, has_role, require
from huikuan.org.visibility import case_filter
from huikuan.strategy.models import WorkItem, WorkStatus


def specialist_queue(user: Any) -> QuerySet[WorkItem]:
    """The open escalations the user may decide: their own; a lead's team's; an administrator's, all."""
    require(can_work_specialist_queue(user), _("Only specialists and team leads work the specialist queue."))
    items = WorkItem.objects.filter(action=SPECIALIST, status=WorkStatus.PENDING)
    if has_role(user, Role.COLLECTOR):
        items = items.filter(assignee_id=user.pk)
    else:
        visible = Case.objects.filter(case_filter(user)).values("pk")
        items = items.filter(case_id__in=visible)
    return items.select_related("case__debtor", "assignee").order_by("-as_of", "-priority", "case_id")


def _close_escalations(user: Any, case: Case, decision: str, note: str) -> int:
    closed = WorkItem.objects.filter(case_id=case.pk, action=SPECIALIST, status=WorkStatus.PENDING).update(
        status=WorkStatus.DONE
    )
    if not closed:
        raise LegalError([_("This case has no open escalation to decide.")])
    record_change(user, case, f"handover:{SPECIALIST}", None, {"decision": decision, "note": note, "items": closed})
    return closed


def hand_to_legal(user: Any, case: Case, note: str, *, now: datetime | None = None) -> LegalCase:
    """The specialist sends the case to legal: its escalations closed, a legal case opened. An entry point."""
    require(can_work_specialist_queue(user), _("Only specialists and team leads work the specialist queue."))
    now = now or clock.now()
    with transaction.atomic(durable=True):
        legal_case = refer_case(user, case, note, now=now)
        _close_escalations(user, case, "to_legal", note.strip())
    return legal_case


def back_to_team(user: Any, case: Case, note: str) -> int:
    """The specialist gives the case back to its team with a note; returns the escalations closed. An entry point."""
    require(can_work_specialist_queue(user), _("Only specialists and team leads work the specialist queue."))
    require_visible_case(user, case)
    if not note.strip():
        raise LegalError([_("Write what the team should do next.")])
    with transaction.atomic(durable=True):
        locked = Case.objects.select_for_update().get(pk=case.pk)
        screen_and_register(note, source="note", case=locked, user=user, subject=f"handover:{SPECIALIST}")
        return _close_escalations(user, locked, "back_to_team", note.strip())
