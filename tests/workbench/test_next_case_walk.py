"""Issue 23: "next case" walks down the queue index (one stream per status, merged) instead of grouping the
collector's whole day. The walk must offer exactly the case the grouping offered, from the top and after each
case, with done and cancelled items keeping a case's place, items the collector cannot close, ties in
priority and cases the gate refuses now; pages and batches made tiny so that every boundary is crossed."""

from __future__ import annotations

import random
from typing import Any

import pytest
from django.utils import timezone

from huikuan import clock
from huikuan.compliance.actions import record_stop_request
from huikuan.org.staff import closable_by
from huikuan.strategy.models import WorkItem
from huikuan.workbench import views_data
from huikuan.workbench.views_data import _rows, next_case_id
from tests.workbench.fixtures import CaseMaker
from tests.workbench.test_routing import add_item


def grouped_next(user: Any, day: Any, now: Any, after: int | None) -> int | None:
    """The former definition: the cases with an open item the user can close, by their best priority over
    every item of the day they can close (any status), then by case; the first after ``after`` the gate
    allows now."""
    kinds = closable_by(user)
    top: dict[int, int] = {}
    open_cases: set[int] = set()
    for case_id, priority, status in WorkItem.objects.filter(as_of=day, assignee=user, action__in=kinds).values_list(
        "case_id", "priority", "status"
    ):
        top[case_id] = max(top.get(case_id, priority), priority)
        if status == "pending":
            open_cases.add(case_id)
    order = sorted(open_cases - {after}, key=lambda c: (-top[c], c))
    if after is not None and after in top:
        order = [c for c in order if (-top[c], c) > (-top[after], after)]
    for case_id in order:
        rows = _rows(user, [case_id], day, now, "zh")
        if rows and rows[0].allowed:
            return case_id
    return None


@pytest.mark.parametrize("seed", [1, 2])
def test_the_walk_offers_the_case_the_grouping_offered(
    workday: dict[str, Any], make_case: CaseMaker, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    monkeypatch.setattr(views_data, "NEXT_PAGE", 3)
    monkeypatch.setattr(views_data, "NEXT_BATCH", 2)
    rng = random.Random(seed)
    p = workday["personas"]
    cases = [make_case(rng.randint(1, 200), priority=rng.choice([20, 40, 40, 60, 80])) for _ in range(18)]
    for case in rng.sample(cases, 8):
        add_item(
            case,
            rng.choice(["visit", "escalate_specialist", "legal_review"]),
            p.alice,
            priority=rng.choice([30, 40, 90]),
        )
    items = list(WorkItem.objects.filter(assignee=p.alice))
    for item in rng.sample(items, len(items) // 3):
        item.status = rng.choice(["done", "cancelled"])
        item.save(update_fields=["status"])
    for case in rng.sample(cases, 3):
        record_stop_request(case, "call", source="call")
    now, day = clock.now(), timezone.localdate()
    everyone = [c.pk for c in (*cases, workday["early"], workday["middle"], workday["late"], workday["bob"])]
    expected = [grouped_next(p.alice, day, now, after) for after in [None, *everyone, 10**9]]
    assert [next_case_id(p.alice, day, now, after) for after in [None, *everyone, 10**9]] == expected
    # The walk from the top visits the whole queue in order and ends.
    walked, after = [], None
    while (found := next_case_id(p.alice, day, now, after)) is not None:
        walked.append(found)
        after = found
    assert len(walked) >= 5 and len(set(walked)) == len(walked)
