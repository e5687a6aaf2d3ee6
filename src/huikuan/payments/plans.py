"""Use cases of repayment plans: the three options, offering, accepting, agreeing and cancelling a plan.

Each checks who may do it (``org.permissions.can_negotiate`` on a case the user sees), runs in one transaction,
asks the kernel for every number and leaves an audit record for every change. ``agree_plan`` and
``cancel_plan`` are entry points, the outermost transaction (durable); ``offer_plan``, ``accept_plan`` and
``new_agreed_plan`` are building blocks that join the caller's transaction (the call's outcome agrees a plan
together with the call).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from huikuan import clock
from huikuan.audit.records import record_change
from huikuan.cases.models import Case, Interaction
from huikuan.kernel.money import ZERO
from huikuan.kernel.plans import Instalment as KernelInstalment
from huikuan.kernel.plans import (
    PlanError,
    PlanOption,
    PlanOptions,
    defer_schedule,
    design_options,
    propose_deferral,
    summary,
)
from huikuan.org.permissions import role_of, staff_user
from huikuan.payments.arrangement import OFFERS, put_in_force, reject_pending_waivers, supersede_plans
from huikuan.payments.guards import ActionError, case_balances, local_today, now_or_current, require_negotiator
from huikuan.payments.models import (
    OPEN_PLAN_STATUSES,
    Instalment,
    InstalmentStatus,
    PlanStatus,
    RepaymentPlan,
    WaiverStatus,
)
from huikuan.payments.policy import PaymentsPolicy, current_policy
from huikuan.payments.posting import (
    write_waiver,
)
from huikuan.payments.queries import suspended_case_ids
from huikuan.payments.settlement import settle_cases
from huikuan.payments.waivers import locked_waivable, new_waiver


@dataclass(frozen=True)
class ProposedOptions:
    options: PlanOptions
    deferral: PlanOption | None

    def all(self) -> list[PlanOption]:
        return [*self.options, *([self.deferral] if self.deferral else [])]


def propose_options(
    user: Any,
    case: Case,
    *,
    capacity: Decimal | None = None,
    payment_day: int | None = None,
    deferral_months: int | None = None,
    instalments: int | None = None,
    first_payment: Decimal | None = None,
    now: datetime | None = None,
    policy: PaymentsPolicy | None = None,
) -> ProposedOptions:
    """The three options (and a deferral where the policy allows it) for this case, for this user's role.

    The terms (capacity, number of instalments, first payment, payment day, deferral) are the debtor's asks;
    the kernel's designer meets them within the policy or says which limit stops them (``ActionError`` in
    the user's language). The waiver of the pay-in-full option is split by the role's authority.
    """
    require_negotiator(user, case)
    policy = policy or current_policy()
    now = now_or_current(now)
    balances = case_balances(case)
    if deferral_months is not None and not policy.plan.deferral_allowed:
        raise ActionError([_("The policy does not allow deferral.")])
    if deferral_months is not None and not 1 <= deferral_months <= policy.plan.max_deferral_months:
        raise ActionError([_("A deferral is 1 to %(months)s months.") % {"months": policy.plan.max_deferral_months}])
    options, errors = design_options(
        balances,
        policy.plan,
        role_of(user),
        now,
        capacity=capacity,
        payment_day=payment_day,
        time_zone=case.debtor.zone,
        instalments=instalments,
        first_payment=first_payment,
    )
    if options is None:
        raise ActionError(plan_error_text(e) for e in errors)
    deferral = None
    if policy.plan.deferral_allowed:
        deferral, _errors = propose_deferral(
            balances,
            policy.plan,
            local_today(case, now),
            deferral_months or policy.plan.max_deferral_months,
            payment_day=payment_day,
        )
    return ProposedOptions(options, deferral)


def plan_error_text(error: PlanError) -> str:
    """A designer's error in the user's language (by its code; the kernel's English without one)."""
    sentences = {
        "instalments_below": _("The number of instalments must be at least 1."),
        "instalments_above": _(
            "At most %(highest)s instalments for this balance: each at least %(minimum)s, "
            "the last within %(months)s months."
        ),
        "first_payment_invalid": _("The first payment must be more than zero and to the fen."),
        "first_payment_above": _("The first payment cannot be more than the balance (%(owed)s)."),
    }
    sentence = sentences.get(error.code)
    return sentence % dict(error.params) if sentence else error.message


def offer_plan(
    user: Any,
    case: Case,
    kind: str,
    *,
    capacity: Decimal | None = None,
    payment_day: int | None = None,
    deferral_months: int | None = None,
    instalments: int | None = None,
    first_payment: Decimal | None = None,
    now: datetime | None = None,
    policy: PaymentsPolicy | None = None,
) -> RepaymentPlan:
    """Store one option as a proposed plan; amounts are recomputed here, never taken from a form."""
    policy = policy or current_policy()
    proposed = propose_options(
        user,
        case,
        capacity=capacity,
        payment_day=payment_day,
        deferral_months=deferral_months,
        instalments=instalments,
        first_payment=first_payment,
        now=now,
        policy=policy,
    )
    option = next((o for o in proposed.all() if o.kind.value == kind), None)
    if option is None:
        raise ActionError([_("No such option for this case: %(kind)s") % {"kind": kind}])
    with transaction.atomic():
        plan = RepaymentPlan.objects.create(
            case=case,
            kind=option.kind.value,
            status=PlanStatus.PROPOSED,
            owed=option.owed,
            total=option.total,
            payment_day=option.payment_day,
            waiver_penalty=option.waiver.penalty if option.waiver else ZERO,
            waiver_fee=option.waiver.fee if option.waiver else ZERO,
            waiver_valid_until=option.waiver.valid_until if option.waiver else None,
            summary=summary(option, case.debtor.preferred_language, policy.plan.show_whole_yuan)[:500],
            created_by=staff_user(user),
        )
        Instalment.objects.bulk_create(
            [Instalment(plan=plan, n=i.n, due_date=i.due_date, amount=i.amount) for i in option.schedule]
        )
        record_change(user, plan, "plan:proposed", None, {"kind": plan.kind, "total": str(plan.total)})
    return plan


def accept_plan(
    user: Any,
    plan: RepaymentPlan,
    *,
    interaction: Interaction | None = None,
    confirmation: str = "",
    now: datetime | None = None,
    policy: PaymentsPolicy | None = None,
) -> RepaymentPlan:
    """The debtor agreed: record the evidence; the plan is active at once unless its waiver needs a lead."""
    policy = policy or current_policy()
    case = plan.case
    require_negotiator(user, case)
    confirmation = confirmation.strip()
    if interaction is None and not confirmation:
        raise ActionError([_("Say where the debtor agreed: the call it was recorded in or a confirmation.")])
    if interaction is not None and interaction.case_id != case.pk:
        raise ActionError([_("That interaction belongs to another case.")])
    now = now_or_current(now)
    today = local_today(case, now)
    with transaction.atomic():
        # The debtor's balances before the plan, the order posting takes them in (a payment locks the
        # balances, then settles the case's plans): otherwise an acceptance and a payment on one case
        # could each hold what the other waits for.
        locked_waivable(case)
        plan = RepaymentPlan.objects.select_for_update().get(pk=plan.pk)
        if plan.status != PlanStatus.PROPOSED:
            raise ActionError(
                [_("Only a proposed plan can be accepted; this one is %(status)s.") % {"status": plan.status}]
            )
        owed = sum((b.total for b in case_balances(case)), ZERO)
        if owed != plan.owed:
            raise ActionError([_("The balance changed since this plan was offered; offer it again.")])
        if plan.waiver_valid_until is not None and now > plan.waiver_valid_until:
            raise ActionError([_("The offer expired at %(when)s.") % {"when": plan.waiver_valid_until}])
        # Other offers go first, their waiting waivers with them: those no longer count against the
        # authority this plan's waiver is judged by. What is in force goes only once this plan is.
        supersede_plans(user, plan, now, OFFERS)
        plan.accepted_in = interaction
        plan.confirmation = confirmation[:200]
        plan.accepted_on = today
        plan.status = PlanStatus.ACTIVE
        if plan.waiver_total > 0:
            request = new_waiver(user, case, plan.waiver_penalty, plan.waiver_fee, plan.summary[:300], plan)
            if request.status == WaiverStatus.PENDING:
                plan.status = PlanStatus.ACCEPTED
            else:
                write_waiver(request, user=user, policy=policy, today=today)
        plan.status_changed_at = now
        plan.save()
        if plan.status == PlanStatus.ACTIVE:
            put_in_force(user, plan, now)
        record_change(
            user,
            plan,
            "plan:accepted",
            {"status": PlanStatus.PROPOSED},
            {"status": plan.status, "evidence": interaction.pk if interaction else confirmation},
        )
        settle_cases([case.pk], today, policy)
    plan.refresh_from_db()
    return plan


def agree_plan(
    user: Any,
    case: Case,
    kind: str,
    *,
    interaction: Interaction | None = None,
    confirmation: str = "",
    capacity: Decimal | None = None,
    payment_day: int | None = None,
    deferral_months: int | None = None,
    instalments: int | None = None,
    first_payment: Decimal | None = None,
    now: datetime | None = None,
) -> RepaymentPlan:
    """Offer and accept in one step, as the collector does at the end of the call: the outermost transaction."""
    with transaction.atomic(durable=True):
        return new_agreed_plan(
            user,
            case,
            kind,
            interaction=interaction,
            confirmation=confirmation,
            capacity=capacity,
            payment_day=payment_day,
            deferral_months=deferral_months,
            instalments=instalments,
            first_payment=first_payment,
            now=now,
        )


def new_agreed_plan(
    user: Any,
    case: Case,
    kind: str,
    *,
    interaction: Interaction | None = None,
    confirmation: str = "",
    capacity: Decimal | None = None,
    payment_day: int | None = None,
    deferral_months: int | None = None,
    instalments: int | None = None,
    first_payment: Decimal | None = None,
    now: datetime | None = None,
) -> RepaymentPlan:
    """``agree_plan`` inside the caller's transaction."""
    policy = current_policy()
    with transaction.atomic():
        plan = offer_plan(
            user,
            case,
            kind,
            capacity=capacity,
            payment_day=payment_day,
            deferral_months=deferral_months,
            instalments=instalments,
            first_payment=first_payment,
            now=now,
            policy=policy,
        )
        return accept_plan(user, plan, interaction=interaction, confirmation=confirmation, now=now, policy=policy)


def cancel_plan(user: Any, plan: RepaymentPlan, reason: str) -> RepaymentPlan:
    require_negotiator(user, plan.case)
    if not reason.strip():
        raise ActionError([_("Say why the plan is cancelled.")])
    with transaction.atomic(durable=True):
        plan = RepaymentPlan.objects.select_for_update().get(pk=plan.pk)
        if plan.status not in OPEN_PLAN_STATUSES:
            raise ActionError([_("Only an open plan can be cancelled.")])
        before = plan.status
        plan.status = PlanStatus.CANCELLED
        plan.status_changed_at = clock.now()
        plan.save(update_fields=["status", "status_changed_at"])
        reject_pending_waivers(user, [plan.pk], _("plan cancelled"), plan.status_changed_at)
        record_change(user, plan, "plan:cancelled", {"status": before}, {"status": plan.status, "reason": reason})
    return plan


def replan(
    user: Any,
    plan: RepaymentPlan,
    months: int,
    *,
    interaction: Interaction | None = None,
    confirmation: str = "",
    now: datetime | None = None,
) -> RepaymentPlan:
    """Re-plan after a missed instalment (调整计划): the unpaid instalments move ``months`` later, the paid part
    carries over. The new plan keeps the old one's start, so every payment made under the old plan still counts
    towards it (the tracker reads payments from the start), its total is the old total, and it replaces the
    old plan in force (or broken) with its confirmation. The schedule comes from the plan designer's deferral
    (``kernel.plans.defer_schedule``) within the policy's longest deferral and plan; a re-plan is the deferral
    an agreed plan needed, so it is allowed even where the policy offers no deferral up front. The outermost
    transaction.
    """
    require_negotiator(user, plan.case)
    confirmation = confirmation.strip()
    if interaction is None and not confirmation:
        raise ActionError([_("Say where the debtor agreed: the call it was recorded in or a confirmation.")])
    policy = current_policy()
    now = now_or_current(now)
    with transaction.atomic(durable=True):
        plan = RepaymentPlan.objects.select_for_update().select_related("case").get(pk=plan.pk)
        if plan.status not in (PlanStatus.ACTIVE, PlanStatus.BROKEN):
            raise ActionError([_("Only a plan in force or a broken plan can be re-planned.")])
        items = list(plan.instalments.order_by("n"))
        unpaid = [i for i in items if i.status != InstalmentStatus.PAID]
        if not unpaid:
            raise ActionError([_("Every instalment of this plan is paid: there is nothing to re-plan.")])
        start = plan.accepted_on or local_today(plan.case, now)
        moved, errors = defer_schedule(
            [KernelInstalment(i.n, i.due_date, i.amount) for i in items],
            months,
            replace(policy.plan, deferral_allowed=True),
            start,
            plan.payment_day or unpaid[0].due_date.day,
            from_n=unpaid[0].n,
        )
        if moved is None:
            raise ActionError([plan_error_text(e) for e in errors])
        new = RepaymentPlan.objects.create(
            case=plan.case, kind=plan.kind, status=PlanStatus.ACTIVE, owed=plan.owed, total=plan.total,
            payment_day=plan.payment_day, summary=_("%(summary)s — re-planned: from instalment %(n)s, %(months)s "
                                                    "month(s) later") % {"summary": plan.summary[:380],
                                                                         "n": unpaid[0].n, "months": months},
            accepted_in=interaction, confirmation=confirmation[:200], accepted_on=start, created_by=user,
            status_changed_at=now,
        )  # fmt: skip
        Instalment.objects.bulk_create(
            [Instalment(plan=new, n=i.n, due_date=i.due_date, amount=i.amount) for i in moved]
        )
        put_in_force(user, new, now)
        record_change(user, new, "plan:replanned", {"plan": plan.pk}, {"plan": new.pk, "from_n": unpaid[0].n,
                                                                       "months": months})  # fmt: skip
        settle_cases([plan.case_id], local_today(plan.case, now), policy)
    new.refresh_from_db()
    return new


def plan_suspends_collection(case: Case, as_of: date | None = None) -> bool:
    """True while the case has an active plan with no instalment overdue beyond the grace days.

    The compliance gate and the strategy ask this before any collection contact: a debtor who keeps
    to the plan is left in peace.
    """
    return case.pk in suspended_case_ids([case.pk], as_of)
