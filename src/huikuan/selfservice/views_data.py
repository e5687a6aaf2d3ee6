"""What the debtor's page shows once the code was entered: the balance, the ledger, the plans, what is agreed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from huikuan.cases.models import Case, CaseStatus, HoldReason, Promise, PromiseState
from huikuan.cases.views_data import CaseView, load_case
from huikuan.payments.guards import ActionError
from huikuan.payments.models import Instalment, InstalmentStatus, PlanStatus, RepaymentPlan
from huikuan.payments.policy import current_policy
from huikuan.selfservice.actions import Session, ShownOption, plan_options
from huikuan.selfservice.models import OrderStatus, PaymentOrder
from huikuan.selfservice.providers.registry import BankTransfer, bank_transfer, online_providers


@dataclass
class Page:
    view: CaseView
    today: date
    options: list[ShownOption]
    plan: RepaymentPlan | None
    next_instalment: Instalment | None
    promise: Promise | None
    providers: list[str]
    bank: BankTransfer
    pay_amount: Decimal
    last_promise_day: date
    disputed: bool
    orders: list[PaymentOrder] = field(default_factory=list)


def load_page(session: Session, language: str, now: datetime) -> Page:
    case: Case = session.case
    today = case.debtor.today(now)
    view = load_case(case, today)
    try:
        options = plan_options(session, language, now) if view.totals.total > 0 else []
    except ActionError:
        options = []
    plan = RepaymentPlan.objects.filter(case=case, status=PlanStatus.ACTIVE).order_by("-pk").first()
    next_instalment = (
        plan.instalments.exclude(status=InstalmentStatus.PAID).order_by("n").first() if plan is not None else None
    )
    promise = Promise.objects.filter(case=case, state=PromiseState.PENDING).order_by("-pk").first()
    owed = view.totals.total
    due_now = next_instalment.amount - next_instalment.paid_amount if next_instalment else None
    pay_amount = min(owed, due_now or (promise.amount if promise else owed))
    return Page(
        view=view,
        today=today,
        options=options,
        plan=plan,
        next_instalment=next_instalment,
        promise=promise,
        providers=sorted(online_providers()),
        bank=bank_transfer(case.pk),
        pay_amount=pay_amount,
        last_promise_day=today + timedelta(days=current_policy().promise_horizon_days),
        disputed=case.status == CaseStatus.ON_HOLD and case.hold_reason == HoldReason.DISPUTE,
        orders=list(PaymentOrder.objects.filter(case=case, status=OrderStatus.PAID).order_by("-paid_at")[:5]),
    )
