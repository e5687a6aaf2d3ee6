"""Celery tasks: the nightly run and its shards. Without a broker the run stays in-process (run.py)."""

from __future__ import annotations

import time
from typing import Any

from celery import chord, shared_task

from huikuan.strategy.run import Shard, ShardResult, finish_run, run_shard, run_strategy


@shared_task(name="huikuan.strategy.nightly_run")
def nightly_run(shards: int = 1) -> int | None:
    """The beat schedule's entry point: today's run with the policy in force."""
    report = run_strategy(shards=shards)
    return report.run.pk if report.run else None


@shared_task(name="huikuan.strategy.run_shard")
def run_shard_task(run_id: int, index: int, count: int, rebalance: bool = False) -> dict[str, Any]:
    result = run_shard(run_id, Shard(index, count), rebalance=rebalance)
    return {
        "cases": result.cases,
        "planned": result.planned,
        "written": result.written,
        "blocked": result.blocked,
        "held": result.held,
        "counts": dict(result.counts),
        "gate": dict(result.gate),
        "unplanned": dict(result.unplanned),
        "timings": dict(result.timings),
        "versions": sorted(result.versions),
    }


@shared_task(name="huikuan.strategy.finish_run")
def finish_run_task(results: list[dict[str, Any]], run_id: int, started: float) -> None:
    total = ShardResult()
    for part in results:
        shard = ShardResult(part["cases"], part["planned"], part["written"], part["blocked"], part["held"])
        for name in ("counts", "gate", "unplanned"):
            getattr(shard, name).update(part[name])
        shard.timings.update(part["timings"])
        shard.versions = set(part.get("versions", ()))
        total.add(shard)
    finish_run(run_id, total, time.time() - started)


def dispatch_shards(run_id: int, count: int, rebalance: bool) -> None:
    """One task per shard on whichever workers are free; the chord's callback closes the run."""
    header = [run_shard_task.s(run_id, index, count, rebalance) for index in range(count)]
    chord(header)(finish_run_task.s(run_id, time.time()))
