"""REST API (OpenAPI at /api/docs). Handlers only translate HTTP to actions and read models.

Who may do what is the actions' to check (org.permissions); a refusal (PermissionDenied) answers 403.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, File, Form, NinjaAPI, Query, Schema
from ninja.errors import HttpError
from ninja.files import UploadedFile
from ninja.pagination import LimitOffsetPagination, paginate
from ninja.responses import Status
from ninja.security import django_auth

from huikuan import clock
from huikuan.analytics.api import router as analytics_router
from huikuan.analytics.goals import goals_met
from huikuan.audit.refusals import note_refusal
from huikuan.cases.access import reveal_contact_point, visible_case_or_404
from huikuan.cases.contact_points import ContactPointError, NewContact, add_contact_point
from huikuan.cases.models import Case, CaseStatus, Channel, Outcome
from huikuan.cases.views_data import load_case, visible_cases
from huikuan.comms.validation import VerificationRefused, send_verification
from huikuan.compliance.actions import ContactBlocked, ContactPointRequired
from huikuan.compliance.api import router as compliance_router
from huikuan.compliance.contacts import log_contact
from huikuan.compliance.models import GateSource
from huikuan.fieldwork.api import router as fieldwork_router
from huikuan.inputs import ContactValue, Id, Notes, PersonName, Reason, errors
from huikuan.intake.importer import ImportFileError, import_upload, mapping_text, reason
from huikuan.legal.api import router as legal_router
from huikuan.notifications.actions import mark_read, notifications_of
from huikuan.notifications.texts import describe
from huikuan.org.visibility import case_filter
from huikuan.portfolio.models import ContactPoint, Relation
from huikuan.qa.api import router as qa_router
from huikuan.scoring.api import router as scoring_router
from huikuan.strategy.api import router as strategy_router
from huikuan.workbench.notices import notify_due

api = NinjaAPI(title="huikuan API", version="1", auth=django_auth, urls_namespace="api")
api.add_router("/strategy", strategy_router)
api.add_router("/", legal_router)
api.add_router("/analytics", analytics_router)
api.add_router("/", scoring_router)


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> object:
    note_refusal(str(exc) or "forbidden")
    return api.create_response(request, {"detail": str(exc) or "forbidden"}, status=403)


class ReasonOut(Schema):
    rule_id: str
    severity: str
    source: str
    zh: str
    en: str


class BlockedOut(Schema):
    """409 from the compliance gate: the rule that blocks, why, its legal source and the next allowed time."""

    detail: str
    blocking_rule: str | None
    reasons: list[ReasonOut]
    next_allowed_at: str | None


@api.exception_handler(ContactBlocked)
def _blocked(request: HttpRequest, exc: ContactBlocked) -> object:
    """409: the contact may not be made now; the body says which rule, why, its source and when."""
    decision = exc.answer.decision
    return api.create_response(
        request,
        {
            "detail": "contact blocked by the compliance gate",
            "blocking_rule": decision.blocking_rule,
            "reasons": [
                {"rule_id": r.rule_id, "severity": r.severity, "source": r.source, "zh": r.text_zh, "en": r.text_en}
                for r in decision.reasons
            ],
            "next_allowed_at": decision.next_allowed_at.isoformat() if decision.next_allowed_at else None,
        },
        status=409,
    )


class CaseRow(Schema):
    id: int
    customer_no: str
    debtor: str
    status: str
    hold_reason: str
    oldest_due_date: date | None
    dpd: int
    bucket: str
    assignee: str | None


class AccountOut(Schema):
    contract_no: str
    product: str
    currency: str
    due_date: date
    principal: Decimal
    interest: Decimal
    fee: Decimal
    penalty: Decimal
    credit: Decimal
    total: Decimal


class ContactOut(Schema):
    id: int
    kind: str
    masked: str
    relation: str
    validity: str
    do_not_contact: bool


class CaseDetail(Schema):
    id: int
    greeting: str
    customer_no: str
    status: str
    dpd: int
    bucket: str
    stage: str
    total: Decimal
    accounts: list[AccountOut]
    contacts: list[ContactOut]


class RevealIn(Schema):
    reason: Reason


class RevealOut(Schema):
    value: str


class ImportErrorOut(Schema):
    row: int
    column: str
    value: str
    code: str  # the reason for programs: required, amount, too_long, control_character, beyond_authority…
    reason: str


class ImportOut(Schema):
    ok: bool
    dry_run: bool
    rows: int
    summary: str
    errors: list[ImportErrorOut]


def _row(case: Case, today: date) -> CaseRow:
    return CaseRow(
        id=case.pk,
        customer_no=case.debtor.customer_no,
        debtor=str(case.debtor),
        status=case.status,
        hold_reason=case.hold_reason,
        oldest_due_date=case.oldest_due_date,
        dpd=case.dpd(today),
        bucket=case.bucket(today).value,
        assignee=case.assignee.username if case.assignee else None,
    )


@api.get("/cases", response={200: list[CaseRow], **errors(401, 422)}, tags=["cases"])
@paginate(LimitOffsetPagination)
def list_cases(
    request: HttpRequest,
    # Spelt out rather than typed CaseStatus: paginate's wrapper resolves annotations in ninja's own module.
    status: str | None = Query(
        None, pattern="^(" + "|".join(CaseStatus.values) + ")$", description=f"one of {', '.join(CaseStatus.values)}"
    ),
) -> list[CaseRow]:
    cases = visible_cases(request.user).order_by("oldest_due_date", "id")
    if status:
        cases = cases.filter(status=status)
    today = clock.today()
    return [_row(c, today) for c in cases]


@api.get("/cases/{case_id}", response={200: CaseDetail, **errors(401, 403, 404, 422)}, tags=["cases"])
def get_case(request: HttpRequest, case_id: Id) -> CaseDetail:
    case = visible_case_or_404(request.user, case_id)
    view = load_case(case, clock.today())
    return CaseDetail(
        id=case.pk,
        greeting=view.greeting,
        customer_no=case.debtor.customer_no,
        status=case.status,
        dpd=view.dpd,
        bucket=view.bucket,
        stage=view.stage,
        total=view.totals.total,
        accounts=[
            AccountOut(
                contract_no=a.contract_no,
                product=a.product,
                currency=a.currency,
                due_date=a.due_date,
                principal=a.balance.principal,
                interest=a.balance.interest,
                fee=a.balance.fee,
                penalty=a.balance.penalty,
                credit=a.balance.credit,
                total=a.balance.total,
            )
            for a in view.accounts
        ],
        contacts=[
            ContactOut(
                id=p.pk,
                kind=p.kind,
                masked=p.masked,
                relation=p.relation,
                validity=p.validity,
                do_not_contact=p.do_not_contact,
            )
            for p in view.contacts
        ],
    )


@api.post(
    "/contacts/{point_id}/reveal", response={200: RevealOut, **errors(400, 401, 403, 404, 422)}, tags=["personal data"]
)
def reveal(request: HttpRequest, point_id: Id, body: RevealIn) -> RevealOut:
    point = get_object_or_404(
        ContactPoint.objects.filter(case_filter(request.user, "debtor__case__")).select_related("debtor"),
        pk=point_id,
    )
    try:
        return RevealOut(value=reveal_contact_point(request.user, point, body.reason, channel="api"))
    except ValueError as exc:
        raise HttpError(400, str(exc)) from exc


class NewContactIn(Schema):
    kind: str = Field(pattern="^(mobile|home|work|email|postal)$")
    value: ContactValue
    relation: str = Field("self", pattern="^(" + "|".join(Relation.values) + ")$")
    contact_name: PersonName = ""
    reason: Reason
    replaces: Id | None = None


class ContactErrorOut(Schema):
    """400: the fields that cannot be stored as given, each with its reason in the user's language (none when
    the request itself is refused, a control character in its address say)."""

    detail: str
    fields: dict[str, str] = Field(default_factory=dict)


@api.post(
    "/cases/{case_id}/contact-points",
    response={201: ContactOut, 400: ContactErrorOut, **errors(401, 403, 404, 422)},
    tags=["cases"],
)
def add_contact_point_api(request: HttpRequest, case_id: Id, body: NewContactIn) -> Status:
    """Add a number or an address the debtor gives, or correct one (``replaces``): stored unverified, audited."""
    case = visible_case_or_404(request.user, case_id)
    entry = NewContact(body.kind, body.value, body.relation, body.contact_name, body.reason, body.replaces)
    try:
        point = add_contact_point(request.user, case, entry)
    except ContactPointError as exc:
        return Status(400, ContactErrorOut(detail=str(exc), fields=exc.errors))
    out = ContactOut(id=point.pk, kind=point.kind, masked=point.masked, relation=point.relation,
                     validity=point.validity, do_not_contact=point.do_not_contact)  # fmt: skip
    return Status(201, out)


class NotificationOut(Schema):
    id: int
    kind: str
    case_id: int | None
    text: str  # in the user's language
    created_at: datetime
    read_at: datetime | None


class ReadIn(Schema):
    # Required (null for all): a body of optional fields only would take any JSON value, a bare number too.
    ids: list[Id] | None = Field(..., max_length=1000, description="the notifications to mark read; null: all")


class ReadOut(Schema):
    marked: int


@api.get("/notifications", response={200: list[NotificationOut], **errors(401, 422)}, tags=["notifications"])
@paginate(LimitOffsetPagination)
def list_notifications(request: HttpRequest, unread: bool = False) -> list[NotificationOut]:
    """The user's own notifications, newest first (call-backs and promises that fell due swept in first)."""
    notify_due(user=request.user)
    rows = notifications_of(request.user)
    if unread:
        rows = rows.filter(read_at__isnull=True)
    return [
        NotificationOut(id=n.pk, kind=n.kind, case_id=n.case_id, text=describe(n), created_at=n.created_at,
                        read_at=n.read_at)
        for n in rows
    ]  # fmt: skip


