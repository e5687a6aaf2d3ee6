"""Which of a case's plans binds the debtor: putting a plan in force, and what that replaces.

A plan is in force once it is active: agreed without a waiver, or with one the requester could grant, or
once a lead approved the waiver it waits for. Only then does it replace the case's earlier plans and is
the debtor sent its confirmation. A plan that waits for a waiver is a conditional agreement: it replaces
other conditional offers (proposed, or waiting themselves), never the arrangement in force, so that a
rejected waiver leaves the debtor bound to what they had agreed before (docs/plans.md, "Waivers that wait
for a lead"). Building blocks: they join the caller's transaction, which holds the case's plans locked.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from huikuan.audit.models import ChangeLog
from huikuan.audit.records import change_record
from huikuan.payments.models import (
    OPEN_PLAN_STATUSES,
    MessageKind,
    PendingMessage,
    PlanStatus,
    RepaymentPlan,
    WaiverRequest,
    WaiverStatus,
)

# What a conditional agreement replaces, and what an agreement in force replaces.
OFFERS = (PlanStatus.PROPOSED, PlanStatus.ACCEPTED)
REPLACED_IN_FORCE = (*OPEN_PLAN_STATUSES, PlanStatus.BROKEN)


def put_in_force(user: Any, plan: RepaymentPlan, now: datetime) -> None:
    """``plan`` is now active: every other open (or broken) plan of its case is cancelled, and the debtor's
    confirmation is queued for comms (once per plan, whichever path put it in force)."""
    supersede_plans(user, plan, now, REPLACED_IN_FORCE)
    PendingMessage.objects.get_or_create(
        cause=f"plan:{plan.pk}:accepted",
        defaults={"kind": MessageKind.PLAN_CONFIRMATION, "debtor_id": plan.case.debtor_id},
    )


def supersede_plans(user: Any, kept: RepaymentPlan, now: datetime, statuses: Collection[str]) -> None:
    """Cancel the case's other plans in ``statuses``; their waiting waivers are rejected with them."""
    superseded = list(
        RepaymentPlan.objects.select_for_update()
        .filter(case_id=kept.case_id, status__in=list(statuses))
        .exclude(pk=kept.pk)
        .order_by("pk")
    )
    if not superseded:
        return
    audit = []
    for old in superseded:
        audit.append(
            change_record(
                user,
                old,
                "plan:cancelled",
                {"status": old.status},
                {"status": PlanStatus.CANCELLED, "replaced_by": kept.pk},
            )
        )
        old.status = PlanStatus.CANCELLED
        old.status_changed_at = now
    RepaymentPlan.objects.bulk_update(superseded, ["status", "status_changed_at"])
    ChangeLog.objects.bulk_create(audit)
    # A waiver still waiting for a lead was part of the replaced offer; approving it later would write
    # off money for an agreement the debtor no longer has.
    reject_pending_waivers(user, [p.pk for p in superseded], _("plan replaced by another"), now)


def reject_pending_waivers(user: Any, plan_ids: list[int], reason: str, now: datetime) -> None:
    pending = list(
        WaiverRequest.objects.select_for_update()
        .filter(plan_id__in=plan_ids, status=WaiverStatus.PENDING)
        .order_by("pk")
    )
    for request in pending:
        request.status = WaiverStatus.REJECTED
        request.decision_reason = reason[:300]
        request.decided_at = now
    WaiverRequest.objects.bulk_update(pending, ["status", "decision_reason", "decided_at"])
    ChangeLog.objects.bulk_create(
        [
            change_record(
                user,
                request,
                "waiver:rejected",
                {"status": WaiverStatus.PENDING},
                {"status": WaiverStatus.REJECTED, "reason": request.decision_reason},
            )
            for request in pending
        ]
    )
