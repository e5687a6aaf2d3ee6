"""Recording a contact: the gate is asked first, the notes are screened, the contact point learns from the outcome."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from huikuan.audit.records import record_change
from huikuan.cases.access import require_visible_case
from huikuan.cases.models import Case, Interaction, Outcome, Party
from huikuan.compliance.actions import GateAnswer, require_gate, screen_and_register
from huikuan.compliance.models import GateSource
from huikuan.kernel.compliance.screening import Flag
from huikuan.portfolio.models import ContactPoint, Relation, Validity

PARTY_OF_OUTCOME = {
    Outcome.RIGHT_PARTY: Party.DEBTOR,
    Outcome.PROMISE: Party.DEBTOR,
    Outcome.PLAN_ACCEPTED: Party.DEBTOR,
    Outcome.REFUSAL: Party.DEBTOR,
    Outcome.DISPUTE: Party.DEBTOR,
    Outcome.HARDSHIP: Party.DEBTOR,
    Outcome.CALLBACK: Party.DEBTOR,
    Outcome.HUNG_UP: Party.DEBTOR,
    Outcome.THIRD_PARTY: Party.THIRD_PARTY,
}


@dataclass(frozen=True)
class LoggedContact:
    interaction: Interaction
    gate: GateAnswer
    flags: list[Flag]


def log_contact(
    case: Case,
    point: ContactPoint | None,
    channel: str,
    outcome: str,
    *,
    user: Any,
    notes: str = "",
    source: GateSource = GateSource.WORKBENCH,
    at: datetime | None = None,
) -> LoggedContact:
    """Record an outbound contact made now; the gate is asked first and a blocked contact is not recorded.

    Raises ContactBlocked (with the rule, its source and the next allowed time) when the gate says no.
    """
    require_visible_case(user, case)
    if point is not None and point.debtor_id != case.debtor_id:
        raise ValueError(_("The contact point belongs to another debtor."))
    at = at or timezone.now()
    # The refusal is evidence for QA: it is logged outside the transaction that a block abandons.
    answer = require_gate(case, point, channel, source=source, at=at, user=user)
    with transaction.atomic():
        party = PARTY_OF_OUTCOME.get(Outcome(outcome), Party.NOBODY)
        if party == Party.DEBTOR and point is not None and point.relation != Relation.SELF:
            party = Party.THIRD_PARTY
        interaction = Interaction.objects.create(
            case=case, contact_point=point, channel=channel, party=party, outcome=outcome, notes=notes, at=at, user=user
        )
        flags = (
            screen_and_register(notes, source="note", case=case, user=user, subject=f"interaction:{interaction.pk}")
            if notes.strip()
            else []
        )
        if point is not None:
            _update_validity(point, Outcome(outcome), user)
    return LoggedContact(interaction, answer, flags)


def _update_validity(point: ContactPoint, outcome: Outcome, user: Any) -> None:
    if outcome == Outcome.WRONG_NUMBER and point.validity != Validity.INVALID:
        new = Validity.INVALID
    elif outcome in PARTY_OF_OUTCOME and point.validity != Validity.VALID:
        new = Validity.VALID
    else:
        return
    before = {"validity": point.validity}
    point.validity = new
    point.save(update_fields=["validity"])
    record_change(user, point, "contact:validity", before, {"validity": new})
