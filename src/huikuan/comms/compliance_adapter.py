"""The one place communications talk to the compliance kernel: the contact gate and the text screener.

Everything else in comms calls ``gate_messages`` and ``screen_text``; when the compliance engineer changes a
signature, this module is the only one to adjust.

What a message's purpose changes in the gate's view is ``kernel.comms.purposes``': service messages (payment
and plan confirmations, the thank-you on closing) pass case holds and a closed case, while every other
purpose on a closed case is refused at claim time (``case_closed`` rule): a reminder queued before the
payment carries the old amount. A pre-due reminder (``due_reminder``) keeps its case's facts (holds, stop
requests, today's contacts; a case reopened before the send is seen as open), but is not refused for the
case being closed. Quiet hours, do-not-contact, invalid points and opt-outs apply to every purpose.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from huikuan.cases.models import Case
from huikuan.compliance.facts import case_gate_facts, gate_facts, gate_point
from huikuan.compliance.models import StopRequest
from huikuan.compliance.pack import current_pack
from huikuan.db.bulkread import one_of
from huikuan.kernel.comms import purposes
from huikuan.kernel.compliance.gate import (
    CaseFacts,
    Channel,
    ContactPoint,
    Decision,
    Outreach,
    PointKind,
    check_contact,
)
from huikuan.kernel.compliance.packs import Pack
from huikuan.kernel.compliance.screening import ScreenContext, screen
from huikuan.kernel.compliance.validation import carries_disclosure, disclosure_texts, mentions_suit
from huikuan.portfolio.models import ContactPoint as PointRow
from huikuan.portfolio.models import debtor_zone


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
    body: str = ""  # the composed text: on a time-barred debt, words of a suit are a threat (us.time_barred_suit)
    language: str = ""


def gate_inputs(messages: Sequence[Any]) -> list[GateInput]:
    """One query for the contact points and debtors of a batch of messages (rows with the Message fields)."""

    point_ids = {m.contact_point_id for m in messages if m.contact_point_id}
    points = {
        p["id"]: p
        for p in PointRow.objects.filter(id__in=one_of(point_ids)).values(
            "id", "kind", "relation", "validity", "do_not_contact", "debtor__time_zone"
        )
    }
    result = []
    for m in messages:
        row = points.get(m.contact_point_id)
        if row is None:
            # No point left (deleted, or a letter with no address): treat as an invalid point, never "allowed".
            point = ContactPoint(id="none", kind=PointKind.POSTAL, valid=False)
            tz = debtor_zone(None)
        else:
            point = gate_point(row["id"], row["kind"], row["relation"], row["validity"], row["do_not_contact"])
            tz = debtor_zone(row["debtor__time_zone"])
        result.append(
            GateInput(
                m.id,
                m.case_id,
                m.debtor_id,
                m.channel,
                m.purpose,
                point,
                tz,
                getattr(m, "body", ""),
                getattr(m, "language", ""),
            )
        )
    return result


def gate_messages(inputs: Sequence[GateInput], at: datetime) -> dict[int, Decision]:
    """The gate's decision for each message at ``at``, from the compliance app's bulk reader of case facts."""

    # Only what case_gate_facts reads: whole case and debtor rows cost more to build than the gate itself.
    rows = (
        Case.objects.filter(id__in=one_of({i.case_id for i in inputs if i.case_id}))
        .select_related("debtor")
        .only("id", "debtor_id", "status", "hold_reason", "debtor__time_zone", "debtor__region")
    )
    cases = {c.pk: c for c in rows}
    facts = gate_facts(cases.values(), at, gate_only=True)
    caseless = {i.debtor_id for i in inputs if i.case_id not in cases}
    stopped: dict[int, set[Channel]] = defaultdict(set)
    for debtor_id, channel in StopRequest.objects.filter(debtor_id__in=caseless, withdrawn_at__isnull=True).values_list(
        "debtor_id", "channel"
    ):
        stopped[debtor_id].add(Channel(channel))
    rules = pack()
    disclosure = next((r for r in rules.of_kind("time_barred_disclosure") if r.severity == "block"), None)
    decisions = {}
    for item in inputs:
        case = cases.get(item.case_id or 0)
        if case is not None:
            case_facts = case_gate_facts(case, facts)
            history = facts.history.get(case.pk, [])
        else:
            case_facts = CaseFacts(timezone=item.timezone, stopped_channels=frozenset(stopped.get(item.debtor_id, ())))
            history = []
        case_facts = purposes.for_purpose(case_facts, item.purpose)
        outreach = Outreach(
            Channel(item.channel),
            automated=item.channel != "letter",
            service=purposes.is_service(item.purpose),
            legal=item.purpose in purposes.LEGAL,
            # Only a time-barred debt makes the words matter; the regex is not run for the others.
            mentions_suit=case_facts.time_barred and bool(mentions_suit(item.body, item.language or "zh")),
            discloses_time_bar=disclosure is not None
            and case_facts.time_barred
            and carries_disclosure(item.body, disclosure_texts(disclosure.params["disclosures"], case_facts.region)),
        )
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
