"""Compliance use cases: ask the gate before a contact, override a warning, screen words, record stops.

Every outbound path (workbench, API, outbox, strategy) calls `ask_gate` at the moment it acts; a blocking
or warning answer is written to the QA register in the same transaction as the caller's work.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from huikuan import clock
from huikuan.audit.records import record_change, snapshot
from huikuan.cases.models import Case
from huikuan.compliance.facts import case_gate_facts, gate_facts, point_facts
from huikuan.compliance.models import ContactDecision, GateSource, StopRequest, TextFlag
from huikuan.compliance.pack import current_pack, pack_name
from huikuan.kernel.compliance import gate
from huikuan.kernel.compliance.screening import Flag, ScreenContext, screen
from huikuan.org.permissions import can_override_warnings, can_review_qa, require
from huikuan.org.training import collector_of
from huikuan.portfolio.models import ContactPoint, Relation


@dataclass(frozen=True)
class GateAnswer:
    decision: gate.Decision
    logged: ContactDecision | None

    @property
    def allowed(self) -> bool:
        return self.decision.allowed


class ContactPointRequired(ValueError):
    """A call, SMS or e-mail was asked about (or logged) without the number or address it reaches."""

    def __init__(self) -> None:
        super().__init__(_("A call, text message or e-mail needs the number or address it goes to."))


class ContactBlocked(Exception):
    """Raised by paths that must not go on; carries the answer so the caller can show rule and time."""

    def __init__(self, answer: GateAnswer) -> None:
        super().__init__(answer.decision.blocking_rule or "blocked")
        self.answer = answer


def ask_gate(
    case: Case,
    point: ContactPoint | None,
    channel: str,
    *,
    source: GateSource,
    at: datetime | None = None,
    user: Any = None,
    automated: bool = False,
    collectors: int = 1,
    companions: Sequence[Any] = (),
) -> GateAnswer:
    """The gate's answer for this contact now (or at `at`); blocks and warnings are logged for QA.

    ``companions`` are the other collectors of a visit (users): they count toward the party's size and the
    rules about collectors (training) hold for each of them as for ``user``.

    Raises ContactPointRequired for a call, SMS or e-mail without a point: standing in the postal address
    would skip do-not-contact, the per-number cap and the third-party check.
    """
    if point is None and gate.needs_contact_point(channel):
        raise ContactPointRequired
    at = at or clock.now()
    facts = gate_facts([case], at)
    points = facts.points.get(case.debtor_id, [])
    if point is None:
        # Letters and visits go to the address on file; the gate still needs a point to reason about.
        point = next((p for p in points if p.kind == "postal" and p.relation == Relation.SELF), None)
    target = point_facts(point) if point is not None else gate.ContactPoint(id="", kind=gate.PointKind.POSTAL)
    decision = gate.check_contact(
        facts.history.get(case.pk, []),
        case_gate_facts(case, facts),
        target,
        gate.Outreach(
            gate.Channel(channel),
            automated=automated,
            collectors=max(collectors, 1 + len(companions)),
            collector=None if automated else collector_of(user),
            companions=tuple(c for c in (collector_of(u) for u in companions) if c is not None),
        ),
        at,
        current_pack(),
    )
    logged = None
    if decision.reasons:
        logged = ContactDecision.objects.create(
            case=case,
            contact_point=point,
            channel=channel,
            source=source,
            at=at,
            allowed=decision.allowed,
            rule_ids=[r.rule_id for r in decision.reasons],
            reasons=[
                {"rule_id": r.rule_id, "severity": r.severity, "source": r.source, "zh": r.text_zh, "en": r.text_en}
                for r in decision.reasons
            ],
            next_allowed_at=decision.next_allowed_at,
            pack=pack_name(),
            user=user if getattr(user, "is_authenticated", False) else None,
        )
    return GateAnswer(decision, logged)


def require_gate(case: Case, point: ContactPoint | None, channel: str, **kwargs: Any) -> GateAnswer:
    """`ask_gate` for paths that act only when allowed: raises ContactBlocked otherwise."""
    answer = ask_gate(case, point, channel, **kwargs)
    if not answer.allowed:
        raise ContactBlocked(answer)
    return answer


def override_warning(decision: ContactDecision, user: Any, reason: str) -> ContactDecision:
    """A team lead lets a warned contact go ahead; blocks cannot be overridden by anyone. An entry point."""
    require(can_override_warnings(user), _("Only a team lead may override a warning."))
    if not decision.allowed:
        raise PermissionDenied(_("A blocking rule cannot be overridden."))
    if not reason.strip():
        raise ValueError(_("Say why the warning is overridden."))
    with transaction.atomic(durable=True):
        before = snapshot(decision, ["overridden_by_id", "override_reason"])
        decision.overridden_by = user
        decision.override_reason = reason.strip()
        decision.overridden_at = clock.now()
        decision.save(update_fields=["overridden_by", "override_reason", "overridden_at"])
        record_change(
            user, decision, "gate:override", before, snapshot(decision, ["overridden_by_id", "override_reason"])
        )
    return decision


def screen_and_register(
    text: str,
    *,
    source: str,
    case: Case | None = None,
    user: Any = None,
    subject: str = "",
    lang: str = "zh",
    audience: str = "debtor",
    register: bool = True,
) -> list[Flag]:
    """Screen words about to be saved or sent; every flag goes to the QA register unless `register` is off
    (a preview while typing is not evidence of anything)."""
    context = ScreenContext(lang="en" if lang.startswith("en") else "zh", audience=audience, source=source)
    flags = screen(text, context)
    if register and flags:
        TextFlag.objects.bulk_create(
            [
                TextFlag(
                    case=case,
                    source=source,
                    subject=subject,
                    excerpt=text[max(0, f.start - 20) : f.end + 20][:300],
                    category=f.category,
                    severity=f.severity,
                    rule_id=f.rule_id,
                    suggestion=f.suggestion,
                    user=user if getattr(user, "is_authenticated", False) else None,
                )
                for f in flags
            ]
        )
    return flags


def record_stop_request(case: Case, channel: str, *, source: str, user: Any = None, note: str = "") -> StopRequest:
    """The debtor asked to stop a medium; idempotent while the request stands. A building block: it joins the
    caller's transaction (the call's outcome)."""
    with transaction.atomic():
        existing = StopRequest.objects.filter(
            debtor_id=case.debtor_id, channel=channel, withdrawn_at__isnull=True
        ).first()
        if existing:
            return existing
        stop = StopRequest.objects.create(
            debtor_id=case.debtor_id,
            channel=channel,
            source=source,
            note=note,
            user=user if getattr(user, "is_authenticated", False) else None,
        )
        record_change(user, case, f"stop:{channel}", None, {"channel": channel, "source": source})
    return stop


def review(item: ContactDecision | TextFlag, user: Any, state: str, note: str) -> None:
    """QA confirms or dismisses an item of the register. An entry point (the register's page)."""
    require(can_review_qa(user), _("Only QA or a team lead may review."))
    if state == "dismissed" and not note.strip():
        raise ValueError(_("A dismissal needs a reason."))
    with transaction.atomic(durable=True):
        before = snapshot(item, ["review_state", "review_note"])
        item.review_state = state
        item.review_note = note.strip()
        item.reviewed_by = user
        item.save(update_fields=["review_state", "review_note", "reviewed_by"])
        record_change(user, item, "qa:review", before, snapshot(item, ["review_state", "review_note"]))
