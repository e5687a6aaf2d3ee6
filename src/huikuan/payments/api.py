"""REST endpoints for payments, plans, promises and waivers; each handler calls one action.

The actions check who may do what (org.permissions); their PermissionDenied answers 403 (api.routes).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Header, Query, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import LimitOffsetPagination, paginate
from ninja.responses import Status

from huikuan.cases.access import visible_case_or_404
from huikuan.cases.models import Case, Channel, Interaction
from huikuan.inputs import ErrorOut, Id, Reason, Reference, errors, max_amount
from huikuan.kernel.identifiers import normalise_reference
from huikuan.kernel.plans import PlanOption, summary
from huikuan.org.visibility import case_filter
from huikuan.payments import guards, incoming, plans, promises, waivers
from huikuan.payments.incoming import OverpaymentUnconfirmed
from huikuan.payments.models import (
    CLIENT_KEY_LIMIT,
    Payment,
    PaymentSource,
    PlanKind,
    RepaymentPlan,
    WaiverRequest,
    client_key,
)
from huikuan.payments.policy import current_policy
from huikuan.payments.posting import KeyConflict
from huikuan.payments.queries import recent_payments
from huikuan.portfolio.models import Account

router = Router(tags=["payments"])

# An amount sent in: a finite Decimal up to HUIKUAN_MAX_AMOUNT (1E+26 made the fen check raise and the
# request end in a server error; NaN and Infinity are refused by pydantic). Places and sign are the actions'
# to check, with their messages.
AmountIn = Annotated[Decimal, Field(allow_inf_nan=False, ge=-max_amount(), le=max_amount())]
# The day of the month instalments fall due, and a deferral's length; the plan rules check them again.
PaymentDay = Annotated[int, Field(ge=1, le=31)]
Months = Annotated[int, Field(ge=1, le=120)]
# A number of instalments asked for; the policy's limit is checked by the designer.
InstalmentCount = Annotated[int, Field(ge=1, le=360)]


class PaymentIn(Schema):
    case_id: Id
    amount: AmountIn
    paid_on: date
    reference: Reference = ""
    contract_no: Reference | None = None
    # Required to post more than the debtor owes by over the policy's threshold (409 otherwise).
    confirm_overpayment: bool = False


class OverpaymentOut(Schema):
    """409: the payment exceeds what is owed; send it again with confirm_overpayment to post it."""

    detail: str
    owed: Decimal
    excess: Decimal


class PaymentOut(Schema):
    id: int
    idempotency_key: str
    case_id: int | None
    amount: Decimal
    credit: Decimal
    paid_on: date
    status: str
    created: bool


class ReverseIn(Schema):
    reason: Reason


class InstalmentOut(Schema):
    n: int
    due_date: date
    amount: Decimal


class OptionOut(Schema):
    kind: str
    owed: Decimal
    total: Decimal
    waiver: Decimal
    waiver_valid_until: datetime | None
    needs_approval: bool
    summary: str
    schedule: list[InstalmentOut]


class PromiseIn(Schema):
    amount: AmountIn
    due_date: date
    channel: Channel = Channel.CALL
    interaction_id: Id | None = None


class PromiseOut(Schema):
    id: int
    amount: Decimal
    due_date: date
    state: str


class PlanIn(Schema):
    kind: PlanKind
    interaction_id: Id | None = None
    confirmation: Reason = ""
    capacity: AmountIn | None = None
    payment_day: PaymentDay | None = None
    deferral_months: Months | None = None
    instalments: InstalmentCount | None = None
    first_payment: AmountIn | None = None


class PlanOut(Schema):
    id: int
    kind: str
    status: str
    total: Decimal
    summary: str
    schedule: list[InstalmentOut]


class DecisionIn(Schema):
    reason: Reason


class WaiverOut(Schema):
    id: int
    case_id: int
    amount: Decimal
    status: str
    decision_reason: str


def _case(request: HttpRequest, case_id: int) -> Case:
    return visible_case_or_404(request.user, case_id)


def _payment_out(payment: Payment, created: bool) -> PaymentOut:
    return PaymentOut(
        id=payment.pk,
        idempotency_key=client_key(payment.source, payment.idempotency_key),
        case_id=payment.case_id,
        amount=payment.amount,
        credit=payment.credit,
        paid_on=payment.paid_on,
        status=payment.status,
        created=created,
    )


def _option_out(option: PlanOption, locale: str, whole: bool) -> OptionOut:
    return OptionOut(
        kind=option.kind.value,
        owed=option.owed,
        total=option.total,
        waiver=option.waiver.total if option.waiver else Decimal("0.00"),
        waiver_valid_until=option.waiver.valid_until if option.waiver else None,
        needs_approval=option.needs_approval,
        summary=summary(option, locale, whole),
        schedule=[InstalmentOut(n=i.n, due_date=i.due_date, amount=i.amount) for i in option.schedule],
    )


def _plan_out(plan: RepaymentPlan) -> PlanOut:
    return PlanOut(
        id=plan.pk,
        kind=plan.kind,
        status=plan.status,
        total=plan.total,
        summary=plan.summary,
        schedule=[InstalmentOut(n=i.n, due_date=i.due_date, amount=i.amount) for i in plan.instalments.all()],
    )


def _interaction(case: Case, interaction_id: int | None) -> Interaction | None:
    if interaction_id is None:
        return None
    return get_object_or_404(Interaction, pk=interaction_id, case=case)


@router.post("/payments", response={200: PaymentOut, 201: PaymentOut, 409: OverpaymentOut | ErrorOut,
                                   **errors(400, 401, 403, 404, 422)})  # fmt: skip
def post_payment(
    request: HttpRequest,
    body: PaymentIn,
    idempotency_key: str = Header(
        ..., alias="Idempotency-Key", min_length=1, max_length=CLIENT_KEY_LIMIT, pattern=r"^[ -~]+$"
    ),
) -> Status[Any]:
    """Post a payment; the same Idempotency-Key again returns the first payment (200) and changes nothing.

    409: the key was used for another payment, or the payment exceeds what the debtor owes by more than the
    policy's threshold and ``confirm_overpayment`` is not set (the body then gives ``owed`` and ``excess``).
    """
    case = _case(request, body.case_id)
    account = None
    if body.contract_no:
        account = get_object_or_404(
            Account, contract_no=normalise_reference(body.contract_no), debtor_id=case.debtor_id
        )
    try:
        payment, created = incoming.post_payment(
            request.user,
            case,
            body.amount,
            body.paid_on,
            idempotency_key,
            source=PaymentSource.API,
            reference=body.reference,
            account=account,
            confirm_overpayment=body.confirm_overpayment,
        )
    except KeyConflict as exc:
        raise HttpError(409, str(exc)) from exc
    except OverpaymentUnconfirmed as exc:
        return Status(409, OverpaymentOut(detail=str(exc), owed=exc.owed, excess=exc.excess))
    except guards.ActionError as exc:
        raise HttpError(400, str(exc)) from exc
    return Status(201 if created else 200, _payment_out(payment, created))


class PaymentRow(Schema):
    """A payment in the list: what the team's payments page shows."""

    id: int
    case_id: int | None
    debtor: str  # masked
    amount: Decimal
    credit: Decimal
    paid_on: date
    source: str
    reference: str
    status: str
    posted_by: str | None
    reversed_at: datetime | None
    reversal_reason: str


