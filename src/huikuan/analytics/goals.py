"""Goals met per action: of the work items that stated a goal, how many were worked with the goal recorded,
and how many met it (the collector's answer on the outcome form). One grouped query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Count, Q

from huikuan.org.visibility import case_filter
from huikuan.strategy.models import WorkItem


@dataclass(frozen=True)
class GoalRow:
    action: str
    goal: str
    items: int
    recorded: int
    met: int

    @property
    def met_rate(self) -> float | None:
        """Met among those recorded; None when nothing was recorded (no rate from no answers)."""
        return self.met / self.recorded if self.recorded else None


def goals_met(user: Any, first: date, last: date) -> list[GoalRow]:
    """Per action and goal, over the days ``first``..``last``, of the cases ``user`` sees."""
    rows = (
        WorkItem.objects.filter(case_filter(user, "case__"), as_of__range=(first, last))
        .exclude(goal="")
        .values("action", "goal")
        .annotate(
            items=Count("id"),
            recorded=Count("id", filter=Q(goal_met__isnull=False)),
            met=Count("id", filter=Q(goal_met=True)),
        )
        .order_by("action", "goal")
    )
    return [GoalRow(r["action"], r["goal"], r["items"], r["recorded"], r["met"]) for r in rows]
