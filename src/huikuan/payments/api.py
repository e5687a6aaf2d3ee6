"""REST endpoints for payments, plans, promises and waivers; each handler calls one action.

The actions check who may do what (org.permissions); their PermissionDenied answers 403 (api.routes).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Header, Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status

from huikuan.cases.access import visible_case_or_404
from huikuan.cases.models import Case, Interaction
from huikuan.kernel.money import LIMIT
from huikuan.kernel.plans import PlanOption, summary
from huikuan.org.visibility import case_filter
from huikuan.payments import guards, incoming, plans, promises, waivers
from huikuan.payments.models import Payment, PaymentSource, RepaymentPlan, WaiverRequest, client_key
from huikuan.payments.policy import current_policy
from huikuan.payments.posting import KeyConflict
from huikuan.portfolio.models import Account

router = Router(tags=["payments"])

# An amount sent in: any Decimal the JSON holds, within what money can be (1E+26 made the fen check raise
# and the request end in a server error). Places and sign are the actions' to check, with their messages.
AmountIn = Annotated[Decimal, Field(gt=-LIMIT, lt=LIMIT)]


class PaymentIn(Schema):
    case_id: int
    amount: AmountIn
    paid_on: date
    reference: str = ""
    contract_no: str | None = None


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
    reason: str


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
    channel: str = "call"
    interaction_id: int | None = None


class PromiseOut(Schema):
    id: int
    amount: Decimal
    due_date: date
    state: str


class PlanIn(Schema):
    kind: str
    interaction_id: int | None = None
    confirmation: str = ""
    capacity: AmountIn | None = None
    payment_day: int | None = None
    deferral_months: int | None = None


class PlanOut(Schema):
    id: int
    kind: str
    status: str
    total: Decimal
    summary: str
    schedule: list[InstalmentOut]


class DecisionIn(Schema):
    reason: str


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


@router.post("/payments", response={200: PaymentOut, 201: PaymentOut})
def post_payment(
    request: HttpRequest, body: PaymentIn, idempotency_key: str = Header(..., alias="Idempotency-Key")
) -> Status[PaymentOut]:
    case = _case(request, body.case_id)
    account = None
    if body.contract_no:
        account = get_object_or_404(Account, contract_no=body.contract_no, debtor_id=case.debtor_id)
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
        )
    except KeyConflict as exc:
        raise HttpError(409, str(exc)) from exc
    except guards.ActionError as exc:
        raise HttpError(400, str(exc)) from exc
    return Status(201 if created else 200, _payment_out(payment, created))


@router.post("/payments/{payment_id}/reverse", response=PaymentOut)
def reverse_payment(request: HttpRequest, payment_id: int, body: ReverseIn) -> PaymentOut:
    payment = get_object_or_404(Payment.objects.filter(case_filter(request.user, "case__")), pk=payment_id)
    try:
        payment = incoming.reverse_payment(request.user, payment, body.reason)
    except guards.ActionError as exc:
        raise HttpError(400, str(exc)) from exc
    return _payment_out(payment, False)


@router.get("/cases/{case_id}/plan-options", response=list[OptionOut])
def plan_options(
    request: HttpRequest, case_id: int, capacity: AmountIn | None = None, payment_day: int | None = None
) -> list[OptionOut]:
    case = _case(request, case_id)
    try:
        proposed = plans.propose_options(request.user, case, capacity=capacity, payment_day=payment_day)
    except guards.ActionError as exc:
        raise HttpError(400, str(exc)) from exc
    whole = current_policy().plan.show_whole_yuan
    return [_option_out(o, case.debtor.preferred_language, whole) for o in proposed.all()]


@router.post("/cases/{case_id}/promises", response={201: PromiseOut})
def record_promise(request: HttpRequest, case_id: int, body: PromiseIn) -> Status[PromiseOut]:
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


@router.post("/cases/{case_id}/plans", response={201: PlanOut})
def accept_plan(request: HttpRequest, case_id: int, body: PlanIn) -> Status[PlanOut]:
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
        )
    except guards.ActionError as exc:
        raise HttpError(400, str(exc)) from exc
    return Status(201, _plan_out(plan))


def _decide(request: HttpRequest, waiver_id: int, body: DecisionIn, approve: bool) -> WaiverOut:
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


@router.post("/waivers/{waiver_id}/approve", response=WaiverOut)
def approve_waiver(request: HttpRequest, waiver_id: int, body: DecisionIn) -> WaiverOut:
    return _decide(request, waiver_id, body, True)


@router.post("/waivers/{waiver_id}/reject", response=WaiverOut)
def reject_waiver(request: HttpRequest, waiver_id: int, body: DecisionIn) -> WaiverOut:
    return _decide(request, waiver_id, body, False)
