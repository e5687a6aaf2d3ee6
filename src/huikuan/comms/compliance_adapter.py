"""The one place communications talk to the compliance kernel: the contact gate and the text screener.

Everything else in comms calls ``gate_messages`` and ``screen_text``; when the compliance engineer changes a
signature, this module is the only one to adjust.

Service messages (payment and plan confirmations, the thank-you on closing) are not collection contact: case
holds (a plan being honoured, a dispute) and a closed case do not stop a receipt for money the debtor paid,
while every other purpose on a closed case is refused at claim time (``case_closed`` rule): a reminder
queued before the payment carries the old amount. Quiet hours, do-not-contact, invalid points and
opt-outs still apply to service messages.

A pre-due reminder (``due_reminder``) is about an account not yet due, not collection of the debtor's case:
the strategy sends it only to debtors not in collection, whose one case, if any, is closed. It keeps that
case for its facts (holds, stop requests, today's contacts; a case reopened before the send is seen as
open), but the ``case_closed`` rule does not refuse it, and closing a case does not cancel it: otherwise a
debtor who once paid off a delinquency would never be reminded of a due date again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from huikuan.cases.models import Case
from huikuan.compliance.facts import case_gate_facts, current_pack, gate_facts
from huikuan.compliance.models import StopRequest
from huikuan.kernel.compliance.gate import (
    CaseFacts,
    Channel,
    ContactPoint,
    Decision,
    Outreach,
    Owner,
    PointKind,
    check_contact,
)
from huikuan.kernel.compliance.packs import Pack
from huikuan.kernel.compliance.screening import ScreenContext, screen
from huikuan.portfolio.models import ContactPoint as PointRow

SERVICE_PURPOSES = frozenset({"payment_confirmation", "plan_confirmation", "case_closed"})
# Not collection of the case the message is filed under: a closed case neither refuses nor cancels them.
NOT_CASE_COLLECTION_PURPOSES = SERVICE_PURPOSES | {"due_reminder"}


def pack() -> Pack:

    return current_pack()


@dataclass(frozen=True, slots=True)
class GateInput:
    """What the gate needs to know about one message, read in bulk by ``gate_inputs``."""

    message_id: int
    case_id: int | None
    debtor_id: int
    channel: str
    purpose: str
    point: ContactPoint
    timezone: str


def _owner(relation: str) -> Owner:
    if relation == "self":
        return Owner.DEBTOR
    if relation == "guarantor":
        return Owner.GUARANTOR
    return Owner.THIRD_PARTY


def gate_inputs(messages: Sequence[Any]) -> list[GateInput]:
    """One query for the contact points and debtors of a batch of messages (rows with the Message fields)."""

    point_ids = {m.contact_point_id for m in messages if m.contact_point_id}
    points = {
        p["id"]: p
        for p in PointRow.objects.filter(id__in=point_ids).values(
            "id", "kind", "relation", "validity", "do_not_contact", "debtor__time_zone"
        )
    }
    result = []
    for m in messages:
        row = points.get(m.contact_point_id)
        if row is None:
            # No point left (deleted, or a letter with no address): treat as an invalid point, never "allowed".
            point = ContactPoint(id="none", kind=PointKind.POSTAL, valid=False)
            tz = "Asia/Shanghai"
        else:
            point = ContactPoint(
                id=str(row["id"]),
                kind=PointKind(row["kind"]),
                owner=_owner(row["relation"]),
                relation=row["relation"],
                valid=row["validity"] != "invalid",
                do_not_contact=row["do_not_contact"],
            )
            tz = row["debtor__time_zone"] or "Asia/Shanghai"
        result.append(GateInput(m.id, m.case_id, m.debtor_id, m.channel, m.purpose, point, tz))
    return result


def gate_messages(inputs: Sequence[GateInput], at: datetime) -> dict[int, Decision]:
    """The gate's decision for each message at ``at``, from the compliance app's bulk reader of case facts."""

    # Only what case_gate_facts reads: whole case and debtor rows cost more to build than the gate itself.
    rows = (
        Case.objects.filter(id__in={i.case_id for i in inputs if i.case_id})
        .select_related("debtor")
        .only("id", "debtor_id", "status", "hold_reason", "debtor__time_zone")
    )
    cases = {c.pk: c for c in rows}
    facts = gate_facts(cases.values(), at)
    caseless = {i.debtor_id for i in inputs if i.case_id not in cases}
    stopped: dict[int, set[Channel]] = defaultdict(set)
    for debtor_id, channel in StopRequest.objects.filter(debtor_id__in=caseless, withdrawn_at__isnull=True).values_list(
        "debtor_id", "channel"
    ):
        stopped[debtor_id].add(Channel(channel))
    rules = pack()
    decisions = {}
    for item in inputs:
        case = cases.get(item.case_id or 0)
        if case is not None:
            case_facts = case_gate_facts(case, facts)
            history = facts.history.get(case.pk, [])
        else:
            case_facts = CaseFacts(timezone=item.timezone, stopped_channels=frozenset(stopped.get(item.debtor_id, ())))
            history = []
        service = item.purpose in SERVICE_PURPOSES
        if service:
            case_facts = replace(case_facts, holds=frozenset())
        elif item.purpose in NOT_CASE_COLLECTION_PURPOSES:
            case_facts = replace(case_facts, closed=False)
        outreach = Outreach(Channel(item.channel), automated=item.channel != "letter", service=service)
        decisions[item.message_id] = check_contact(history, case_facts, item.point, outreach, at, rules)
    return decisions


def decision_record(decision: Decision, at: datetime) -> dict[str, object]:
    """The decision as stored on the message: enough to show later why it was (or was not) sent."""
    return {
        "pack": pack().name,
        "checked_at": at.isoformat(),
        "allowed": decision.allowed,
        "blocking_rule": decision.blocking_rule,
        "next_allowed_at": decision.next_allowed_at.isoformat() if decision.next_allowed_at else None,
        "local_time": decision.local_time,
        "reasons": [
            {"rule_id": r.rule_id, "severity": r.severity, "text_zh": r.text_zh, "text_en": r.text_en}
            for r in decision.reasons
        ],
    }


# Screening -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScreenFlag:
    category: str
    severity: str
    start: int
    end: int
    rule_id: str
    suggestion: str


def screen_text(text: str, lang: str, audience: str = "debtor") -> list[ScreenFlag]:
    """Flags the compliance screener raises on an outgoing template text."""
    context = ScreenContext(lang="zh" if lang.startswith("zh") else "en", audience=audience, source="template")
    return [ScreenFlag(f.category, f.severity, f.start, f.end, f.rule_id, f.suggestion) for f in screen(text, context)]


def screen_texts(texts: Iterable[str], lang: str) -> list[ScreenFlag]:
    return [flag for text in texts if text for flag in screen_text(text, lang)]
