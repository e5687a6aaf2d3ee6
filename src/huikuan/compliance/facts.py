"""From the database to the gate's facts: the one place that says what the stored history means.

The kernel gate knows nothing of Django; this module reads a case's recent interactions, holds, plans,
stop requests and contact points and hands the gate plain frozen values.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

from django.db.models import Count, Q

from huikuan.cases.models import Case, CaseStatus, Interaction
from huikuan.compliance.models import StopRequest
from huikuan.compliance.validation import open_dispute_case_ids, time_barred_case_ids
from huikuan.db.bulkread import one_of
from huikuan.kernel import contacts
from huikuan.kernel.compliance import gate
from huikuan.payments.queries import suspended_case_ids
from huikuan.portfolio.models import PHONE_KINDS, ContactPoint, Relation, Validity, debtor_zone

HOLD_OF_CASE = {
    "dispute": gate.Hold.DISPUTE,
    "complaint": gate.Hold.COMPLAINT,
    "hardship_review": gate.Hold.HARDSHIP_REVIEW,
    "deceased": gate.Hold.DECEASED,
    "bankruptcy": gate.Hold.BANKRUPTCY,
    "legal": gate.Hold.LEGAL,
}
# The ORM forms of ``kernel.contacts.refused_by_third_party`` and ``answered``, for queries that aggregate
# instead of loading events (a test holds them to the kernel).
REFUSED_BY_THIRD_PARTY = Q(party=contacts.Party.THIRD_PARTY.value, outcome=contacts.Outcome.REFUSAL.value)
ANSWERED_Q = Q(outcome__in=sorted(contacts.ANSWERED))
# Long enough for every windowed rule in the packs (the US 7-in-7 and the 7-day quiet period).
HISTORY_DAYS = 14


def gate_point(point_id: int, kind: str, relation: str, validity: str, do_not_contact: bool) -> gate.ContactPoint:
    """The gate's view of a stored contact point, from its columns (a model or a row read in bulk)."""
    owner = contacts.owner_of(relation)
    return gate.ContactPoint(
        id=str(point_id),
        kind=gate.PointKind(kind),
        owner=owner,
        relation=None if owner is gate.Owner.DEBTOR else relation,
        valid=validity != Validity.INVALID,
        do_not_contact=do_not_contact,
    )


def point_facts(point: ContactPoint) -> gate.ContactPoint:
    return gate_point(point.pk, point.kind, point.relation, point.validity, point.do_not_contact)


class HistoryRow(NamedTuple):
    """The columns of an interaction the gate's history reads (``HISTORY_FIELDS``), as plain values."""

    case_id: int
    at: datetime
    channel: str
    contact_point_id: int | None
    outcome: str
    party: str
    user_id: int | None


HISTORY_FIELDS = HistoryRow._fields


def event_of(interaction: Interaction | HistoryRow, debt_id: str) -> gate.ContactEvent:
    outcome, party = interaction.outcome, interaction.party
    return gate.ContactEvent(
        at=interaction.at,
        channel=gate.Channel(interaction.channel),
        contact_point_id=str(interaction.contact_point_id or ""),
        debt_id=debt_id,
        answered=contacts.answered(outcome),
        conversation=contacts.conversation(party, outcome),
        automated=interaction.user_id is None and interaction.channel in ("sms", "email", "letter"),
        refused=contacts.refused_by_third_party(party, outcome),
    )


@dataclass(frozen=True)
class GateFacts:
    """What the gate needs for a set of cases, read in five queries whatever their number."""

    points: dict[int, list[ContactPoint]]  # by debtor id
    history: dict[int, list[gate.ContactEvent]]  # by case id
    stopped: dict[int, set[str]]  # by debtor id
    suspended: set[int]  # case ids whose honoured plan suspends collection
    refused_points: set[int] = field(default_factory=set)  # third-party points that ever refused
    answered_points: set[int] = field(default_factory=set)  # third-party points ever reached
    validation_open: set[int] = field(default_factory=set)  # US: cases with a timely dispute awaiting verification
    time_barred: set[int] = field(default_factory=set)  # cases with a time-barred account


# The point columns ``case_gate_facts`` reads: a reader that wants the gate's answer only (the outbox) loads
# these instead of whole rows, which cost the dispatcher more than the gate itself.
GATE_POINT_FIELDS = ("id", "debtor_id", "kind", "relation", "validity", "do_not_contact")


