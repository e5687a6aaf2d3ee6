"""Use cases of waivers (减免): requesting within the plan, deciding within one's authority, the queue to decide.

``request_waiver``, ``approve_waiver`` and ``reject_waiver`` are entry points, the outermost transaction
(durable); ``new_waiver`` is the building block that accepting a plan with a waiver calls in its transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from huikuan import clock
from huikuan.audit.models import ChangeLog
from huikuan.audit.records import change_record, record_change
from huikuan.cases.models import Case
from huikuan.kernel.ledger import Balance
from huikuan.kernel.money import ZERO, quantize_fen
from huikuan.kernel.plans.policy import CaseWaivers
from huikuan.notifications.actions import Notice, notify
from huikuan.notifications.models import NoticeKind
from huikuan.org.models import Role
from huikuan.org.permissions import can_decide_waivers, has_role, role_of, staff_user
from huikuan.payments.arrangement import put_in_force
from huikuan.payments.guards import ActionError, case_balances, local_today, now_or_current, require_negotiator
from huikuan.payments.models import (
    PlanStatus,
    RepaymentPlan,
    WaiverRequest,
    WaiverStatus,
)
from huikuan.payments.policy import PaymentsPolicy, current_policy
from huikuan.payments.posting import (
    PaymentRejected,
    write_waiver,
)
from huikuan.payments.settlement import settle_cases
from huikuan.portfolio.ledger import lock_balances
from huikuan.portfolio.models import AccountBalance


def _case_waivers(case: Case, *, lock: bool, exclude: int | None = None) -> CaseWaivers:
    """The case's waiver standing; with ``lock``, the debtor's balances and then the case row are locked
    (the order posting takes them), so no other waiver or payment moves these numbers until commit."""
    return waiver_standings([case.pk], lock=lock, exclude=exclude)[case.pk]


def waiver_standings(case_ids: Collection[int], *, lock: bool, exclude: int | None = None) -> dict[int, CaseWaivers]:
    """Each case's waiver standing in its current delinquency, for many cases in a few queries (an import
    asks for thousands); with ``lock``, as ``_case_waivers``: the debtors' balance rows in account order,
    then the case rows."""
    ids = sorted(set(case_ids))
    case_of = dict(Case.objects.filter(pk__in=ids).values_list("debtor_id", "id"))
    outstanding: dict[int, Decimal] = defaultdict(lambda: ZERO)
    if lock:
        locked = lock_balances(debtor_ids=case_of)
        for debtor_id, accounts in locked.by_debtor.items():
            outstanding[case_of[debtor_id]] += sum((_waivable(locked.balances[a]) for a in accounts), ZERO)
    else:
        balances = AccountBalance.objects.filter(account__debtor_id__in=list(case_of))
        for debtor_id, penalty, fee in balances.values_list("account__debtor_id", "penalty", "fee"):
            outstanding[case_of[debtor_id]] += penalty + fee
    cases = Case.objects.filter(pk__in=ids)
    if lock:
        cases = cases.select_for_update().order_by("pk")
    episodes = dict(cases.values_list("id", "cured_episodes"))
    written: dict[int, Decimal] = defaultdict(lambda: ZERO)
    pending: dict[int, Decimal] = defaultdict(lambda: ZERO)
    requests = WaiverRequest.objects.filter(case_id__in=ids, status__in=[WaiverStatus.APPROVED, WaiverStatus.PENDING])
    if exclude is not None:
        requests = requests.exclude(pk=exclude)
    for case_id, episode, status, penalty, fee in requests.values_list(
        "case_id", "episode", "status", "penalty", "fee"
    ):
        if episode is not None and episode != episodes[case_id]:
            continue  # an earlier delinquency's waivers: that allowance was used up then
        into = written if status == WaiverStatus.APPROVED else pending
        into[case_id] += penalty + fee
    return {
        case_id: CaseWaivers(episode, outstanding[case_id], written[case_id], pending[case_id])
        for case_id, episode in episodes.items()
    }


def waiver_authority(user: Any, case: Case, policy: PaymentsPolicy | None = None) -> Decimal:
    """The most this user may still waive on this case without anyone's approval.

    What the role's authority allows for the delinquency, less the waivers already written or waiting.
    """
    policy = policy or current_policy()
    return _case_waivers(case, lock=False).left(policy.plan.authority(role_of(user)))


def imported_waiver_room(user: Any, case_ids: Collection[int]) -> dict[int, tuple[CaseWaivers, Decimal]]:
    """Each case's waiver standing and what ``user`` may still waive on it, for an import that lowers
    penalties and fees; locked until the import commits, so that no waiver decided meanwhile adds to
    what the file waives. The same figure ``waiver_authority`` gives the screens."""
    authority = current_policy().plan.authority(role_of(user))
    return {case_id: (s, s.left(authority)) for case_id, s in waiver_standings(case_ids, lock=True).items()}


def record_imported_waivers(
    user: Any, waived: Mapping[int, tuple[Decimal, Decimal]], standings: Mapping[int, CaseWaivers], reason: str
) -> None:
    """Penalties and fees an import lowered within the importer's authority, as the waivers they are:
    approved by the importer, in the case's current delinquency. The ledger's entry for them is the
    import's adjustment; the request makes them count against the authority, so that importing the
    same allowance again, or waiving it again on the screen, finds it used.

    ``waived``: case id → (penalty, fee) lowered.
    """
    now = clock.now()
    requests = WaiverRequest.objects.bulk_create(
        [
            WaiverRequest(
                case_id=case_id,
                episode=standings[case_id].episode,
                penalty=penalty,
                fee=fee,
                reason=reason[:300],
                requested_by=user,
                status=WaiverStatus.APPROVED,
                decided_by=user,
                decided_at=now,
                decision_reason=_("lowered by an account import within the importer's authority"),
            )
            for case_id, (penalty, fee) in sorted(waived.items())
        ]
    )
    ChangeLog.objects.bulk_create(
        [
            change_record(
                user, request, "waiver:imported", None, {"amount": str(request.amount), "status": request.status}
            )
            for request in requests
        ]
    )


def new_waiver(
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
        requested_by=staff_user(user),
        status=WaiverStatus.APPROVED if within else WaiverStatus.PENDING,
        decided_by=staff_user(user) if within else None,
        decided_at=clock.now() if within else None,
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
    now: datetime | None = None,
) -> WaiverRequest:
    """Waive penalties and fees: applied at once within the user's authority, else sent to the team lead.

    A waiver written at once is dated by the debtor's today.
    """
    policy = current_policy()
    require_negotiator(user, case)
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
    today = today or local_today(case, now_or_current(now))
    with transaction.atomic(durable=True):
        request = new_waiver(user, case, penalty, fee, reason.strip(), None)
        if request.status == WaiverStatus.APPROVED:
            write_waiver(request, user=user, policy=policy, today=today)
    return request


def may_decide(user: Any, request: WaiverRequest) -> bool:
    """A team lead of the case's team, or an administrator, decides; nobody on their own request.

    Whether a lead may *approve* also depends on the amount (``_decide``); rejecting never does.
    """
    if not can_decide_waivers(user) or user.pk == request.requested_by_id:
        return False
    return has_role(user, Role.ADMIN) or (user.team_id is not None and user.team_id == request.case.team_id)


def locked_waivable(case: Case) -> Decimal:
    """Penalties and fees outstanding, read with the debtor's balance rows locked.

    Locked in account order, as posting locks them, so a decision and a payment queue instead of
    deadlocking, and the amount cannot shrink between this check and the write.
    """
    locked = lock_balances(debtor_ids=[case.debtor_id])
    return sum((_waivable(balance) for balance in locked.balances.values()), ZERO)


def _waivable(balance: Balance) -> Decimal:
    return balance.penalty + balance.fee


def _decide(
    user: Any, request: WaiverRequest, reason: str, approve: bool, today: date | None, now: datetime | None
) -> WaiverRequest:
    if not may_decide(user, request):
        raise PermissionDenied(_("Only a team lead of the case's team or an administrator may decide this waiver."))
    if not reason.strip():
        raise ActionError([_("Give the reason for the decision.")])
    policy = current_policy()
    # The waiver is written, and the case settled, on the debtor's day, not the approver's.
    today = today or local_today(request.case, now_or_current(now))
    with transaction.atomic(durable=True):
        # The balances, the plan, then the request: the order posting, accept_plan and cancel_plan take them in.
        locked_waivable(Case.objects.get(pk=request.case_id))
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
        if approve and not has_role(user, Role.ADMIN):
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
        request.decided_at = clock.now()
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
        reverted = False
        if plan is not None and plan.status == PlanStatus.ACCEPTED:
            # Approved, the plan is in force and replaces what the debtor had agreed before. Rejected, the
            # condition of the agreement is gone: the plan is an offer again, and the arrangement in force
            # before it (an earlier plan, a promise) stays as it was until the collector changes it.
            before = plan.status
            plan.status = PlanStatus.ACTIVE if approve else PlanStatus.PROPOSED
            plan.status_changed_at = clock.now()
            plan.save(update_fields=["status", "status_changed_at"])
            record_change(
                user, plan, f"plan:{plan.status}", {"status": before},
                {"status": plan.status, "waiver": request.pk, "reason": request.decision_reason},
            )  # fmt: skip
            if approve:
                put_in_force(user, plan, plan.status_changed_at)
            reverted = not approve
        _tell_collectors(user, request, reverted)
        settle_cases([request.case_id], today, policy)
    return request


def _tell_collectors(user: Any, request: WaiverRequest, plan_reverted: bool) -> None:
    """The requester and the case's collector learn the decision (the decider knows it)."""
    approved = request.status == WaiverStatus.APPROVED
    params = {
        "amount": f"{request.amount:,.2f}",
        "by": str(user),
        "reason": request.decision_reason,
        "plan_reverted": plan_reverted,
    }
    readers = {request.requested_by_id, request.case.assignee_id} - {None, user.pk}
    notify(
        Notice(
            user_id=reader,
            kind=NoticeKind.WAIVER_APPROVED if approved else NoticeKind.WAIVER_REJECTED,
            key=f"waiver:{request.pk}:decided",
            case_id=request.case_id,
            params=params,
        )
        for reader in sorted(r for r in readers if r is not None)
    )


def approve_waiver(
    user: Any, request: WaiverRequest, reason: str, *, today: date | None = None, now: datetime | None = None
) -> WaiverRequest:
    return _decide(user, request, reason, True, today, now)


def reject_waiver(
    user: Any, request: WaiverRequest, reason: str, *, today: date | None = None, now: datetime | None = None
) -> WaiverRequest:
    return _decide(user, request, reason, False, today, now)


def waivers_awaiting(user: Any) -> QuerySet[WaiverRequest]:
    """The pending requests this team lead or administrator may decide (the approval list)."""
    pending = WaiverRequest.objects.filter(status=WaiverStatus.PENDING)
    if not can_decide_waivers(user):
        return WaiverRequest.objects.none()
    if not has_role(user, Role.ADMIN):
        if user.team_id is None:
            return WaiverRequest.objects.none()
        pending = pending.filter(case__team_id=user.team_id)
    return (
        pending.exclude(requested_by=user)
        .select_related("case", "case__debtor", "requested_by", "plan")
        .order_by("requested_at")
    )
