"""What the QA pages and the team page read: the week's queue, weekly scores per collector, calibration."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q

from huikuan import clock
from huikuan.kernel.qa.calibration import Agreement, agreement
from huikuan.org.permissions import can_view_qa_register
from huikuan.org.visibility import case_filter
from huikuan.qa.actions import week_bounds, week_of
from huikuan.qa.models import CallTranscript, QaReview, QaSample
from huikuan.workbench.panels import TeamPanel

WEEKS_ON_TEAM_PAGE = 4


def week_queue(user: Any, week: date) -> list[QaSample]:
    return list(
        QaSample.objects.filter(case_filter(user, "transcript__interaction__case__"), week=week)
        .select_related("transcript__interaction", "collector")
        .annotate(reviews=Count("transcript__reviews"))
        .order_by("reason", "transcript_id")
    )


def unsampled(user: Any, week: date) -> int:
    """Transcripts of the week's calls not in the queue yet (the sample can be built again)."""
    start, end = week_bounds(week)
    return (
        CallTranscript.objects.filter(
            case_filter(user, "interaction__case__"), interaction__at__gte=start, interaction__at__lt=end
        )
        .filter(sample__isnull=True)
        .count()
    )


@dataclass(frozen=True)
class CollectorWeeks:
    collector: Any
    scores: tuple[Decimal | None, ...]  # mean reviewed score per week, oldest first
    counts: tuple[int, ...]


def weekly_scores(
    collectors: Sequence[Any], weeks: int = WEEKS_ON_TEAM_PAGE
) -> tuple[list[date], list[CollectorWeeks]]:
    """Each collector's mean QA score per week (the week of the call) over the last ``weeks`` weeks."""
    this_week = week_of(clock.today())
    mondays = [this_week - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]
    start, _ = week_bounds(mondays[0])
    totals: dict[tuple[int, date], list[Decimal]] = defaultdict(list)  # (collector, Monday) -> totals
    ids = [c.pk for c in collectors]
    reviews = QaReview.objects.filter(
        transcript__interaction__user_id__in=ids, transcript__interaction__at__gte=start
    ).values_list("transcript__interaction__user_id", "transcript__interaction__at", "total")
    for user_id, at, total in reviews:
        monday = next((m for m in reversed(mondays) if week_bounds(m)[0] <= at), mondays[0])
        totals[(user_id, monday)].append(total)
    rows = []
    for collector in collectors:
        scores, counts = [], []
        for monday in mondays:
            found = totals.get((collector.pk, monday), [])
            counts.append(len(found))
            mean = sum(found, Decimal(0)) / len(found) if found else None
            scores.append(mean.quantize(Decimal("0.1")) if mean is not None else None)
        rows.append(CollectorWeeks(collector, tuple(scores), tuple(counts)))
    return mondays, rows


def team_scores_panel(user: Any, collectors: Sequence[Any]) -> TeamPanel | None:
    if not can_view_qa_register(user):
        return None
    mondays, rows = weekly_scores(collectors)
    return TeamPanel("qa/_team_scores.html", {"weeks": mondays, "rows": rows})


def calibration(transcript: CallTranscript) -> tuple[list[QaReview], Agreement | None]:
    """The reviews of a call and, with two or more, the agreement of the first two scorers."""
    reviews = list(transcript.reviews.select_related("scorer"))
    if len(reviews) < 2:
        return reviews, None
    a, b = reviews[0], reviews[1]
    verdicts_a = {str(i["id"]): i["passed"] for i in a.items}
    verdicts_b = {str(i["id"]): i["passed"] for i in b.items}
    return reviews, agreement(verdicts_a, verdicts_b, a.total, b.total)


def calibrated_calls(user: Any, limit: int = 20) -> list[tuple[CallTranscript, Agreement]]:
    """Recent calls scored by two scorers, with their agreement (the queue page's calibration table)."""
    found = (
        CallTranscript.objects.filter(case_filter(user, "interaction__case__"))
        .annotate(n=Count("reviews"))
        .filter(Q(n__gte=2))
        .order_by("-created_at")[:limit]
    )
    result: list[tuple[CallTranscript, Agreement]] = []
    for transcript in found:
        _reviews, agreed = calibration(transcript)
        if agreed is not None:
            result.append((transcript, agreed))
    return result
