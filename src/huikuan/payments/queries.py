"""Read functions of payments that the apps above ask (the compliance gate, the strategy run, the screens).

They import only payments' own models and policy and the visibility rule, so a reader never pulls in the
posting machinery.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import QuerySet

from huikuan import clock
from huikuan.db.chunks import chunked
from huikuan.kernel.localtime import possible_days
from huikuan.org.visibility import case_filter
from huikuan.payments.models import Instalment, InstalmentStatus, Payment, PlanStatus, RepaymentPlan
from huikuan.payments.policy import current_policy
from huikuan.portfolio.models import debtor_today


def suspended_case_ids(case_ids: Iterable[int], as_of: date | datetime | None = None) -> set[int]:
    """The cases among ``case_ids`` whose collection an honoured plan suspends (bulk, two queries).

    A plan stops shielding the case once an instalment is unpaid beyond its grace days, counted in the
    debtor's days: ``as_of`` is a day for every case, or an instant (by default now) read in each debtor's
    zone, so the gate asked just after midnight in Shanghai does not give a late plan another day.
    """
    as_of = as_of or clock.now()
    grace = timedelta(days=current_policy().instalment_grace_days)
    # The latest day it may be for any debtor: no instalment due after it, less the grace, can be late.
    latest = possible_days(as_of)[1] if isinstance(as_of, datetime) else as_of
    ids = sorted(set(case_ids))
    result: set[int] = set()
    for chunk in chunked(ids):
        active = RepaymentPlan.objects.filter(case_id__in=chunk, status=PlanStatus.ACTIVE)
        # Read from the schedule itself, not only from the nightly states, so a night without the job
        # cannot leave a late plan shielding the case.
        unpaid = (
            Instalment.objects.filter(plan__in=active, due_date__lt=latest - grace)
            .exclude(status=InstalmentStatus.PAID)
            .values_list("plan__case_id", "due_date", "plan__case__debtor__time_zone")
        )
        late = {
            case_id
            for case_id, due, zone in unpaid
            if due < (debtor_today(zone, as_of) if isinstance(as_of, datetime) else as_of) - grace
        }
        result |= set(active.values_list("case_id", flat=True)) - late
    return result


def recent_payments(user: Any, status: str = "") -> QuerySet[Payment]:
    """The payments of the cases this user sees, newest first: a lead's are the team's (org.visibility)."""
    payments = Payment.objects.filter(case_filter(user, "case__"), case__isnull=False)
    if status:
        payments = payments.filter(status=status)
    return payments.select_related("case", "debtor", "created_by", "reversed_by").order_by("-created_at", "-id")


def visible_payment(user: Any, payment_id: int) -> Payment | None:
    """One payment of a case this user sees, else None (answered like a missing one)."""
    return recent_payments(user).filter(pk=payment_id).first()
