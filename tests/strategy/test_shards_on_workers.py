"""The sharded run on two real Celery worker processes and Redis: one task per shard, the chord closes the run."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.utils import timezone

from huikuan.strategy.executors import run_strategy
from huikuan.strategy.models import RunStatus, StrategyRun, WorkItem
from tests.conftest import CeleryWorkers
from tests.strategy.conftest import CaseMaker


def items() -> set[tuple[int, str, str, int, str]]:
    return set(
        WorkItem.objects.filter(as_of=timezone.localdate()).values_list(
            "case_id", "action", "channel", "priority", "reason"
        )
    )


# Two workers writing at once is what the deployment does (docs/deploy.md, "More worker machines"); SQLite
# takes one writer at a time and is no database for several machines.
@pytest.mark.postgres
def test_shards_on_two_worker_processes_give_the_in_process_items(
    champion: Any, make_case: CaseMaker, two_celery_workers: CeleryWorkers
) -> None:
    for dpd in (2, 5, 13, 31, 45, 60, 91, 95, 120, 200):
        make_case(dpd)
    make_case(40, promises=(("broken", -1), ("broken", -10)))
    in_process = run_strategy(timezone.localdate())
    expected = items()
    assert in_process.run is not None and len(expected) >= 8
    # The workers' run writes every item itself, not only those that would differ from the in-process run's.
    WorkItem.objects.all().delete()

    run_id = two_celery_workers.run("huikuan.strategy.nightly_run", 3)
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
    # Both processes took part: each ran at least one of the three shards.
    for log in two_celery_workers.logs:
        assert "huikuan.strategy.run_shard[" in log.read_text(), log.read_text()[-2000:]