def gate_facts(cases: Iterable[Case], now: datetime, *, gate_only: bool = False) -> GateFacts:
    """Everything the gate needs about these cases at ``now``: the one database reader for every path.

    ``gate_only``: the points carry only ``GATE_POINT_FIELDS`` (the caller shows none of them)."""
    cases = list(cases)
    case_ids = [c.pk for c in cases]
    debtor_ids = [c.debtor_id for c in cases]
    points: dict[int, list[ContactPoint]] = defaultdict(list)
    # The ids bound as one array (``one_of``): as ``IN (%s, …)`` Django prepared every id and psycopg parsed a
    # query string of hundreds of placeholders, per read, for every batch the dispatcher gates.
    point_rows = ContactPoint.objects.filter(debtor_id__in=one_of(debtor_ids)).order_by("relation", "kind", "id")
    # Named tuples of GATE_POINT_FIELDS for the gate alone: a model instance per point cost the dispatcher more
    # than the gate (six points a debtor); ``case_gate_facts`` reads the same attributes of either.
    for p in point_rows.values_list(*GATE_POINT_FIELDS, named=True) if gate_only else point_rows:
        points[p.debtor_id].append(p)
    history: dict[int, list[gate.ContactEvent]] = defaultdict(list)
    # Tuples, not model instances: building a deferred Interaction per row cost the dispatcher more than the
    # query (ten rows a message in a busy book).
    rows = Interaction.objects.filter(
        case_id__in=one_of(case_ids), at__gte=now - timedelta(days=HISTORY_DAYS), at__lt=now
    ).values_list(*HISTORY_FIELDS)
    for values in rows:
        row = HistoryRow(*values)
        history[row.case_id].append(event_of(row, str(row.case_id)))
    stopped: dict[int, set[str]] = defaultdict(set)
    for debtor_id, channel in StopRequest.objects.filter(
        debtor_id__in=one_of(debtor_ids), withdrawn_at__isnull=True
    ).values_list("debtor_id", "channel"):
        stopped[debtor_id].add(channel)
    refused, answered = third_party_record(
        [p.id for ps in points.values() for p in ps if p.relation != Relation.SELF], now
    )
    # An honoured plan's instalments are late or not on each debtor's day at ``now``; the UTC date is a day
    # behind every Shanghai morning.
    return GateFacts(
        points,
        history,
        stopped,
        suspended_case_ids(case_ids, now),
        refused,
        answered,
        open_dispute_case_ids(case_ids),
        time_barred_case_ids(cases, now),
    )


def third_party_record(point_ids: list[int], before: datetime) -> tuple[set[int], set[int]]:
    """Which of these points refused, and which were reached, at any time before ``before``.

    Not bounded by HISTORY_DAYS: a refusal stops contact for good and "each person once" has no expiry.
    One grouped query over the points' own interactions (indexed by contact point), not their history.
    """
    if not point_ids:
        return set(), set()
    rows = (
        Interaction.objects.filter(contact_point_id__in=one_of(point_ids), at__lt=before)
        .values("contact_point_id")
        .annotate(
            refusals=Count("id", filter=REFUSED_BY_THIRD_PARTY),
            answers=Count("id", filter=ANSWERED_Q),
        )
        .filter(Q(refusals__gt=0) | Q(answers__gt=0))
    )
    refused, answered = set(), set()
    for row in rows:
        if row["refusals"]:
            refused.add(row["contact_point_id"])
        if row["answers"]:
            answered.add(row["contact_point_id"])
    return refused, answered


def case_gate_facts(case: Case, facts: GateFacts) -> gate.CaseFacts:
    """The gate's view of one case, from facts read in bulk for many (no query per case)."""
    points = facts.points.get(case.debtor_id, [])
    own_phones = [p for p in points if p.relation == Relation.SELF and p.kind in PHONE_KINDS]
    holds = {HOLD_OF_CASE[case.hold_reason]} if case.hold_reason in HOLD_OF_CASE else set()
    if case.status == CaseStatus.LEGAL:
        holds.add(gate.Hold.LEGAL)
    if case.pk in facts.suspended:
        holds.add(gate.Hold.PLAN_HONOURED)
    return gate.CaseFacts(
        debt_id=str(case.pk),
        timezone=debtor_zone(case.debtor.time_zone),
        holds=frozenset(holds),
        debtor_point_ids=frozenset(str(p.id) for p in own_phones),
        # Do-not-contact bars that number, not the debtor: only invalid numbers make them 失联.
        valid_debtor_points=sum(1 for p in own_phones if p.validity != Validity.INVALID),
        stopped_channels=frozenset(gate.Channel(c) for c in facts.stopped.get(case.debtor_id, ())),
        refused_points=frozenset(str(p.id) for p in points if p.id in facts.refused_points),
        answered_points=frozenset(str(p.id) for p in points if p.id in facts.answered_points),
        closed=case.status == CaseStatus.CLOSED,
        validation_dispute_open=case.pk in facts.validation_open,
        time_barred=case.pk in facts.time_barred,
        region=case.debtor.region,
    )
