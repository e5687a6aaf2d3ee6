"""Celery tasks: the nightly run and its shards. Without a broker the run stays in-process (run.py)."""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from celery import chord, shared_task
from django.db import transaction

from huikuan.strategy.models import StrategyRun
from huikuan.strategy.run import (
    Shard,
    ShardResult,
    default_shards,
    execute_run,
    fail_run,
    finish_run,
    open_run,
    resolve_arms,
    run_shard,
    run_strategy,
)


@shared_task(name="huikuan.strategy.nightly_run")
def nightly_run(shards: int | None = None) -> int | None:
    """The beat schedule's entry point: today's run with the policy in force (shards: the setting's)."""
    report = run_strategy(shards=shards)
    return report.run.pk if report.run else None


def start_run(
    as_of: date, *, policy: str | None = None, shards: int | None = None, rebalance: bool = False
) -> StrategyRun:
    """Opens a real run now and leaves its work to a worker, so a web request does not wait minutes.

    The run is opened here, not in the task, so the caller learns at once that the day is already running
    or that no policy is in force. Without a broker the task runs in-process and the run comes back done.
    """
    arms, experiment = resolve_arms(policy)
    run = open_run(as_of, arms, experiment, forced=bool(policy), shards=shards or default_shards())
    # robust: without a broker a failing run is recorded as failed and reported, not raised into the caller.
    transaction.on_commit(lambda: execute_run_task.delay(run.pk, policy, rebalance), robust=True)
    return run


@shared_task(name="huikuan.strategy.execute_run")
def execute_run_task(run_id: int, policy: str | None = None, rebalance: bool = False) -> int:
    run = StrategyRun.objects.get(pk=run_id)
    try:
        arms, _experiment = resolve_arms(policy)
    except Exception as exc:
        fail_run(run_id, exc)
        raise
    execute_run(run, arms, rebalance=rebalance)
    return run_id


@shared_task(name="huikuan.strategy.run_shard")
def run_shard_task(run_id: int, index: int, count: int, rebalance: bool = False) -> dict[str, Any]:
    try:
        result = run_shard(run_id, Shard(index, count), rebalance=rebalance)
    except Exception as exc:
        # The chord never calls its callback when a shard fails; without this the run would stay
        # "running" and keep the day blocked until it goes stale.
        fail_run(run_id, exc)
        raise
    return result.to_dict()


@shared_task(name="huikuan.strategy.finish_run")
def finish_run_task(results: list[dict[str, Any]], run_id: int, started: float) -> None:
    total = ShardResult()
    for part in results:
        total.add(ShardResult.from_dict(part))
    finish_run(run_id, total, time.time() - started)


def dispatch_shards(run_id: int, count: int, rebalance: bool) -> None:
    """One task per shard on whichever workers are free; the chord's callback closes the run."""
    header = [run_shard_task.s(run_id, index, count, rebalance) for index in range(count)]
    chord(header)(finish_run_task.s(run_id, time.time()))
