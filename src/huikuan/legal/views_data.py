"""Read models of the legal pages: the queue's three lists and one legal case's page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from huikuan import clock
from huikuan.cases.models import Case, CaseStatus
from huikuan.kernel.strategy.queue import LEGAL_REVIEW
from huikuan.legal.models import OPEN_STAGES, LegalCase
from huikuan.org.visibility import case_filter
from huikuan.strategy.models import WorkItem, WorkStatus

QUEUE_ROWS = 100


@dataclass
class LegalQueue:
    reviews: list[WorkItem]  # the nightly legal reviews still open (highest priority first, first QUEUE_ROWS)
    reviews_total: int
    open_cases: list[LegalCase]
    referred: list[Case]  # in legal status without an open legal case (referred from a legal review's decision)


def legal_reviews(user: Any) -> QuerySet[WorkItem]:
    """Open legal reviews of the latest planned day the user may see, the user's own first."""
    visible = Case.objects.filter(case_filter(user)).values("pk")
    items = WorkItem.objects.filter(action=LEGAL_REVIEW, status=WorkStatus.PENDING, case_id__in=visible)
    latest = items.order_by("-as_of").values_list("as_of", flat=True).first()
    return items.filter(as_of=latest or clock.today()).select_related("case__debtor", "assignee")


def legal_queue(user: Any) -> LegalQueue:
    reviews = legal_reviews(user)
    mine = [*reviews.filter(assignee_id=user.pk).order_by("-priority", "case_id")[:QUEUE_ROWS]]
    others = reviews.exclude(assignee_id=user.pk).order_by("-priority", "case_id")[: max(QUEUE_ROWS - len(mine), 0)]
    open_cases = (
        LegalCase.objects.filter(case__in=Case.objects.filter(case_filter(user)), stage__in=OPEN_STAGES)
        .select_related("case__debtor")
        .order_by("next_hearing", "-opened_at")
    )
    with_file = LegalCase.objects.filter(stage__in=OPEN_STAGES).values("case_id")
    referred = (
        Case.objects.filter(case_filter(user), status=CaseStatus.LEGAL)
        .exclude(pk__in=with_file)
        .select_related("debtor")
        .order_by("pk")[:QUEUE_ROWS]
    )
    return LegalQueue([*mine, *others], reviews.count(), list(open_cases[:QUEUE_ROWS]), list(referred))
