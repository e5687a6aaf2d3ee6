"""Use cases for plans, promises, payments and waivers; the web pages, the API and the CLI call these.

Each action checks who may do it (role and case visibility), runs in one transaction, asks the kernel
for every number and leaves an audit record for every money change.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from huikuan.audit.models import ChangeLog
from huikuan.audit.records import change_record, record_change
from huikuan.cases.models import Case, Channel, Interaction, Promise, PromiseState
from huikuan.kernel import promises as kernel_promises
from huikuan.kernel.ledger import Balance
from huikuan.kernel.money import ZERO, quantize_fen
from huikuan.kernel.plans import (
    PlanOption,
    PlanOptions,
    design_options,
    propose_deferral,
    summary,
)
from huikuan.kernel.plans.policy import CaseWaivers
from huikuan.org.models import Role
from huikuan.org.visibility import can_view_case
from huikuan.payments.models import (
    OPEN_PLAN_STATUSES,
    Instalment,
    InstalmentStatus,
    MessageKind,
    Payment,
    PaymentSource,
    PaymentStatus,
    PendingMessage,
    PlanStatus,
    RepaymentPlan,
    WaiverRequest,
    WaiverStatus,
)
from huikuan.payments.policy import PaymentsPolicy, current_policy
from huikuan.payments.posting import (
    KeyConflict,
    PaymentIntent,
    PaymentRejected,
    post_payments,
    reverse_posted,
    same_payment,
    write_waiver,
)
from huikuan.payments.settlement import settle_cases
from huikuan.portfolio.models import Account, AccountBalance

# Who negotiates with debtors: offers plans, records promises, asks for waivers.
NEGOTIATING_ROLES = frozenset({Role.COLLECTOR, Role.TEAM_LEAD, Role.LEGAL, Role.ADMIN})


class ActionError(ValueError):
    """The request breaks a business rule; the messages say which, in the user's language."""

    def __init__(self, messages: Iterable[str]) -> None:
        self.messages = list(messages)
        super().__init__("; ".join(self.messages))


def role_of(user: Any) -> str:
    if getattr(user, "is_superuser", False):
        return Role.ADMIN.value
    return str(getattr(user, "role", ""))


def _require_case(user: Any, case: Case) -> None:
    if not getattr(user, "is_authenticated", False) or not can_view_case(user, case):
        raise PermissionDenied(_("This case is not yours to see."))


def _require_negotiator(user: Any, case: Case) -> None:
    _require_case(user, case)
    if role_of(user) not in NEGOTIATING_ROLES:
        raise PermissionDenied(_("Your role may not negotiate with debtors."))


def _require_poster(user: Any, case: Case, policy: PaymentsPolicy) -> None:
    _require_case(user, case)
    if role_of(user) not in policy.posting_roles:
        raise PermissionDenied(_("Your role may not post or reverse payments."))


def case_balances(case: Case) -> list[Balance]:
    return [b.as_kernel() for b in AccountBalance.objects.filter(account__debtor_id=case.debtor_id)]


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _local_today(case: Case, now: datetime) -> date:
    from zoneinfo import ZoneInfo

    return now.astimezone(ZoneInfo(case.debtor.time_zone or "Asia/Shanghai")).date()


# ---------------------------------------------------------------------------------------------- plans


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
    now: datetime | None = None,
    policy: PaymentsPolicy | None = None,
) -> ProposedOptions:
    """The three options (and a deferral where the policy allows it) for this case, for this user's role."""
    _require_negotiator(user, case)
    policy = policy or current_policy()
    now = _now(now)
    balances = case_balances(case)
    options, errors = design_options(
        balances,
        policy.plan,
        role_of(user),
        now,
        capacity=capacity,
        payment_day=payment_day,
        time_zone=case.debtor.time_zone,
    )
    if options is None:
        raise ActionError(e.message for e in errors)
    deferral = None
    if policy.plan.deferral_allowed:
        deferral, _errors = propose_deferral(
            balances,
            policy.plan,
            _local_today(case, now),
            deferral_months or policy.plan.max_deferral_months,
            payment_day=payment_day,
        )
    return ProposedOptions(options, deferral)


