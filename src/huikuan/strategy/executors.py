"""Where a strategy run's shards run: in-process, in child processes, or as Celery tasks on workers.

``run_strategy`` is the use case behind the command, the beat task and the API; ``start_run`` opens a run
and leaves its work to a worker. Both check ``org.permissions.can_run_strategy`` (``user`` None is the
command line and the beat). Without a broker the shards run side by side in child processes on
PostgreSQL (shard_process.py), else one after another; with one, each shard is a Celery task and a chord
closes the run. run.py does the work of one shard and knows none of this.

A run is several transactions, each the outermost (durable): the run's row, then each shard's items, its
messages and its reminders commit on their own, so a later failure leaves what already stood.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from typing import Any

from celery import chord, shared_task
from django.conf import settings
from django.db import connection, transaction
from django.utils.translation import gettext as _

from huikuan import clock
from huikuan.cases.counts import compact_held_counts, compact_promise_hours
from huikuan.compliance.pack import current_pack
from huikuan.org.permissions import can_run_strategy, require
from huikuan.scoring.nightly import nightly_scores
from huikuan.strategy.care import plan_care
from huikuan.strategy.counts import compact_queue_counts
from huikuan.strategy.models import RunStatus, StrategyRun
from huikuan.strategy.predue import plan_due_reminders
from huikuan.strategy.run import (
    Arm,
    Shard,
    ShardResult,
    default_shards,
    fail_run,
    finish_run,
    open_run,
    plan,
    pre_due_policy,
    resolve_arms,
    run_shard,
)
from huikuan.strategy.shard_process import can_start_children, run_in_processes
from huikuan.strategy.snapshot_cache import compact as compact_snapshots


@dataclass
class RunReport:
    run: StrategyRun | None
    result: ShardResult
    previous: StrategyRun | None
    arms: list[Arm]

    @property
    def counts(self) -> dict[str, int]:
        return dict(self.result.counts)


def run_strategy(
    as_of: date | None = None,
    *,
    dry_run: bool = False,
    policy: str | None = None,
    shards: int | None = None,
    rebalance: bool = False,
    user: Any = None,
) -> RunReport:
    """The use case: a real run records a StrategyRun and writes items; a dry run writes nothing at all.

    ``shards`` defaults to ``settings.HUIKUAN_STRATEGY_SHARDS``.
    """
    require(can_run_strategy(user), _("Your role may not change the strategy."))
    as_of = as_of or clock.today()
    shards = max(1, shards or default_shards())
    arms, experiment = resolve_arms(policy)
    previous = StrategyRun.objects.filter(dry_run=False, status=RunStatus.DONE).first()
    started = time.perf_counter()
    if dry_run:
        total = ShardResult()
        reminders = pre_due_policy(arms)
        for index in range(shards):
            allowed, part = plan(as_of, arms, experiment, Shard(index, shards))
            part.items = allowed
            part.counts.update(plan_due_reminders(as_of, reminders, Shard(index, shards)).counts)
            calendar = current_pack().calendar
            part.counts.update(plan_care(as_of, reminders, calendar, part.sincere, Shard(index, shards)).counts)
            total.add(part)
        total.timings["total"] = time.perf_counter() - started
        return RunReport(None, total, previous, arms)
    run = open_run(as_of, arms, experiment, forced=bool(policy), shards=shards)
    total = execute_run(run, arms, rebalance=rebalance, started=started)
    run.refresh_from_db()
    return RunReport(run, total, previous, arms)


def execute_run(run: StrategyRun, arms: list[Arm], *, rebalance: bool, started: float | None = None) -> ShardResult:
    """Runs an opened run's shards: in-process, or as Celery tasks whose chord closes the run."""
    started = time.perf_counter() if started is None else started
    try:
        # Once per run, before any shard reads its snapshot: every open case scored by the model in force.
        nightly_scores(run.as_of)
        # Kept histories of another day, version or shard count go, and journal rows no kept one needs.
        compact_snapshots(run.as_of, run.shards)
        if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", True) or run.shards == 1:
            total = _run_in_process(run, rebalance)
            finish_run(run.pk, total, time.perf_counter() - started)
            return total
        dispatch_shards(run.pk, run.shards, rebalance)
        return ShardResult()
    except Exception as exc:
        fail_run(run.pk, exc)
        raise


def _run_in_process(run: StrategyRun, rebalance: bool) -> ShardResult:
    """The shards without a broker: side by side in child processes on PostgreSQL, else one after another.

    Inside a test's transaction the shards run in it, one after another: other connections could not see
    what it has not committed.
    """
    if run.shards > 1 and connection.vendor == "postgresql" and not connection.in_atomic_block and can_start_children():
        return run_in_processes(run.pk, run.shards, rebalance)
    total = ShardResult()
    for index in range(run.shards):
        total.add(run_shard(run.pk, Shard(index, run.shards), rebalance=rebalance))
    return total


@shared_task(name="huikuan.strategy.nightly_run")
def nightly_run(shards: int | None = None) -> int | None:
    """The beat schedule's entry point: today's run with the policy in force (shards: the setting's)."""
    report = run_strategy(shards=shards)
    # Housekeeping after the night's writes, outside the shards' transactions: the days before today's run
    # folded to one count row a key (strategy.counts); the cases held and the promises given, to one row a user
    # and an hour (cases.counts: the night's reassignment and the day's promises appended rows of their own).
    compact_queue_counts(clock.today())
    compact_held_counts()
    compact_promise_hours()
    return report.run.pk if report.run else None


def start_run(
    as_of: date,
    *,
    policy: str | None = None,
    shards: int | None = None,
    rebalance: bool = False,
    user: Any = None,
) -> StrategyRun:
    """Opens a real run now and leaves its work to a worker, so a web request does not wait minutes.

    The run is opened here, not in the task, so the caller learns at once that the day is already running
    or that no policy is in force. Without a broker the task runs in-process (once the run's row is
    committed) and the run comes back done.
    """
    require(can_run_strategy(user), _("Your role may not change the strategy."))
    with transaction.atomic(durable=True):
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
