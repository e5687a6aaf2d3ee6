"""REST endpoints of legal cases, the evidence pack and the specialist queue. Handlers translate HTTP to the
actions, which check who may do what (a refusal answers 403)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Field, File, Form, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status

from huikuan.cases.access import visible_case_or_404
from huikuan.inputs import Id, Notes, Reason, errors
from huikuan.kernel import legal as rules
from huikuan.legal.actions import LegalError, Move, move_legal_case, open_legal_case, upload_document
from huikuan.legal.evidence import build_pack
from huikuan.legal.models import OPEN_STAGES, LegalCase
from huikuan.legal.specialists import back_to_team, hand_to_legal, specialist_queue
from huikuan.org.permissions import can_move_legal_cases
from huikuan.org.visibility import case_filter

router = Router(tags=["legal"])


class LegalCaseOut(Schema):
    id: int
    case_id: int
    stage: str
    allowed_next: list[str]
    court: str
    case_number: str
    law_firm: str
    filed_on: date | None
    next_hearing: datetime | None
    judgment_on: date | None
    claim_amount: Decimal | None
    costs: Decimal
    judgment_amount: Decimal | None
    awarded_costs: Decimal | None
    costs_posted: Decimal


class LegalErrorOut(Schema):
    """400: why the step was refused; for a move out of order, the stages allowed next."""

    detail: str
    messages: list[str] = Field(default_factory=list)
    allowed_next: list[str] = Field(default_factory=list)


def _out(lc: LegalCase) -> LegalCaseOut:
    return LegalCaseOut(
        id=lc.pk, case_id=lc.case_id, stage=lc.stage, allowed_next=[s.value for s in rules.allowed_next(lc.stage)],
        court=lc.court, case_number=lc.case_number, law_firm=lc.law_firm, filed_on=lc.filed_on,
        next_hearing=lc.next_hearing, judgment_on=lc.judgment_on, claim_amount=lc.claim_amount, costs=lc.costs,
        judgment_amount=lc.judgment_amount, awarded_costs=lc.awarded_costs, costs_posted=lc.costs_posted,
    )  # fmt: skip


def _refused(exc: LegalError) -> Status:
    return Status(400, LegalErrorOut(detail=str(exc), messages=exc.messages, allowed_next=list(exc.allowed)))


def _legal_case(request: HttpRequest, legal_case_id: int) -> LegalCase:
    if not can_move_legal_cases(request.user):
        raise PermissionDenied("Only legal counsel work legal cases.")
    legal_case = get_object_or_404(LegalCase.objects.select_related("case__debtor"), pk=legal_case_id)
    visible_case_or_404(request.user, legal_case.case_id)
    return legal_case


@router.get("/legal/cases", response={200: list[LegalCaseOut], **errors(401, 403, 422)})
def open_legal_cases(request: HttpRequest) -> list[LegalCaseOut]:
    """The open legal cases the user may see, next hearing first."""
    if not can_move_legal_cases(request.user):
        raise PermissionDenied("Only legal counsel work legal cases.")
    found = LegalCase.objects.filter(case_filter(request.user, "case__"), stage__in=OPEN_STAGES)
    return [_out(lc) for lc in found.order_by("next_hearing", "id")[:500]]


class ReferIn(Schema):
    note: Reason


@router.post("/cases/{case_id}/legal", response={201: LegalCaseOut, 400: LegalErrorOut, **errors(401, 403, 404, 422)})
def refer_api(request: HttpRequest, case_id: Id, body: ReferIn) -> Status:
    """Put the case into legal status: a legal case under review, the legal hold on (refused when time-barred)."""
    case = visible_case_or_404(request.user, case_id)
    try:
        return Status(201, _out(open_legal_case(request.user, case, body.note)))
    except LegalError as exc:
        return _refused(exc)


@router.get("/legal/{legal_case_id}", response={200: LegalCaseOut, **errors(401, 403, 404, 422)})
def legal_case_api(request: HttpRequest, legal_case_id: Id) -> LegalCaseOut:
    return _out(_legal_case(request, legal_case_id))


class MoveIn(Schema):
    to: str = Field(max_length=12)
    note: Notes = ""
    court: Reason = ""
    case_number: str = Field("", max_length=100)
    law_firm: Reason = ""
    filed_on: date | None = None
    next_hearing: datetime | None = None
    judgment_on: date | None = None
    claim_amount: Decimal | None = Field(None, max_digits=16, decimal_places=2)
    costs: Decimal | None = Field(None, max_digits=16, decimal_places=2)
    judgment_amount: Decimal | None = Field(None, max_digits=16, decimal_places=2)
    awarded_costs: Decimal | None = Field(None, max_digits=16, decimal_places=2)


@router.post(
    "/legal/{legal_case_id}/moves", response={200: LegalCaseOut, 400: LegalErrorOut, **errors(401, 403, 404, 422)}
)
def move_api(request: HttpRequest, legal_case_id: Id, body: MoveIn) -> Status:
    """Move the legal case to the next stage with the facts the step records; out of order → 400 with the
    stages allowed next."""
    legal_case = _legal_case(request, legal_case_id)
    facts = rules.MoveFacts(
        court=body.court, case_number=body.case_number, law_firm=body.law_firm, filed_on=body.filed_on,
        next_hearing=body.next_hearing, judgment_on=body.judgment_on, judgment_amount=body.judgment_amount,
        awarded_costs=body.awarded_costs, claim_amount=body.claim_amount, costs=body.costs,
    )  # fmt: skip
    try:
        return Status(200, _out(move_legal_case(request.user, legal_case, Move(body.to, facts, body.note))))
    except LegalError as exc:
        return _refused(exc)


class DocumentOut(Schema):
    id: int
    item: str
    name: str
    content_type: str
    size: int
    sha256: str


@router.post(
    "/legal/{legal_case_id}/documents", response={201: DocumentOut, 400: LegalErrorOut, **errors(401, 403, 404, 422)}
)
def upload_api(request: HttpRequest, legal_case_id: Id, file: File[UploadedFile], item: Form[str]) -> Status:
    """Upload a document (image, PDF or audio, within the size limit) for a checklist item; stored with its SHA-256."""
    legal_case = _legal_case(request, legal_case_id)
    try:
        d = upload_document(request.user, legal_case, item, file)
    except LegalError as exc:
        return _refused(exc)
    return Status(
        201, DocumentOut(id=d.pk, item=d.item, name=d.name, content_type=d.content_type, size=d.size, sha256=d.sha256)
    )


ZIP_RESPONSE = {
    "responses": {
        "200": {
            "description": "The evidence pack (a ZIP)",
            "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}


@router.post("/cases/{case_id}/evidence", response=errors(401, 403, 404, 422), openapi_extra=ZIP_RESPONSE)
def evidence_api(request: HttpRequest, case_id: Id) -> HttpResponse:
    """The case's evidence pack as a ZIP (summary PDF, statement, letters, documents, recordings, manifest)."""
    case = visible_case_or_404(request.user, case_id)
    pack = build_pack(request.user, case)
    response = HttpResponse(pack.data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{pack.filename}"'
    return response


class EscalationOut(Schema):
    case_id: int
    as_of: date
    reason: str
    reason_en: str
    assignee_id: int | None


@router.get("/specialists", response={200: list[EscalationOut], **errors(401, 403, 422)})
def specialists_api(request: HttpRequest) -> list[EscalationOut]:
    """The open escalations the user may decide, with their reason chain."""
    return [
        EscalationOut(
            case_id=i.case_id, as_of=i.as_of, reason=i.reason, reason_en=i.reason_en, assignee_id=i.assignee_id
        )
        for i in specialist_queue(request.user)[:500]
    ]


class DecisionIn(Schema):
    decision: str = Field(pattern="^(legal|team)$")
    note: Reason


class DecisionOut(Schema):
    decision: str
    legal_case_id: int | None = None
    closed: int = 0


@router.post(
    "/specialists/{case_id}/decision", response={200: DecisionOut, 400: LegalErrorOut, **errors(401, 403, 404, 422)}
)
def specialist_decision_api(request: HttpRequest, case_id: Id, body: DecisionIn) -> Status:
    """Hand the case to legal, or back to its team with a note."""
    case = visible_case_or_404(request.user, case_id)
    try:
        if body.decision == "legal":
            return Status(
                200, DecisionOut(decision="legal", legal_case_id=hand_to_legal(request.user, case, body.note).pk)
            )
        return Status(200, DecisionOut(decision="team", closed=back_to_team(request.user, case, body.note)))
    except LegalError as exc:
        return _refused(exc)
