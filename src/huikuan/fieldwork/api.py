"""Field visit endpoints: the day's visits, the address for a visit, a case's visits, recording a visit.

Handlers translate HTTP to ``fieldwork.actions``; a refusal of the form is a 400 naming the fields, the gate's
refusal a 409 with the rule, its source and the next allowed time.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils import timezone, translation
from ninja import Field, File, Form, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status

from huikuan import clock
from huikuan.cases.access import visible_case_or_404
from huikuan.fieldwork.actions import VisitEntry, VisitError, record_visit, reveal_visit_address
from huikuan.fieldwork.models import PersonMet, Visit, VisitOutcome
from huikuan.fieldwork.queries import visit_day, visits_of_case
from huikuan.inputs import Id, Notes, Reference, errors, max_amount
from huikuan.payments.models import PlanKind

router = Router(tags=["field visits"])
AmountIn = Annotated[Decimal, Field(allow_inf_nan=False, gt=0, le=max_amount(), decimal_places=2)]


class VisitIn(Schema):
    outcome: VisitOutcome
    arrived_at: datetime
    left_at: datetime
    persons_met: str = Field("", description="comma-separated: debtor, family, other")
    second_collector_id: Id | None = None
    notes: Notes = ""
    promise_amount: AmountIn | None = None
    promise_date: date | None = None
    plan_kind: PlanKind | None = None
    payment_reference: Reference = ""


class AttachmentOut(Schema):
    id: int
    name: str
    media_type: str
    size: int
    sha256: str


class VisitOut(Schema):
    id: int
    case_id: int
    interaction_id: int
    outcome: str
    persons_met: list[str]
    collector_id: int
    second_collector_id: int | None
    arrived_at: datetime
    left_at: datetime
    work_item_id: int | None
    promise_id: int | None
    plan_id: int | None
    attachments: list[AttachmentOut]


class VisitRefusedOut(Schema):
    """400 (the form) or 409 (the gate): every reason, the fields they belong to, and the gate's rules."""

    detail: str
    messages: list[str]
    fields: dict[str, str]
    blocking_rule: str | None = None
    rules: list[dict[str, str]] = []
    next_allowed_at: str | None = None


class DayRowOut(Schema):
    work_item_id: int
    case_id: int
    district: str
    address: str  # masked
    done: bool
    allowed_now: bool
    next_allowed_at: datetime | None


class AddressOut(Schema):
    work_item_id: int
    address: str


def visit_out(visit: Visit) -> VisitOut:
    return VisitOut(
        id=visit.pk,
        case_id=visit.case_id,
        interaction_id=visit.interaction_id,
        outcome=visit.outcome,
        persons_met=list(visit.persons_met),
        collector_id=visit.collector_id,
        second_collector_id=visit.second_collector_id,
        arrived_at=visit.arrived_at,
        left_at=visit.left_at,
        work_item_id=visit.work_item_id,
        promise_id=visit.promise_id,
        plan_id=visit.plan_id,
        attachments=[
            AttachmentOut(id=a.pk, name=a.name, media_type=a.media_type, size=a.size, sha256=a.sha256)
            for a in visit.attachments.all()
        ],
    )


def _aware(value: datetime) -> datetime:
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def _refused(exc: VisitError) -> Status:
    if exc.blocked is None:
        return Status(400, {"detail": "; ".join(exc.messages), "messages": exc.messages, "fields": exc.fields})
    decision = exc.blocked.answer.decision
    return Status(
        409,
        {
            "detail": "visit blocked by the compliance gate",
            "messages": exc.messages,
            "fields": {},
            "blocking_rule": decision.blocking_rule,
            "rules": [
                {"rule_id": r.rule_id, "severity": r.severity, "source": r.source, "zh": r.text_zh, "en": r.text_en}
                for r in decision.reasons
            ],
            "next_allowed_at": decision.next_allowed_at.isoformat() if decision.next_allowed_at else None,
        },
    )


@router.get("/visits", response={200: list[DayRowOut], **errors(401, 422)})
def day_visits(request: HttpRequest, day: date | None = None) -> list[DayRowOut]:
    """The user's planned visits of the day (today by default), grouped by district in the list's order;
    addresses masked."""
    lang = "en" if (translation.get_language() or "zh-hans").startswith("en") else "zh"
    districts = visit_day(request.user, day or clock.today(), clock.now(), lang)
    return [
        DayRowOut(
            work_item_id=r.item.pk,
            case_id=r.case.pk,
            district=d.name,
            address=r.address.masked if r.address is not None else "",
            done=r.done,
            allowed_now=r.allowed,
            next_allowed_at=r.next_at,
        )
        for d in districts
        for r in d.rows
    ]


@router.post(
    "/visits/items/{item_id}/reveal",
    response={200: AddressOut, **errors(401, 403, 404, 422)},
    tags=["personal data"],
)
def reveal_address(request: HttpRequest, item_id: Id) -> AddressOut:
    """The full address of today's visit the user holds; the look is written to the access log."""
    revealed = reveal_visit_address(request.user, item_id)
    return AddressOut(work_item_id=revealed.item.pk, address=revealed.value)


@router.get("/cases/{case_id}/visits", response={200: list[VisitOut], **errors(401, 404, 422)})
def case_visits(request: HttpRequest, case_id: Id) -> list[VisitOut]:
    """The case's visits, oldest first, with their attachments' SHA-256."""
    case = visible_case_or_404(request.user, case_id)
    return [visit_out(v) for v in visits_of_case(case.pk)]


@router.post(
    "/cases/{case_id}/visits",
    response={201: VisitOut, 400: VisitRefusedOut, 409: VisitRefusedOut, **errors(401, 403, 404, 422)},
)
def create_visit(
    request: HttpRequest,
    case_id: Id,
    body: Form[VisitIn],
    files: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> Any:
    """Record a visit (multipart: the fields and any number of ``files``, images or PDF). The gate is asked
    with both collectors; under the China pack a visit without ``second_collector_id`` is a 409 naming
    ``cn.visit_collectors`` and its source, and nothing is recorded."""
    case = visible_case_or_404(request.user, case_id)
    persons = frozenset(p.strip() for p in body.persons_met.split(",") if p.strip())
    unknown = sorted(persons - set(PersonMet.values))
    if unknown:
        text = "persons_met: unknown " + ", ".join(unknown)
        return Status(400, {"detail": text, "messages": [text], "fields": {"persons_met": text}})
    entry = VisitEntry(
        outcome=body.outcome.value,
        persons_met=persons,
        arrived_at=_aware(body.arrived_at),
        left_at=_aware(body.left_at),
        second_collector_id=body.second_collector_id,
        notes=body.notes,
        promise_amount=body.promise_amount,
        promise_date=body.promise_date,
        plan_kind=body.plan_kind.value if body.plan_kind else "",
        payment_reference=body.payment_reference,
    )
    try:
        visit = record_visit(request.user, case, entry, files or [])
    except VisitError as exc:
        return _refused(exc)
    return Status(201, visit_out(visit))