def offer_plan(
    user: Any,
    case: Case,
    kind: str,
    *,
    capacity: Decimal | None = None,
    payment_day: int | None = None,
    deferral_months: int | None = None,
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
            created_by=user,
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
    _require_negotiator(user, case)
    confirmation = confirmation.strip()
    if interaction is None and not confirmation:
        raise ActionError([_("Say where the debtor agreed: the call it was recorded in or a confirmation.")])
    if interaction is not None and interaction.case_id != case.pk:
        raise ActionError([_("That interaction belongs to another case.")])
    now = _now(now)
    today = _local_today(case, now)
    with transaction.atomic():
        # The debtor's balances before the plan, the order posting takes them in (a payment locks the
        # balances, then settles the case's plans): otherwise an acceptance and a payment on one case
        # could each hold what the other waits for.
        _locked_waivable(case)
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
        _supersede_plans(user, case, plan, now)
        plan.accepted_in = interaction
        plan.confirmation = confirmation[:200]
        plan.accepted_on = today
        plan.status = PlanStatus.ACTIVE
        if plan.waiver_total > 0:
            request = _new_waiver(user, case, plan.waiver_penalty, plan.waiver_fee, plan.summary[:300], plan)
            if request.status == WaiverStatus.PENDING:
                plan.status = PlanStatus.ACCEPTED
            else:
                write_waiver(request, user=user, policy=policy, today=today)
        plan.status_changed_at = now
        plan.save()
        record_change(
            user,
            plan,
            "plan:accepted",
            {"status": PlanStatus.PROPOSED},
            {"status": plan.status, "evidence": interaction.pk if interaction else confirmation},
        )
        PendingMessage.objects.get_or_create(
            cause=f"plan:{plan.pk}:accepted",
            defaults={
                "kind": MessageKind.PLAN_CONFIRMATION,
                "debtor_id": case.debtor_id,
                "body": plan.summary,
            },
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
    now: datetime | None = None,
) -> RepaymentPlan:
    """Offer and accept in one step, as the collector does at the end of the call."""
    policy = current_policy()
    with transaction.atomic():
        plan = offer_plan(
            user,
            case,
            kind,
            capacity=capacity,
            payment_day=payment_day,
            deferral_months=deferral_months,
            now=now,
            policy=policy,
        )
        return accept_plan(user, plan, interaction=interaction, confirmation=confirmation, now=now, policy=policy)


def cancel_plan(user: Any, plan: RepaymentPlan, reason: str) -> RepaymentPlan:
    _require_negotiator(user, plan.case)
    if not reason.strip():
        raise ActionError([_("Say why the plan is cancelled.")])
    with transaction.atomic():
        plan = RepaymentPlan.objects.select_for_update().get(pk=plan.pk)
        if plan.status not in OPEN_PLAN_STATUSES:
            raise ActionError([_("Only an open plan can be cancelled.")])
        before = plan.status
        plan.status = PlanStatus.CANCELLED
        plan.status_changed_at = timezone.now()
        plan.save(update_fields=["status", "status_changed_at"])
        _reject_pending_waivers(user, [plan.pk], _("plan cancelled"), plan.status_changed_at)
        record_change(user, plan, "plan:cancelled", {"status": before}, {"status": plan.status, "reason": reason})
    return plan


def _supersede_plans(user: Any, case: Case, kept: RepaymentPlan, now: datetime) -> None:
    """The debtor agreed to ``kept``: every other open (or broken) plan of the case is cancelled."""
    superseded = list(
        RepaymentPlan.objects.select_for_update()
        .filter(case=case, status__in=[*OPEN_PLAN_STATUSES, PlanStatus.BROKEN])
        .exclude(pk=kept.pk)
        .order_by("pk")
    )
    if not superseded:
        return
    audit = []
    for old in superseded:
        audit.append(
            change_record(
                user,
                old,
                "plan:cancelled",
                {"status": old.status},
                {"status": PlanStatus.CANCELLED, "replaced_by": kept.pk},
            )
        )
        old.status = PlanStatus.CANCELLED
        old.status_changed_at = now
    RepaymentPlan.objects.bulk_update(superseded, ["status", "status_changed_at"])
    ChangeLog.objects.bulk_create(audit)
    # A waiver still waiting for a lead was part of the replaced offer; approving it later would write
    # off money for an agreement the debtor no longer has.
    _reject_pending_waivers(user, [p.pk for p in superseded], _("plan replaced by another"), now)


def _reject_pending_waivers(user: Any, plan_ids: list[int], reason: str, now: datetime) -> None:
    pending = list(
        WaiverRequest.objects.select_for_update()
        .filter(plan_id__in=plan_ids, status=WaiverStatus.PENDING)
        .order_by("pk")
    )
    for request in pending:
        request.status = WaiverStatus.REJECTED
        request.decision_reason = reason[:300]
        request.decided_at = now
    WaiverRequest.objects.bulk_update(pending, ["status", "decision_reason", "decided_at"])
    ChangeLog.objects.bulk_create(
        [
            change_record(
                user,
                request,
                "waiver:rejected",
                {"status": WaiverStatus.PENDING},
                {"status": WaiverStatus.REJECTED, "reason": request.decision_reason},
            )
            for request in pending
        ]
    )


def plan_suspends_collection(case: Case, as_of: date | None = None) -> bool:
    """True while the case has an active plan with no instalment overdue beyond the grace days.

    The compliance gate and the strategy ask this before any collection contact: a debtor who keeps
    to the plan is left in peace.
    """
    return case.pk in suspended_case_ids([case.pk], as_of)


def suspended_case_ids(case_ids: Iterable[int], as_of: date | None = None) -> set[int]:
    """The cases among ``case_ids`` whose collection an honoured plan suspends (bulk, two queries)."""
    as_of = as_of or timezone.localdate()
    policy = current_policy()
    ids = sorted(set(case_ids))
    # Read from the schedule itself, not only from the nightly states, so a night without the job
    # cannot leave a late plan shielding the case.
    overdue_before = as_of - timedelta(days=policy.instalment_grace_days)
    result: set[int] = set()
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        active = RepaymentPlan.objects.filter(case_id__in=chunk, status=PlanStatus.ACTIVE)
        late = set(
            Instalment.objects.filter(plan__in=active, due_date__lt=overdue_before)
            .exclude(status=InstalmentStatus.PAID)
            .values_list("plan__case_id", flat=True)
        )
        result |= set(active.values_list("case_id", flat=True)) - late
    return result


# ------------------------------------------------------------------------------------------- promises


def record_promise(
    user: Any,
    case: Case,
    amount: Decimal,
    due_date: date,
    *,
    channel: str = Channel.CALL,
    interaction: Interaction | None = None,
    now: datetime | None = None,
) -> Promise:
    _require_negotiator(user, case)
    now = _now(now)
    today = _local_today(case, now)
    candidate = kernel_promises.Promise(quantize_fen(amount), due_date, today, channel)
    errors = [e.message for e in kernel_promises.check_promise(candidate)]
    if amount != quantize_fen(amount):
        errors.append(_("The amount must be to the fen."))
    if channel not in Channel.values:
        errors.append(_("Unknown channel %(channel)s.") % {"channel": channel})
    if interaction is not None and interaction.case_id != case.pk:
        errors.append(_("That interaction belongs to another case."))
    if errors:
        raise ActionError(errors)
    with transaction.atomic():
        # One open promise per case: two overlapping promises would count the same money twice. The
        # case row is the lock: with no pending promise a lock on promises locks nothing, and two
        # callers would both find none and both insert.
        Case.objects.select_for_update().filter(pk=case.pk).values_list("pk", flat=True).get()
        if Promise.objects.filter(case=case, state=PromiseState.PENDING).exists():
            raise ActionError([_("The case already has a pending promise; it must be settled first.")])
        promise = Promise.objects.create(
            case=case,
            amount=amount,
            due_date=due_date,
            channel=channel,
            interaction=interaction,
            created_by=user,
            created_at=now,
        )
        record_change(
            user, promise, "promise:recorded", None, {"amount": str(amount), "due_date": due_date.isoformat()}
        )
    return promise


def promise_record(case_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """Promises per state for each case: the behaviour input of the strategy (broken promises count)."""
    ids = sorted(set(case_ids))
    result: dict[int, dict[str, int]] = {i: {s.value: 0 for s in PromiseState} for i in ids}
    for start in range(0, len(ids), 5000):
        rows = (
            Promise.objects.filter(case_id__in=ids[start : start + 5000])
            .values("case_id", "state")
            .annotate(n=Count("id"))
        )
        for row in rows:
            result[row["case_id"]][row["state"]] = row["n"]
    return result


# ------------------------------------------------------------------------------------------- payments


def post_payment(
    user: Any,
    case: Case,
    amount: Decimal,
    paid_on: date,
    idempotency_key: str,
    *,
    source: str = PaymentSource.MANUAL,
    reference: str = "",
    account: Account | None = None,
    today: date | None = None,
    now: datetime | None = None,
) -> tuple[Payment, bool]:
    """Post one payment; the same key again returns the first payment and changes nothing.

    Returns the payment and whether this call created it. "Today" is the debtor's: a payment made just
    after midnight in Tokyo is dated a day the server's zone has not reached yet, and is not in the future.
    """
    policy = current_policy()
    _require_poster(user, case, policy)
    today = today or _local_today(case, _now(now))
    key = idempotency_key.strip()
    errors = []
    if not key:
        errors.append(_("A payment needs an idempotency key."))
    if len(key) > 120:
        errors.append(_("The idempotency key is longer than 120 characters."))
    if amount <= 0 or amount != quantize_fen(amount):
        errors.append(_("The amount must be positive and to the fen."))
    if paid_on > today:
        errors.append(_("A payment cannot be dated in the future."))
    if account is not None and account.debtor_id != case.debtor_id:
        errors.append(_("That account is not the debtor's."))
    if errors:
        raise ActionError(errors)
    intent = PaymentIntent(
        key=key,
        debtor_id=case.debtor_id,
        amount=amount,
        paid_on=paid_on,
        source=source,
        reference=reference[:120],
        first_account_id=account.pk if account else None,
    )
    try:
        with transaction.atomic():
            result = post_payments([intent], user=user, policy=policy, today=today)
            if key in result.created:
                settle_cases(result.case_ids, today, policy)
    except IntegrityError:
        # Another connection inserted the same key between our look-up and our insert (the balance
        # lock does not cover a replay aimed at a different debtor): the key is taken, so it is a replay.
        existing = Payment.objects.get(idempotency_key=key)
        if not same_payment(existing, intent):
            raise KeyConflict(key, existing) from None
        return existing, False
    except PaymentRejected as exc:
        raise ActionError(exc.messages) from exc
    return Payment.objects.get(pk=result.ids[key]), key in result.created


def reverse_payment(user: Any, payment: Payment, reason: str, *, today: date | None = None) -> Payment:
    """A bounced payment: its entries are undone exactly, the case, promises and plans fall back."""
    policy = current_policy()
    if payment.case is None:
        raise ActionError([_("The payment has no case.")])
    _require_poster(user, payment.case, policy)
    if not reason.strip():
        raise ActionError([_("Say why the payment is reversed.")])
    today = today or timezone.localdate()
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.status == PaymentStatus.REVERSED:
            return payment
        try:
            reverse_posted(payment, user=user, reason=reason.strip(), today=today)
        except PaymentRejected as exc:
            raise ActionError(exc.messages) from exc
        settle_cases([payment.case_id] if payment.case_id else [], today, policy)
    payment.refresh_from_db()
    return payment


# -------------------------------------------------------------------------------------------- waivers


def _case_waivers(case: Case, *, lock: bool, exclude: int | None = None) -> CaseWaivers:
    """The case's waiver standing; with ``lock``, the debtor's balances and then the case row are locked
    (the order posting takes them), so no other waiver or payment moves these numbers until commit."""
    if lock:
        outstanding = _locked_waivable(case)
        episode = Case.objects.select_for_update().values_list("cured_episodes", flat=True).get(pk=case.pk)
    else:
        outstanding = sum((b.penalty + b.fee for b in case_balances(case)), ZERO)
        episode = Case.objects.values_list("cured_episodes", flat=True).get(pk=case.pk)
    written = pending = ZERO
    requests = WaiverRequest.objects.filter(
        Q(episode=episode) | Q(episode__isnull=True),
        case=case,
        status__in=[WaiverStatus.APPROVED, WaiverStatus.PENDING],
    )
    if exclude is not None:
        requests = requests.exclude(pk=exclude)
    for status, penalty, fee in requests.values_list("status", "penalty", "fee"):
        if status == WaiverStatus.APPROVED:
            written += penalty + fee
        else:
            pending += penalty + fee
    return CaseWaivers(episode, outstanding, written, pending)


def waiver_authority(user: Any, case: Case, policy: PaymentsPolicy | None = None) -> Decimal:
    """The most this user may still waive on this case without anyone's approval.

    What the role's authority allows for the delinquency, less the waivers already written or waiting.
    """
    policy = policy or current_policy()
    return _case_waivers(case, lock=False).left(policy.plan.authority(role_of(user)))


def _new_waiver(
    user: Any, case: Case, penalty: Decimal, fee: Decimal, reason: str, plan: RepaymentPlan | None
) -> WaiverRequest:
    standing = _case_waivers(case, lock=True)
    # Pending requests count too: each one might still be approved, and together with this one they
    # would then be more than the requester could have granted.
    within = penalty + fee <= standing.left(current_policy().plan.authority(role_of(user)))
    request = WaiverRequest.objects.create(
        case=case,
        plan=plan,
        episode=standing.episode,
        penalty=penalty,
        fee=fee,
        reason=reason,
        requested_by=user,
        status=WaiverStatus.APPROVED if within else WaiverStatus.PENDING,
        decided_by=user if within else None,
        decided_at=timezone.now() if within else None,
        decision_reason=_("within the requester's authority") if within else "",
    )
    record_change(user, request, "waiver:requested", None, {"amount": str(request.amount), "status": request.status})
    return request


def request_waiver(
    user: Any,
    case: Case,
    *,
    penalty: Decimal = ZERO,
    fee: Decimal = ZERO,
    reason: str,
    today: date | None = None,
) -> WaiverRequest:
    """Waive penalties and fees: applied at once within the user's authority, else sent to the team lead."""
    policy = current_policy()
    _require_negotiator(user, case)
    errors = []
    if not reason.strip():
        errors.append(_("Say why the waiver is asked for."))
    if penalty < 0 or fee < 0 or penalty + fee <= 0:
        errors.append(_("A waiver must waive a positive amount."))
    if penalty != quantize_fen(penalty) or fee != quantize_fen(fee):
        errors.append(_("Amounts must be to the fen."))
    balances = case_balances(case)
    if penalty > sum((b.penalty for b in balances), ZERO) or fee > sum((b.fee for b in balances), ZERO):
        errors.append(_("A waiver cannot exceed the penalties and fees owed."))
    if errors:
        raise ActionError(errors)
    today = today or timezone.localdate()
    with transaction.atomic():
        request = _new_waiver(user, case, penalty, fee, reason.strip(), None)
        if request.status == WaiverStatus.APPROVED:
            write_waiver(request, user=user, policy=policy, today=today)
    return request


def can_decide_waiver(user: Any, request: WaiverRequest) -> bool:
    """A team lead of the case's team, or an administrator, decides; nobody on their own request.

    Whether a lead may *approve* also depends on the amount (``_decide``); rejecting never does.
    """
    if not getattr(user, "is_authenticated", False) or user.pk == request.requested_by_id:
        return False
    role = role_of(user)
    if role == Role.ADMIN:
        return True
    return role == Role.TEAM_LEAD and user.team_id is not None and user.team_id == request.case.team_id


def _locked_waivable(case: Case) -> Decimal:
    """Penalties and fees outstanding, read with the debtor's balance rows locked.

    Locked in account order, as posting locks them, so a decision and a payment queue instead of
    deadlocking, and the amount cannot shrink between this check and the write.
    """
    rows = (
        AccountBalance.objects.select_for_update(of=("self",))
        .filter(account__debtor_id=case.debtor_id)
        .order_by("account_id")
        .values_list("penalty", "fee")
    )
    return sum((penalty + fee for penalty, fee in rows), ZERO)


def _decide(user: Any, request: WaiverRequest, reason: str, approve: bool, today: date | None) -> WaiverRequest:
    if not can_decide_waiver(user, request):
        raise PermissionDenied(_("Only a team lead of the case's team or an administrator may decide this waiver."))
    if not reason.strip():
        raise ActionError([_("Give the reason for the decision.")])
    policy = current_policy()
    today = today or timezone.localdate()
    with transaction.atomic():
        # The balances, the plan, then the request: the order posting, accept_plan and cancel_plan take them in.
        _locked_waivable(Case.objects.get(pk=request.case_id))
        plan = RepaymentPlan.objects.select_for_update().get(pk=request.plan_id) if request.plan_id else None
        request = WaiverRequest.objects.select_for_update().select_related("case").get(pk=request.pk)
        if request.status != WaiverStatus.PENDING:
            raise ActionError([_("This waiver was already decided.")])
        if approve and plan is not None and plan.status != PlanStatus.ACCEPTED:
            # The waiver was the condition of that agreement; once the plan is replaced or cancelled
            # there is nothing left to write it off for.
            raise ActionError(
                [
                    _("This waiver belongs to a plan that is now %(status)s; it can only be rejected.")
                    % {"status": plan.get_status_display()}
                ]
            )
        if approve and role_of(user) != Role.ADMIN:
            # An administrator is the top of the chain; anyone else approves only what they could have
            # waived themselves: the case's written waivers and this one within their authority.
            # Other pending requests are not counted: each is checked the same way when approved.
            standing = _case_waivers(request.case, lock=True, exclude=request.pk)
            limit = standing.left(policy.plan.authority(role_of(user)), count_pending=False)
            if request.amount > limit:
                raise ActionError(
                    [
                        _(
                            "This waiver of %(amount)s is beyond your authority of %(limit)s on this case; "
                            "an administrator must approve it."
                        )
                        % {"amount": request.amount, "limit": limit}
                    ]
                )
        request.status = WaiverStatus.APPROVED if approve else WaiverStatus.REJECTED
        request.decided_by = user
        request.decided_at = timezone.now()
        request.decision_reason = reason.strip()[:300]
        request.save()
        record_change(
            user,
            request,
            f"waiver:{request.status}",
            {"status": WaiverStatus.PENDING},
            {"status": request.status, "reason": request.decision_reason},
        )
        if approve:
            try:
                write_waiver(request, user=user, policy=policy, today=today)
            except PaymentRejected as exc:
                raise ActionError(exc.messages) from exc
        if plan is not None and plan.status == PlanStatus.ACCEPTED:
            before = plan.status
            plan.status = PlanStatus.ACTIVE if approve else PlanStatus.CANCELLED
            plan.status_changed_at = timezone.now()
            plan.save(update_fields=["status", "status_changed_at"])
            record_change(user, plan, f"plan:{plan.status}", {"status": before}, {"status": plan.status})
        settle_cases([request.case_id], today, policy)
    return request


def approve_waiver(user: Any, request: WaiverRequest, reason: str, *, today: date | None = None) -> WaiverRequest:
    return _decide(user, request, reason, True, today)


def reject_waiver(user: Any, request: WaiverRequest, reason: str, *, today: date | None = None) -> WaiverRequest:
    return _decide(user, request, reason, False, today)


def waivers_awaiting(user: Any) -> QuerySet[WaiverRequest]:
    """The pending requests this team lead or administrator may decide (the approval list)."""
    role = role_of(user)
    pending = WaiverRequest.objects.filter(status=WaiverStatus.PENDING)
    if role == Role.TEAM_LEAD and getattr(user, "team_id", None) is not None:
        pending = pending.filter(case__team_id=user.team_id)
    elif role != Role.ADMIN:
        return WaiverRequest.objects.none()
    return (
        pending.exclude(requested_by=user)
        .select_related("case", "case__debtor", "requested_by", "plan")
        .order_by("requested_at")
    )