@router.get("/payments", response={200: list[PaymentRow], **errors(401, 422)})
@paginate(LimitOffsetPagination)
def list_payments(
    request: HttpRequest,
    # Spelt out rather than typed PaymentStatus: paginate's wrapper resolves annotations in ninja's own module.
    status: str | None = Query(None, pattern="^(posted|reversed)$", description="posted or reversed"),
) -> list[PaymentRow]:
    """The payments of the cases the user sees, newest first (a lead's: the team's)."""
    return [
        PaymentRow(
            id=p.pk, case_id=p.case_id, debtor=str(p.debtor), amount=p.amount, credit=p.credit, paid_on=p.paid_on,
            source=p.source, reference=p.reference, status=p.status,
            posted_by=p.created_by.username if p.created_by else None, reversed_at=p.reversed_at,
            reversal_reason=p.reversal_reason,
        )
        for p in recent_payments(request.user, status or "")
    ]  # fmt: skip


@router.post("/payments/{payment_id}/reverse", response={200: PaymentOut, **errors(400, 401, 403, 404, 422)})
def reverse_payment(request: HttpRequest, payment_id: Id, body: ReverseIn) -> PaymentOut:
    payment = get_object_or_404(Payment.objects.filter(case_filter(request.user, "case__")), pk=payment_id)
    try:
        payment = incoming.reverse_payment(request.user, payment, body.reason)
    except guards.ActionError as exc:
        raise HttpError(400, str(exc)) from exc
    return _payment_out(payment, False)


