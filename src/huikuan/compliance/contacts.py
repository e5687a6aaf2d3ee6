"""Recording a contact: the gate is asked first, the notes are screened, the contact point learns from the outcome.

``log_contact`` is the entry point (the outermost transaction); ``new_contact`` the building block that the
call's outcome (workbench) records in its own transaction with the promise, plan and call-back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from huikuan import clock
from huikuan.audit.records import record_change
from huikuan.cases.access import require_visible_case
from huikuan.cases.models import Case, Interaction, Outcome
from huikuan.compliance.actions import GateAnswer, require_gate, screen_and_register
from huikuan.compliance.models import GateSource
from huikuan.kernel import contacts
from huikuan.kernel.compliance.screening import Flag
from huikuan.portfolio.models import ContactPoint, Validity


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
    companions: Sequence[Any] = (),
    audience: str = "debtor",
) -> LoggedContact:
    """Record an outbound contact made now; the gate is asked first and a blocked contact is not recorded.

    The entry point (the API): the contact is written in the outermost transaction. Raises ContactBlocked
    (with the rule, its source and the next allowed time) when the gate says no.
    """
    at = at or clock.now()
    answer = _gate(case, point, channel, user=user, source=source, at=at, companions=companions)
    with transaction.atomic(durable=True):
        return _record(case, point, channel, outcome, user=user, notes=notes, at=at, answer=answer, audience=audience)


def new_contact(
    case: Case,
    point: ContactPoint | None,
    channel: str,
    outcome: str,
    *,
    user: Any,
    notes: str = "",
    source: GateSource = GateSource.WORKBENCH,
    at: datetime | None = None,
    companions: Sequence[Any] = (),
    audience: str = "debtor",
) -> LoggedContact:
    """``log_contact`` inside the caller's transaction (the call's outcome saves everything in one).

    ``companions``: the other collectors of a visit, asked about with ``user``; ``audience``: whom the notes
    are screened for (a third party when one was present).

    A refusal's evidence is written in the caller's transaction too: a caller that lets ContactBlocked
    roll its work back keeps the evidence itself (the workbench writes it again).
    """
    at = at or clock.now()
    answer = _gate(case, point, channel, user=user, source=source, at=at, companions=companions)
    with transaction.atomic():
        return _record(case, point, channel, outcome, user=user, notes=notes, at=at, answer=answer, audience=audience)


def _gate(
    case: Case,
    point: ContactPoint | None,
    channel: str,
    *,
    user: Any,
    source: GateSource,
    at: datetime,
    companions: Sequence[Any] = (),
) -> GateAnswer:
    require_visible_case(user, case)
    if point is not None and point.debtor_id != case.debtor_id:
        raise ValueError(_("The contact point belongs to another debtor."))
    # The refusal is evidence for QA: it is logged before, and apart from, the contact's own writes.
    return require_gate(case, point, channel, source=source, at=at, user=user, companions=companions)


def _record(
    case: Case,
    point: ContactPoint | None,
    channel: str,
    outcome: str,
    *,
    user: Any,
    notes: str,
    at: datetime,
    answer: GateAnswer,
    audience: str = "debtor",
) -> LoggedContact:
    party = contacts.party_reached(Outcome(outcome), point.relation if point is not None else None).value
    interaction = Interaction.objects.create(
        case=case, contact_point=point, channel=channel, party=party, outcome=outcome, notes=notes, at=at, user=user
    )
    flags = (
        screen_and_register(
            notes, source="note", case=case, user=user, subject=f"interaction:{interaction.pk}", audience=audience
        )
        if notes.strip()
        else []
    )
    if point is not None:
        _update_validity(point, Outcome(outcome), user)
    return LoggedContact(interaction, answer, flags)


def _update_validity(point: ContactPoint, outcome: Outcome, user: Any) -> None:
    """A wrong number is invalid from now on; a number somebody answered is known to work."""
    if outcome == Outcome.WRONG_NUMBER and point.validity != Validity.INVALID:
        new = Validity.INVALID
    elif contacts.answered(outcome) and point.validity != Validity.VALID:
        new = Validity.VALID
    else:
        return
    before = {"validity": point.validity}
    point.validity = new
    point.save(update_fields=["validity"])
    record_change(user, point, "contact:validity", before, {"validity": new})
