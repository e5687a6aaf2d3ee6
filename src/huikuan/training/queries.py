"""What the training pages read: a collector's assigned items, the results of an assessment, the
leaderboard, and the team page's panel."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from huikuan.org.models import Role, Team, User
from huikuan.org.permissions import has_role
from huikuan.training.actions import can_assign, item_passed, sees_all_runs
from huikuan.training.models import Assessment, AssessmentItem, Assignment, TrainingRun
from huikuan.workbench.panels import TeamPanel


def _tenth(value: Any) -> Decimal | None:
    """A score as the pages show it: SQLite's MAX of a decimal comes back with float noise."""
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.1"))


def visible_runs(user: Any) -> QuerySet[TrainingRun]:
    """Runs the user may open: their own; a lead's team's; every run for QA and administrators."""
    runs = TrainingRun.objects.select_related("user", "scenario")
    if sees_all_runs(user):
        return runs
    if has_role(user, Role.TEAM_LEAD) and user.team_id is not None:
        return runs.filter(Q(user=user) | Q(user__team_id=user.team_id))
    return runs.filter(user=user)


def visible_assessments(user: Any) -> QuerySet[Assessment]:
    found = Assessment.objects.select_related("team", "created_by")
    if has_role(user, Role.ADMIN) or sees_all_runs(user):
        return found
    if has_role(user, Role.TEAM_LEAD):
        return found.filter(team_id=user.team_id)
    return found.filter(assignments__user=user).distinct()


@dataclass
class ItemStatus:
    item: AssessmentItem
    best: Decimal | None = None
    runs: int = 0
    passed: bool = False


@dataclass
class AssignmentStatus:
    assignment: Assignment
    items: list[ItemStatus] = field(default_factory=list)

    @property
    def open(self) -> bool:
        return self.assignment.passed_at is None and self.assignment.assessment.deadline > timezone.now()

    @property
    def expired(self) -> bool:
        return self.assignment.passed_at is None and self.assignment.assessment.deadline <= timezone.now()


def _statuses(assignments: Sequence[Assignment]) -> list[AssignmentStatus]:
    if not assignments:
        return []
    assessment_ids = {a.assessment_id for a in assignments}
    user_ids = {a.user_id for a in assignments}
    items: dict[int, list[AssessmentItem]] = defaultdict(list)
    for item in AssessmentItem.objects.filter(assessment_id__in=assessment_ids).select_related("scenario"):
        items[item.assessment_id].append(item)
    runs: dict[tuple[int, int], list[TrainingRun]] = defaultdict(list)
    for run in TrainingRun.objects.filter(item__assessment_id__in=assessment_ids, user_id__in=user_ids).exclude(
        finished_at=None
    ):
        assert run.item_id is not None
        runs[(run.user_id, run.item_id)].append(run)
    result = []
    for assignment in assignments:
        status = AssignmentStatus(assignment)
        for item in items[assignment.assessment_id]:
            played = runs[(assignment.user_id, item.pk)]
            scores = [r.score for r in played if r.score is not None]
            status.items.append(
                ItemStatus(
                    item,
                    best=_tenth(max(scores)) if scores else None,
                    runs=len(played),
                    passed=any(item_passed(r, assignment.assessment) for r in played),
                )
            )
        result.append(status)
    return result


def my_assignments(user: Any) -> list[AssignmentStatus]:
    found = Assignment.objects.filter(user=user).select_related("assessment").order_by("-assessment__deadline")
    return _statuses(list(found))


def assessment_results(assessment: Assessment) -> list[AssignmentStatus]:
    return _statuses(list(assessment.assignments.select_related("user", "assessment").order_by("user__username")))


@dataclass(frozen=True)
class BoardRow:
    user: Any
    runs: int
    passes: int
    best: Decimal | None


def leaderboard(team: Team | None) -> list[BoardRow]:
    """Best score, passes and runs per person of the team (all teams: ``None``), best first."""
    users = User.objects.filter(is_active=True, training_runs__finished_at__isnull=False)
    if team is not None:
        users = users.filter(team=team)
    rows = (
        users.annotate(
            runs=Count("training_runs", filter=Q(training_runs__finished_at__isnull=False), distinct=True),
            passes=Count("training_runs", filter=Q(training_runs__passed=True), distinct=True),
            best=Max("training_runs__score"),
        )
        .select_related("team")
        .order_by("-passes", "-best", "username")
    )
    return [BoardRow(u, u.runs, u.passes, _tenth(u.best)) for u in rows]


def team_results(collectors: Sequence[Any]) -> tuple[list[BoardRow], list[dict[str, Any]]]:
    """The team page: per collector (runs, passes, best) and per scenario (runs, passes, best)."""
    ids = [c.pk for c in collectors]
    finished = TrainingRun.objects.filter(user_id__in=ids, finished_at__isnull=False)
    per_user: dict[int, tuple[int, int, Decimal | None]] = {
        row["user_id"]: (row["runs"], row["passes"], _tenth(row["best"]))
        for row in finished.values("user_id").annotate(
            runs=Count("id"), passes=Count("id", filter=Q(passed=True)), best=Max("score")
        )
    }
    people = [BoardRow(c, *per_user.get(c.pk, (0, 0, None))) for c in collectors]
    scenarios: list[dict[str, Any]] = [
        {**row, "best": _tenth(row["best"])}
        for row in (
            finished.values("scenario__key", "scenario__title_zh", "scenario__title_en")
            .annotate(runs=Count("id"), passes=Count("id", filter=Q(passed=True)), best=Max("score"))
            .order_by("scenario__key")
        )
    ]
    return people, scenarios


def team_training_panel(user: Any, collectors: Sequence[Any]) -> TeamPanel | None:
    if not can_assign(user):
        return None
    people, scenarios = team_results(collectors)
    assessments = list(
        Assessment.objects.filter(assignments__user__in=collectors).distinct().order_by("-created_at")[:5]
    )
    results = {a.pk: assessment_results(a) for a in assessments}
    return TeamPanel(
        "training/_team_panel.html",
        {"people": people, "scenarios": scenarios, "assessments": [(a, results[a.pk]) for a in assessments]},
    )
