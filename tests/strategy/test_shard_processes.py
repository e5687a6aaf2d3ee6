"""Shards side by side in child processes (PostgreSQL, no broker), and the outbox's own transaction."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from django.db import connection

from huikuan.comms.models import Message
from huikuan.strategy.executors import run_strategy
from huikuan.strategy.models import RunStatus, StrategyRun, WorkItem
from huikuan.strategy.run import StrategyError
from huikuan.strategy.shard_process import run_in_processes
from tests.conftest import AS_OF

from .conftest import CaseMaker


def _items() -> list[tuple[Any, ...]]:
    return sorted(
        WorkItem.objects.values_list(
            "case_id", "action", "channel", "priority", "reason", "window_start", "assignee_id"
        )
    )


def _book(make_case: CaseMaker) -> None:
    from huikuan.comms.templates import seed_default_templates

    seed_default_templates()
    for dpd in (2, 5, 13, 31, 45, 60, 91, 95, 120, 200):
        make_case(dpd)
    make_case(40, promises=(("broken", -1), ("broken", -10)))
    make_case(70, outcomes=("no_answer", "no_answer"))


def test_shards_in_child_processes_write_what_the_shards_write_in_process(
    transactional_db: None, champion: Any, make_case: CaseMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL two shards run in two children; on SQLite (one writer at a time) one after another."""
    from huikuan.strategy import executors

    children: list[int] = []

    def spy(run_id: int, count: int, rebalance: bool) -> Any:
        children.append(count)
        return run_in_processes(run_id, count, rebalance)

    monkeypatch.setattr(executors, "run_in_processes", spy)
    _book(make_case)
    in_process = run_strategy(AS_OF, shards=1)
    assert in_process.run is not None
    # One shard in process, as the reference: the cases, items and messages do not depend on the sharding.
    expected = {row[:6] for row in _items()}
    messages = Message.objects.count()
    assert len(expected) >= 10 and messages > 0

    report = run_strategy(AS_OF, shards=2)
    assert report.run is not None and report.run.status == RunStatus.DONE
    assert report.run.shards == 2 and report.run.cases == in_process.run.cases
    assert children == ([2] if connection.vendor == "postgresql" else [])
    assert {row[:6] for row in _items()} == expected
    # A re-run in children queues no message twice and keeps one item per case and action.
    assert Message.objects.count() == messages
    assert WorkItem.objects.count() == len(expected)
    # Items the re-run planned alike stay as the first run wrote them; only those that differ are rewritten.
    by_run = Counter(WorkItem.objects.values_list("run_id", flat=True))
    assert set(by_run) <= {in_process.run.pk, report.run.pk}
    assert by_run[report.run.pk] == report.run.details["inserted"] == report.run.details["deleted"]
    timings = report.run.timings
    assert 0 < timings["items"] <= timings["total"] and report.run.peak_memory_mb > 0


def test_a_failing_child_names_its_shard_and_its_error(
    transactional_db: None, champion: Any, make_case: CaseMaker
) -> None:
    make_case(45)
    # No such run: each child fails on its first query and says so on its last line of stderr.
    with pytest.raises(StrategyError, match=r"^shard 0/2: \S+: .+; shard 1/2: \S+: .+$"):
        run_in_processes(987654, 2, False)
    assert not WorkItem.objects.exists()


def test_the_work_items_stand_when_the_outbox_hand_over_fails(
    champion: Any, make_case: CaseMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Collectors get their queue even if tonight's messages cannot be queued; the run says it failed."""
    from huikuan.comms.templates import seed_default_templates

    seed_default_templates()
    make_case(2)  # an SMS reminder
    make_case(45)  # a call

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("template store unreachable")

    monkeypatch.setattr("huikuan.strategy.run.enqueue_for_work_items", broken)
    with pytest.raises(RuntimeError, match="template store"):
        run_strategy(AS_OF, shards=1)
    run = StrategyRun.objects.get()
    assert run.status == RunStatus.FAILED and "template store" in run.error
    assert WorkItem.objects.filter(action="call").exists() and WorkItem.objects.filter(action="sms").exists()
    assert not Message.objects.exists()
    # The next run of the day hands the messages over, once.
    monkeypatch.undo()
    run_strategy(AS_OF, shards=1)
    sms = WorkItem.objects.get(action="sms")
    keys = set(Message.objects.values_list("idempotency_key", flat=True))
    assert f"work:{AS_OF.isoformat()}:{sms.case_id}:sms" in keys
    run_strategy(AS_OF, shards=1)
    assert set(Message.objects.values_list("idempotency_key", flat=True)) == keys