@router.get("/cases/{case_id}/plan-options", response={200: list[OptionOut], **errors(400, 401, 403, 404, 422)})
def plan_options(
    request: HttpRequest,
    case_id: Id,
    capacity: AmountIn | None = None,
    payment_day: PaymentDay | None = None,
    instalments: InstalmentCount | None = None,
    first_payment: AmountIn | None = None,
    deferral_months: Months | None = None,
) -> list[OptionOut]:
    """The plan designer: the three options (and a deferral where the policy allows it) for the terms
    asked; 400 naming the limit when the policy cannot meet them (more instalments than the minimum
    instalment or the plan's length allows, a first payment above the balance, a deferral not allowed)."""
    case = _case(request, case_id)
    try:
        proposed = plans.propose_options(
            request.user, case, capacity=capacity, payment_day=payment_day, instalments=instalments,
            first_payment=first_payment, deferral_months=deferral_months,
        )  # fmt: skip
    except guards.ActionError as exc:
        raise HttpError(400, str(exc)) from exc
    whole = current_policy().plan.show_whole_yuan
    return [_option_out(o, case.debtor.preferred_language, whole) for o in proposed.all()]


@router.post("/cases/{case_id}/promises", response={201: PromiseOut, **errors(400, 401, 403, 404, 422)})
def record_promise(request: HttpRequest, case_id: Id, body: PromiseIn) -> Status[PromiseOut]:
    """Record a promise to pay; 400 when it breaks a rule (more than is owed, a date before today, one
    already pending)."""
    case = _case(request, case_id)
    try:
        promise = promises.record_promise(
            request.user,
            case,
            body.amount,
            body.due_date,
            channel=body.channel,
            interaction=_interaction(case, body.interaction_id),
        )
    except guards.ActionError as exc:
        raise HttpError(400, str(exc)) from exc
    out = PromiseOut(id=promise.pk, amount=promise.amount, due_date=promise.due_date, state=promise.state)
    return Status(201, out)


@router.post("/cases/{case_id}/plans", response={201: PlanOut, **errors(400, 401, 403, 404, 422)})
def accept_plan(request: HttpRequest, case_id: Id, body: PlanIn) -> Status[PlanOut]:
    case = _case(request, case_id)
    try:
        plan = plans.agree_plan(
            request.user,
            case,
            body.kind,
            interaction=_interaction(case, body.interaction_id),
            confirmation=body.confirmation,
            capacity=body.capacity,
            payment_day=body.payment_day,
            deferral_months=body.deferral_months,
            instalments=body.instalments,
            first_payment=body.first_payment,
        )
    except guards.ActionError as exc:
        raise HttpError(400, str(exc)) from exc
    return Status(201, _plan_out(plan))


def _decide(request: HttpRequest, waiver_id: Id, body: DecisionIn, approve: bool) -> WaiverOut:
    waiver = get_object_or_404(
        WaiverRequest.objects.filter(case_filter(request.user, "case__")).select_related("case"), pk=waiver_id
    )
    try:
        decide = waivers.approve_waiver if approve else waivers.reject_waiver
        waiver = decide(request.user, waiver, body.reason)
    except guards.ActionError as exc:
        raise HttpError(400, str(exc)) from exc
    return WaiverOut(
        id=waiver.pk,
        case_id=waiver.case_id,
        amount=waiver.amount,
        status=waiver.status,
        decision_reason=waiver.decision_reason,
    )


@router.post("/waivers/{waiver_id}/approve", response={200: WaiverOut, **errors(400, 401, 403, 404, 422)})
def approve_waiver(request: HttpRequest, waiver_id: Id, body: DecisionIn) -> WaiverOut:
    return _decide(request, waiver_id, body, True)


@router.post("/waivers/{waiver_id}/reject", response={200: WaiverOut, **errors(400, 401, 403, 404, 422)})
def reject_waiver(request: HttpRequest, waiver_id: Id, body: DecisionIn) -> WaiverOut:
    return _decide(request, waiver_id, body, False)


class ReplanIn(Schema):
    months: Months
    interaction_id: Id | None = None
    confirmation: Reason = ""


@router.post("/plans/{plan_id}/replan", response={201: PlanOut, **errors(400, 401, 403, 404, 422)})
def replan_plan(request: HttpRequest, plan_id: Id, body: ReplanIn) -> Status[PlanOut]:
    """Re-plan after a missed instalment: the unpaid instalments move ``months`` later, the paid part carries
    over; the new plan replaces this one (docs/plans.md). 400 when a rule refuses it."""
    plan = get_object_or_404(
        RepaymentPlan.objects.filter(case_filter(request.user, "case__")).select_related("case"), pk=plan_id
    )
    try:
        new = plans.replan(
            request.user,
            plan,
            body.months,
            interaction=_interaction(plan.case, body.interaction_id),
            confirmation=body.confirmation,
        )
    except guards.ActionError as exc:
        raise HttpError(400, str(exc)) from exc
    return Status(201, _plan_out(new))
