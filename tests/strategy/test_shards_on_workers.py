"""The sharded run on a real Celery worker and Redis: one task per shard, the chord closes the run."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.utils import timezone

from huikuan.strategy.executors import run_strategy
from huikuan.strategy.models import RunStatus, StrategyRun, WorkItem
from tests.strategy.conftest import CaseMaker


def items() -> set[tuple[int, str, str, int, str]]:
    return set(
        WorkItem.objects.filter(as_of=timezone.localdate()).values_list(
            "case_id", "action", "channel", "priority", "reason"
        )
    )


def test_shards_run_as_celery_tasks_and_give_the_in_process_items(
    champion: Any, make_case: CaseMaker, celery_worker_process: Callable[..., Any]
) -> None:
    for dpd in (2, 5, 13, 31, 45, 60, 91, 95, 120, 200):
        make_case(dpd)
    make_case(40, promises=(("broken", -1), ("broken", -10)))
    in_process = run_strategy(timezone.localdate())
    expected = items()
    assert in_process.run is not None and len(expected) >= 8

    run_id = celery_worker_process("huikuan.strategy.nightly_run", 3)
    deadline = time.monotonic() + 90
    run = StrategyRun.objects.get(pk=run_id)
    while run.status != RunStatus.DONE and time.monotonic() < deadline:
        assert run.status != RunStatus.FAILED, run.error
        time.sleep(0.5)
        run.refresh_from_db()
    assert run.status == RunStatus.DONE, "the chord's callback did not close the run"
    assert run.shards == 3 and run.cases == in_process.run.cases and run.written == len(expected)
    assert items() == expected
    assert WorkItem.objects.filter(run_id=run_id).count() == len(expected)