@api.post("/notifications/read", response={200: ReadOut, **errors(400, 401, 422)}, tags=["notifications"])
def read_notifications(request: HttpRequest, body: ReadIn) -> ReadOut:
    """Mark the user's own notifications read; another user's ids change nothing."""
    return ReadOut(marked=mark_read(request.user, body.ids))


@api.post("/imports/accounts", response={200: ImportOut, **errors(400, 401, 403, 422)}, tags=["import"])
def import_accounts_api(
    request: HttpRequest,
    file: File[UploadedFile],
    mapping: File[UploadedFile] | None = None,
    dry_run: Form[bool] = False,
) -> ImportOut:
    try:
        report = import_upload(
            file.name or "upload.csv",
            file.chunks(),
            mapping_text(mapping.read()) if mapping else None,
            dry_run=dry_run,
            user=request.user,
        )
    except ImportFileError as exc:
        raise HttpError(400, str(exc)) from exc
    return ImportOut(
        ok=report.ok,
        dry_run=report.dry_run,
        rows=report.rows,
        summary=report.summary(),
        errors=[
            ImportErrorOut(row=e.row, column=e.column, value=e.value, code=e.code, reason=reason(e))
            for e in report.errors
        ],
    )


from huikuan.payments.api import router as payments_router  # noqa: E402

