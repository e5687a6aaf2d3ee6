"""Read functions of payments that the apps above ask (the compliance gate, the strategy run).

They import only payments' own models and policy, so a reader never pulls in the posting machinery.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from django.utils import timezone

from huikuan.db.chunks import chunked
from huikuan.payments.models import Instalment, InstalmentStatus, PlanStatus, RepaymentPlan
from huikuan.payments.policy import current_policy


def suspended_case_ids(case_ids: Iterable[int], as_of: date | None = None) -> set[int]:
    """The cases among ``case_ids`` whose collection an honoured plan suspends (bulk, two queries)."""
    as_of = as_of or timezone.localdate()
    policy = current_policy()
    ids = sorted(set(case_ids))
    # Read from the schedule itself, not only from the nightly states, so a night without the job
    # cannot leave a late plan shielding the case.
    overdue_before = as_of - timedelta(days=policy.instalment_grace_days)
    result: set[int] = set()
    for chunk in chunked(ids):
        active = RepaymentPlan.objects.filter(case_id__in=chunk, status=PlanStatus.ACTIVE)
        late = set(
            Instalment.objects.filter(plan__in=active, due_date__lt=overdue_before)
            .exclude(status=InstalmentStatus.PAID)
            .values_list("plan__case_id", flat=True)
        )
        result |= set(active.values_list("case_id", flat=True)) - late
    return result
