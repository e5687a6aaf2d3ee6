"""Where an agreed plan stands: which instalment is paid, late or missed, and whether the plan holds.

Payments fill the instalments in order (the oldest unpaid instalment first), the way a debtor and a
collector count them on the phone. Everything is recomputed from the schedule and the payments that
are still standing, never patched step by step, so a bounced payment that is reversed simply drops
out of the input and the plan falls back to the state the remaining money supports.

An instalment is *late* once its due date plus the grace days has passed without it being covered;
the plan is *broken* when an instalment was still not covered ``broken_after_days`` after its due
date — judged on the money that had arrived by then, so a payment made after the plan broke does not
quietly un-break it (paying the whole plan total still completes it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from huikuan.kernel.money import ZERO
from huikuan.kernel.plans.designer import Instalment


class InstalmentState(StrEnum):
    DUE = "due"
    PARTLY_PAID = "partly_paid"
    PAID = "paid"
    LATE = "late"
    MISSED = "missed"


class PlanProgress(StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    BROKEN = "broken"


@dataclass(frozen=True, slots=True)
class PlanPayment:
    paid_on: date
    amount: Decimal


@dataclass(frozen=True, slots=True)
class InstalmentStatus:
    n: int
    state: InstalmentState
    paid: Decimal
    # The day the cumulative money first covered the instalment, if it has.
    paid_on: date | None


@dataclass(frozen=True, slots=True)
class PlanStatus:
    progress: PlanProgress
    instalments: tuple[InstalmentStatus, ...]
    paid: Decimal

    @property
    def has_late(self) -> bool:
        return any(i.state in (InstalmentState.LATE, InstalmentState.MISSED) for i in self.instalments)


def _covered_by(payments: Sequence[PlanPayment], threshold: Decimal, until: date) -> date | None:
    """The day the running total first reached ``threshold`` counting payments up to ``until``."""
    running = ZERO
    for payment in payments:
        if payment.paid_on > until:
            break
        running += payment.amount
        if running >= threshold:
            return payment.paid_on
    return None


def track_plan(
    schedule: Sequence[Instalment],
    payments: Iterable[PlanPayment],
    as_of: date,
    *,
    grace_days: int,
    broken_after_days: int,
) -> PlanStatus:
    """The state of each instalment and of the plan at the end of ``as_of``.

    Only payments made on or before ``as_of`` count; the caller passes the payments made since the
    plan was agreed (money paid before it settled something else).
    """
    counted = sorted((p for p in payments if p.paid_on <= as_of), key=lambda p: p.paid_on)
    total_paid = sum((p.amount for p in counted), ZERO)
    statuses: list[InstalmentStatus] = []
    cumulative = ZERO
    broken = False
    for item in sorted(schedule, key=lambda i: i.n):
        before = cumulative
        cumulative += item.amount
        paid_here = min(max(total_paid - before, ZERO), item.amount)
        covered_on = _covered_by(counted, cumulative, as_of)
        late_from = item.due_date + timedelta(days=grace_days)
        break_day = item.due_date + timedelta(days=broken_after_days)
        # Judged only once the breaking day is behind us, on the money that had arrived by then.
        if as_of > break_day and _covered_by(counted, cumulative, break_day) is None:
            broken = True
        if paid_here >= item.amount:
            state = InstalmentState.PAID
        elif as_of > break_day:
            state = InstalmentState.MISSED
        elif as_of > late_from:
            state = InstalmentState.LATE
        elif paid_here > 0:
            state = InstalmentState.PARTLY_PAID
        else:
            state = InstalmentState.DUE
        statuses.append(InstalmentStatus(item.n, state, paid_here, covered_on))
    plan_total = sum((i.amount for i in schedule), ZERO)
    # Paying everything, even after the plan broke, is the outcome everyone wanted: it completes.
    if total_paid >= plan_total:
        progress = PlanProgress.COMPLETED
    elif broken:
        progress = PlanProgress.BROKEN
    else:
        progress = PlanProgress.ACTIVE
    return PlanStatus(progress, tuple(statuses), total_paid)
