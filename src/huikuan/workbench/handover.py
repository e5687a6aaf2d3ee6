"""Closing the day's hand-overs from the case page: a specialist's review and a legal review.

A call or a visit is closed by logging it (``actions.save_outcome``); the two hand-overs are not contacts,
so they are closed here, by whoever the routing allows to (``kernel.strategy.queue.closable``): the
specialist or the team lead for ``escalate_specialist``, legal counsel or the team lead for
``legal_review``. The reviewer writes what was decided; the note is screened like a call note and, with the
decision, goes to the change log. A legal review may refer the case to legal (its status becomes ``legal``:
its stage is then legal and the gate asks collectors to confirm with legal before each contact) or send it
back to collection. A time-barred debt is never referred where the pack forbids a suit on it
(us.time_barred_suit).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from huikuan import clock
from huikuan.audit.records import record_change
from huikuan.cases.access import require_visible_case
from huikuan.cases.models import Case, CaseStatus
from huikuan.compliance.actions import screen_and_register
from huikuan.compliance.validation import time_barred_refusal
from huikuan.kernel.strategy.queue import LEGAL_REVIEW, SPECIALIST
from huikuan.org.permissions import can_close_work_item, require
from huikuan.strategy.models import WorkItem, WorkStatus

# The decisions each hand-over offers, with their labels for the form.
DECISIONS = {
    SPECIALIST: (("reviewed", gettext_lazy("Reviewed: collection goes on as noted")),),
    LEGAL_REVIEW: (
        ("continue", gettext_lazy("Not yet: collection goes on")),
        ("refer", gettext_lazy("Refer the case to legal")),
    ),
}


class HandOverError(ValueError):
    def __init__(self, messages: list[str]) -> None:
        self.messages = messages
        super().__init__("; ".join(messages))


def close_hand_over(
    user: Any, case: Case, action: str, decision: str, note: str, *, now: datetime | None = None
) -> int:
    """Close today's open ``action`` item of the case with the reviewer's decision; returns items closed.

    An entry point (its own transaction)."""
    require_visible_case(user, case)
    if action not in DECISIONS:
        raise HandOverError([_("Only a specialist hand-over or a legal review is closed here.")])
    require(can_close_work_item(user, action), _("Your role cannot close this kind of work item."))
    errors = []
    if decision not in dict(DECISIONS[action]):
        errors.append(_("Choose a decision."))
    if not note.strip():
        errors.append(_("Write what you decided and why."))
    now = now or clock.now()
    if decision == "refer":
        barred = time_barred_refusal(case, now, get_language() or "zh")
        if barred:
            errors.append(barred)
    if errors:
        raise HandOverError(errors)
    with transaction.atomic(durable=True):
        locked = Case.objects.select_for_update().get(pk=case.pk)
        closed = WorkItem.objects.filter(
            case_id=case.pk, as_of=timezone.localdate(now), action=action, status=WorkStatus.PENDING
        ).update(status=WorkStatus.DONE)
        if not closed:
            raise HandOverError([_("Nothing of this kind is open on this case today.")])
        screen_and_register(note, source="note", case=locked, user=user, subject=f"handover:{action}")
        if decision == "refer" and locked.status != CaseStatus.LEGAL:
            before = {"status": locked.status}
            locked.status = CaseStatus.LEGAL
            locked.save(update_fields=["status"])
            record_change(user, locked, "case:referred_to_legal", before, {"status": locked.status})
        record_change(
            user, locked, f"handover:{action}", None, {"decision": decision, "note": note.strip(), "items": closed}
        )
    return closed
