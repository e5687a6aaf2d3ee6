"""From the database to the gate's facts: the one place that says what the stored history means.

The kernel gate knows nothing of Django; this module reads a case's recent interactions, holds, plans,
stop requests and contact points and hands the gate plain frozen values.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta
from functools import lru_cache

from django.conf import settings

from huikuan.cases.models import Case, CaseStatus, Interaction, Outcome, Party
from huikuan.kernel.compliance import gate
from huikuan.kernel.compliance.packs import Pack, load_pack
from huikuan.portfolio.models import PHONE_KINDS, ContactPoint, Relation, Validity

# Outcomes in which somebody picked up, and those in which the debtor themself talked with us.
ANSWERED = frozenset(
    {
        Outcome.RIGHT_PARTY, Outcome.THIRD_PARTY, Outcome.PROMISE, Outcome.PLAN_ACCEPTED, Outcome.REFUSAL,
        Outcome.DISPUTE, Outcome.HARDSHIP, Outcome.CALLBACK, Outcome.HUNG_UP,
    }
)  # fmt: skip
CONVERSATION = frozenset(
    {
        Outcome.RIGHT_PARTY, Outcome.PROMISE, Outcome.PLAN_ACCEPTED, Outcome.REFUSAL, Outcome.DISPUTE,
        Outcome.HARDSHIP, Outcome.CALLBACK,
    }
)  # fmt: skip
HOLD_OF_CASE = {
    "dispute": gate.Hold.DISPUTE,
    "complaint": gate.Hold.COMPLAINT,
    "hardship_review": gate.Hold.HARDSHIP_REVIEW,
    "deceased": gate.Hold.DECEASED,
    "bankruptcy": gate.Hold.BANKRUPTCY,
    "legal": gate.Hold.LEGAL,
}
# Long enough for every windowed rule in the packs (the US 7-in-7 and the 7-day quiet period).
HISTORY_DAYS = 14


def pack_name() -> str:
    return str(getattr(settings, "COMPLIANCE_PACK", "cn"))


@lru_cache(maxsize=8)
def _pack(name: str, overrides_json: str) -> Pack:
    return load_pack(name, json.loads(overrides_json) if overrides_json else None)


def current_pack() -> Pack:
    """The rule pack in force: COMPLIANCE_PACK (cn, us, uk) with COMPLIANCE_OVERRIDES (JSON) applied."""
    return _pack(pack_name(), os.environ.get("COMPLIANCE_OVERRIDES", ""))


def point_facts(point: ContactPoint) -> gate.ContactPoint:
    if point.relation == Relation.SELF:
        owner = gate.Owner.DEBTOR
    elif point.relation == Relation.GUARANTOR:
        owner = gate.Owner.GUARANTOR
    else:
        owner = gate.Owner.THIRD_PARTY
    return gate.ContactPoint(
        id=str(point.pk),
        kind=gate.PointKind(point.kind),
        owner=owner,
        relation=None if point.relation == Relation.SELF else point.relation,
        valid=point.validity != Validity.INVALID,
        do_not_contact=point.do_not_contact,
    )


def history(case: Case, until: datetime) -> list[gate.ContactEvent]:
    rows = Interaction.objects.filter(case=case, at__gte=until - timedelta(days=HISTORY_DAYS), at__lt=until)
    return [
        event_of(i, str(case.pk)) for i in rows.only("at", "channel", "contact_point_id", "outcome", "party", "user_id")
    ]


def event_of(interaction: Interaction, debt_id: str) -> gate.ContactEvent:
    outcome = interaction.outcome
    return gate.ContactEvent(
        at=interaction.at,
        channel=gate.Channel(interaction.channel),
        contact_point_id=str(interaction.contact_point_id or ""),
        debt_id=debt_id,
        answered=outcome in ANSWERED,
        conversation=interaction.party == Party.DEBTOR and outcome in CONVERSATION,
        automated=interaction.user_id is None and interaction.channel in ("sms", "email", "letter"),
        refused=interaction.party == Party.THIRD_PARTY and outcome == Outcome.REFUSAL,
    )


def case_facts(case: Case, points: list[ContactPoint] | None = None) -> gate.CaseFacts:
    from huikuan.compliance.models import StopRequest
    from huikuan.payments.actions import plan_suspends_collection

    debtor = case.debtor
    points = points if points is not None else list(ContactPoint.objects.filter(debtor=debtor))
    own_phones = [p for p in points if p.relation == Relation.SELF and p.kind in PHONE_KINDS]
    holds = {HOLD_OF_CASE[case.hold_reason]} if case.hold_reason in HOLD_OF_CASE else set()
    if case.status == CaseStatus.LEGAL:
        holds.add(gate.Hold.LEGAL)
    if plan_suspends_collection(case):
        holds.add(gate.Hold.PLAN_HONOURED)
    stopped = StopRequest.objects.filter(debtor=debtor, withdrawn_at__isnull=True).values_list("channel", flat=True)
    return gate.CaseFacts(
        debt_id=str(case.pk),
        timezone=debtor.time_zone,
        holds=frozenset(holds),
        debtor_point_ids=frozenset(str(p.pk) for p in own_phones),
        valid_debtor_points=sum(1 for p in own_phones if p.validity != Validity.INVALID and not p.do_not_contact),
        stopped_channels=frozenset(gate.Channel(c) for c in stopped),
    )