api.add_router("/", payments_router)


class ContactIn(Schema):
    contact_point_id: Id | None = None
    channel: Channel = Channel.CALL
    outcome: Outcome
    notes: Notes = ""


class LoggedContactOut(Schema):
    interaction_id: int
    warnings: list[str]
    flags: list[str]


@api.post(
    "/cases/{case_id}/contacts",
    response={201: LoggedContactOut, 409: BlockedOut, **errors(400, 401, 403, 404, 422)},
    tags=["cases"],
)
def log_contact_api(request: HttpRequest, case_id: Id, body: ContactIn) -> Status:
    """Record an outbound contact made now; the compliance gate is asked first (409 when it says no)."""
    case = visible_case_or_404(request.user, case_id)
    point = (
        get_object_or_404(ContactPoint, pk=body.contact_point_id, debtor_id=case.debtor_id)
        if body.contact_point_id
        else None
    )
    if body.outcome == Outcome.SENT:
        raise HttpError(400, "'sent' is the outbox's outcome, not a contact's")
    if body.channel == Channel.VISIT:
        # A visit names both collectors, its times and whom it met: the gate is asked with the whole party.
        raise HttpError(400, f"a visit is recorded with POST /api/cases/{case.pk}/visits, which names both collectors")
    try:
        logged = log_contact(
            case, point, body.channel, body.outcome, user=request.user, notes=body.notes, source=GateSource.API
        )
    except ContactPointRequired as exc:
        raise HttpError(422, str(exc)) from exc
    return Status(
        201,
        LoggedContactOut(
            interaction_id=logged.interaction.pk,
            warnings=[r.rule_id for r in logged.gate.decision.warnings],
            flags=[f.category for f in logged.flags],
        ),
    )


class VerificationOut(Schema):
    message_id: int
    verification_sent_on: str


@api.post(
    "/cases/{case_id}/verification",
    response={201: VerificationOut, **errors(400, 401, 403, 404, 422)},
    tags=["cases"],
)
def send_verification_api(request: HttpRequest, case_id: Id) -> Status:
    """US: queue the verification answering the debtor's dispute within the validation period (400 when the
    case has no notice or no dispute waiting); collection may resume once it is recorded."""
    case = visible_case_or_404(request.user, case_id)
    try:
        message = send_verification(request.user, case)
    except VerificationRefused as exc:
        raise HttpError(400, str(exc)) from exc
    case.refresh_from_db()
    notice = case.validation_notice
    assert notice.verification_sent_on is not None
    return Status(
        201, VerificationOut(message_id=message.pk, verification_sent_on=notice.verification_sent_on.isoformat())
    )


api.add_router("/compliance", compliance_router)


class GoalOut(Schema):
    action: str
    goal: str
    items: int
    recorded: int
    met: int
    met_rate: float | None


@api.get("/analytics/goals", response={200: list[GoalOut], **errors(401, 422)}, tags=["analytics"])
def goals(request: HttpRequest, first: date, last: date) -> list[GoalOut]:
    """Goals met per action over the days ``first``..``last`` (inclusive), of the cases the user sees."""
    if last < first:
        raise HttpError(422, "last must not be before first")
    return [
        GoalOut(action=r.action, goal=r.goal, items=r.items, recorded=r.recorded, met=r.met, met_rate=r.met_rate)
        for r in goals_met(request.user, first, last)
    ]


api.add_router("/qa", qa_router)
api.add_router("/", fieldwork_router)
