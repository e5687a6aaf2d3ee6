"""The queue's top cases read from the priority order equal the cases ordered by their best item."""

from __future__ import annotations

from typing import Any

import pytest
from django.db.models import Max

from huikuan.strategy.models import WorkItem
from huikuan.workbench import views, views_data
from huikuan.workbench.views_data import queue_items, top_cases
from tests.conftest import client_for


def _add(call: WorkItem, action: str, priority: int) -> None:
    WorkItem.objects.create(
        run=call.run, as_of=call.as_of, case=call.case, action=action, channel="visit", template="", rule=action,
        window_start=call.window_start, window_end=call.window_end, priority=priority, stage=call.stage,
        behaviour=call.behaviour, segment=call.segment, queue="collector", policy_version=call.policy_version,
        reason="r", reason_en="r", assignee=call.assignee, created_at=call.created_at,
    )  # fmt: skip


def test_top_cases_follow_each_cases_best_item_whatever_the_limit(workday: dict[str, Any]) -> None:
    early, late = WorkItem.objects.get(case=workday["early"]), WorkItem.objects.get(case=workday["late"])
    _add(early, "visit", 95)  # the early case's best item now beats the middle case's call (90)
    _add(late, "visit", 10)  # a lower second item does not move the late case
    items = queue_items(workday["personas"].alice, early.as_of)
    grouped = list(
        items.values("case_id")
        .annotate(top=Max("priority"))
        .order_by("-top", "case_id")
        .values_list("case_id", flat=True)
    )
    assert grouped == [workday["early"].pk, workday["middle"].pk, workday["late"].pk]
    for limit in (1, 2, 3, 50):
        assert top_cases(items, limit) == grouped[:limit]
    assert top_cases(items.filter(action="visit"), 50) == [workday["early"].pk, workday["late"].pk]


def test_the_teams_best_open_items_are_its_pending_items_in_priority_order(workday: dict[str, Any]) -> None:
    """One LATERAL statement on PostgreSQL, one read per collector on SQLite: the same items either way."""
    from huikuan.strategy.models import WorkStatus
    from huikuan.workbench.views_data import team_open_items

    alice, bob = workday["personas"].alice, workday["personas"].bob
    early = WorkItem.objects.get(case=workday["early"])
    _add(early, "visit", 90)  # ties the middle case's call: the lower case id first
    WorkItem.objects.filter(case=workday["late"]).update(status=WorkStatus.DONE)  # done: not open
    everyone = (
        WorkItem.objects.filter(as_of=early.as_of, assignee__in=[alice, bob], status=WorkStatus.PENDING)
        .order_by("-priority", "case_id")
        .values_list("id", flat=True)
    )
    for limit in (1, 2, 3, 100):
        assert [w.pk for w in team_open_items([alice, bob], early.as_of, limit)] == list(everyone[:limit])


def test_the_queue_page_says_how_many_cases_it_holds_beyond_the_first_screen(
    workday: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page lists the first QUEUE_LIMIT cases; the count is the queue's, not the page's."""
    alice = client_for(workday["personas"].alice)
    whole = alice.get("/work/").content.decode()
    assert "3 个案件" in whole and "显示前" not in whole
    monkeypatch.setattr(views, "QUEUE_LIMIT", 2)
    monkeypatch.setattr(views_data, "QUEUE_LIMIT", 2)
    page = alice.get("/work/").content.decode()
    assert "共 3 个案件，显示前 2 个" in page
    assert page.count("data-case=") == 2
    # Filters count what they keep: the late stage holds one case, shown whole.
    late = alice.get("/work/?stage=late").content.decode()
    assert "1 个案件" in late and "显示前" not in late


def test_a_queue_longer_than_the_count_reads_says_how_many_at_least(
    workday: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Counting the busiest queue's every case cost most of the page: past QUEUE_COUNT_ITEMS items it says N+."""
    alice = client_for(workday["personas"].alice)
    monkeypatch.setattr(views, "QUEUE_LIMIT", 1)
    monkeypatch.setattr(views_data, "QUEUE_LIMIT", 1)
    monkeypatch.setattr(views_data, "QUEUE_COUNT_ITEMS", 2)
    page = alice.get("/work/").content.decode()
    # Two items read, of two cases: at least two, and there may be more.
    assert "共 2 个以上案件，显示前 1 个" in page
    monkeypatch.setattr(views_data, "QUEUE_COUNT_ITEMS", 4)
    assert "共 3 个案件，显示前 1 个" in alice.get("/work/").content.decode()
