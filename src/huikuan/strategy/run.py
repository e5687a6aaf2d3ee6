"""The nightly strategy run: snapshot → policy per arm → contact gate → queue assignment → work items.

``run_strategy`` is the use case behind the command, the Celery beat task and the API. It shards by case
id: each shard reads its cases, evaluates, asks the gate and replaces that day's pending items for its
cases in one transaction. Where the shards run (in-process, child processes, Celery workers) is
executors.py's business: this module knows only one shard's work and the run's bookkeeping.

Idempotent for a day: a re-run deletes the day's pending items of its cases and writes them again;
items already done or cancelled that day are left alone and not planned twice.
"""

from __future__ import annotations

import io
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import polars as pl
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from huikuan import clock
from huikuan.cases.assignment import reassign_cases
from huikuan.comms.feeds import WorkItemRow, enqueue_for_work_items
from huikuan.compliance.pack import current_pack
from huikuan.kernel.strategy.arms import assign_arms
from huikuan.kernel.strategy.evaluate import PLANNED_SCHEMA, QUEUES, evaluate
from huikuan.kernel.strategy.gate import ContactGate
from huikuan.kernel.strategy.policy import Policy
from huikuan.kernel.strategy.queue import Staff, deal
from huikuan.memory import peak_memory_mb
from huikuan.org.staff import active_staff
from huikuan.strategy.care import plan_care, queue_care
from huikuan.strategy.models import (
    Experiment,
    PolicyVersion,
    RunStatus,
    StrategyRun,
    WorkItem,
    WorkStatus,
)
from huikuan.strategy.predue import plan_due_reminders, queue_due_reminders
from huikuan.strategy.snapshot import Shard, read_snapshot

DEFAULT_GATE = "huikuan.kernel.strategy.gate.minimal_gate"
# A 1,000,000-case run takes minutes; one still "running" after this has lost its process.
RUN_STALE_AFTER = timedelta(hours=6)
_WRITE_COLUMNS = (
    "run_id",
    "as_of",
    "case_id",
    "action",
    "channel",
    "template",
    "rule",
    "contact_point_id",
    "party",
    "window_start",
    "window_end",
    "priority",
    "stage",
    "behaviour",
    "segment",
    "queue",
    "arm",
    "policy_version_id",
    "reason",
    "reason_en",
    "goal",
    "status",
    "assignee_id",
    "created_at",
)


class StrategyError(RuntimeError):
    pass


class RunInProgress(StrategyError):
    """Another real run of the same day has not finished."""


def contact_gate() -> ContactGate:
    """The gate in force: ``settings.HUIKUAN_STRATEGY_GATE`` (a dotted path), the minimal gate by default."""
    gate: ContactGate = import_string(getattr(settings, "HUIKUAN_STRATEGY_GATE", DEFAULT_GATE))
    return gate


@dataclass(frozen=True)
class Arm:
    name: str
    version: PolicyVersion
    policy: Policy
    share: Any = None


def resolve_arms(policy_label: str | None = None) -> tuple[list[Arm], Experiment | None]:
    """Which policy versions run tonight: a forced version, the active experiment's arms, or the champion."""
    if policy_label:
        version = find_version(policy_label)
        return [Arm("", version, version.policy())], None
    experiment = Experiment.objects.filter(active=True).prefetch_related("arms__policy_version").first()
    if experiment is not None:
        arms = [
            Arm(a.name, a.policy_version, a.policy_version.policy(), a.share)
            # Arm-name order fixes where the hash circle is cut, whatever order the arms were made in.
            for a in experiment.arms.order_by("name")
        ]
        if arms:
            return arms, experiment
    champion = PolicyVersion.objects.filter(in_force=True).first()
    if champion is None:
        raise StrategyError(
            "no policy in force: import one with `huikuan strategy import examples/policy-default.yaml --activate`"
        )
    return [Arm("", champion, champion.policy())], None


def pre_due_policy(arms: list[Arm]) -> Policy:
    """Whose ``pre_due`` rules apply tonight: the champion's (docs/strategy.md, "Before the due date").

    Debtors not in collection have no case, so no arm: during an experiment the policy in force reminds
    them, not whichever arm sorts first by name. A forced version is the only policy of its run.
    """
    if len(arms) == 1:
        return arms[0].policy
    champion = next((arm for arm in arms if arm.version.in_force), None)
    if champion is not None:
        return champion.policy
    version = PolicyVersion.objects.filter(in_force=True).first()
    return version.policy() if version is not None else arms[0].policy


def find_version(label: str) -> PolicyVersion:
    """'name@3' or a bare name for its newest version."""
    name, _, number = label.partition("@")
    versions = PolicyVersion.objects.filter(name=name)
    version = versions.filter(number=int(number)).first() if re.fullmatch(r"[0-9]{1,9}", number) else versions.first()
    if version is None:
        raise StrategyError(f"no policy version {label!r}")
    return version


@dataclass
class ShardResult:
    cases: int = 0
    planned: int = 0
    written: int = 0
    blocked: int = 0
    held: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    gate: Counter[str] = field(default_factory=Counter)
    unplanned: Counter[str] = field(default_factory=Counter)
    timings: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    items: pl.DataFrame | None = None
    # Policy versions that wrote at least one item: they become immutable when the run finishes.
    versions: set[int] = field(default_factory=set)
    # Wall-clock time (time.time()) when the shard's work items were committed; the latest of the shards.
    items_committed_at: float = 0.0
    # High-water mark of the process that ran the shard (the largest of the shards).
    peak_memory_mb: int = 0
    # The shard's cases classified as sincere payers (for the care campaigns of the same shard; not sent on).
    sincere: list[int] = field(default_factory=list)

    def add(self, other: ShardResult) -> None:
        for name in ("cases", "planned", "written", "blocked", "held"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.versions |= other.versions
        for name in ("counts", "gate", "unplanned"):
            getattr(self, name).update(getattr(other, name))
        for phase, seconds in other.timings.items():
            self.timings[phase] = self.timings.get(phase, 0.0) + seconds
        if other.items is not None:
            self.items = other.items if self.items is None else pl.concat([self.items, other.items])
        self.items_committed_at = max(self.items_committed_at, other.items_committed_at)
        self.peak_memory_mb = max(self.peak_memory_mb, other.peak_memory_mb)

    _SCALARS = ("cases", "planned", "written", "blocked", "held", "items_committed_at", "peak_memory_mb")

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-able data, for a Celery task's return value or a shard process's answer."""
        data: dict[str, Any] = {name: getattr(self, name) for name in self._SCALARS}
        data.update(
            counts=dict(self.counts),
            gate=dict(self.gate),
            unplanned=dict(self.unplanned),
            timings=dict(self.timings),
            versions=sorted(self.versions),
        )
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ShardResult:
        result = cls(**{name: data[name] for name in cls._SCALARS if name in data})
        for name in ("counts", "gate", "unplanned"):
            getattr(result, name).update(data[name])
        result.timings.update(data["timings"])
        result.versions = set(data.get("versions", ()))
        return result


def plan(
    as_of: date,
    arms: list[Arm],
    experiment: Experiment | None,
    shard: Shard | None = None,
    gate: Callable[[pl.DataFrame], pl.DataFrame] | None = None,
) -> tuple[pl.DataFrame, ShardResult]:
    """Read and evaluate one shard: the allowed items (PLANNED_SCHEMA + arm, policy_version_id)."""
    result = ShardResult()
    clock = time.perf_counter()
    shard = shard or Shard()
    snapshot = read_snapshot(as_of, shard)
    result.timings["read"] += time.perf_counter() - clock
    result.cases = snapshot.height
    clock = time.perf_counter()
    if experiment is not None:
        shares = [(a.name, a.share) for a in arms]
        snapshot = snapshot.with_columns(assign_arms(snapshot.get_column("case_id"), experiment.key, shares))
    parts: list[pl.DataFrame] = []
    # The installation's official days (the holidays app, through the pack) decide the day's windows and
    # the working days the instalment events count.
    calendar = current_pack().calendar
    for arm in arms:
        subset = snapshot.filter(pl.col("arm") == arm.name) if experiment is not None else snapshot
        evaluation = evaluate(subset.drop("arm", strict=False), arm.policy, as_of, calendar)
        result.held += evaluation.held
        result.sincere += evaluation.sincere
        result.unplanned.update(evaluation.unplanned)
        parts.append(
            evaluation.planned.with_columns(
                pl.lit(arm.name).alias("arm"), pl.lit(arm.version.pk, pl.Int64).alias("policy_version_id")
            )
        )
    if not parts:
        planned = pl.DataFrame(schema=PLANNED_SCHEMA)
    elif len(parts) == 1:
        planned = parts[0]  # evaluate already sorts by case and action
    else:
        planned = pl.concat(parts).sort(["case_id", "action"])
    result.timings["evaluate"] += time.perf_counter() - clock
    clock = time.perf_counter()
    decided = (gate or contact_gate())(planned)
    blocked = decided.filter(~pl.col("allowed"))
    result.gate.update(dict(blocked.group_by("gate_reason").len().iter_rows()))
    result.blocked = blocked.height
    allowed = decided.filter(pl.col("allowed")).drop("allowed", "gate_reason")
    result.timings["gate"] += time.perf_counter() - clock
    result.planned = allowed.height
    result.counts.update(
        {f"{stage}|{action}": n for stage, action, n in allowed.group_by("stage", "action").len().iter_rows()}
    )
    return allowed, result


def _staff() -> list[Staff]:
    """The people items can be dealt to, each starting the deal with no open workload.

    A collector's open work is the day's queue, and the run is about to write all of it for its cases: the
    day's pending items it replaces, and earlier nights' unworked items are dead (the queue shows the day's
    only, a reassignment leaves them behind). Counting either would load a collector with work nobody sees,
    for ever in the second case. So ``deal`` levels the day's plan alone; shards partition cases by id,
    each levels its part, and the whole is level within one case per shard, in whatever order they run.
    """
    return active_staff()


WORKED_QUEUES = ("collector", "specialist", "legal")


def assign_queue(items: pl.DataFrame, rebalance: bool = False) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Assignees for the people's queues (kernel.strategy.queue.deal); returns (items, changed case assignees)."""
    worked = items.filter(pl.col("queue").is_in(WORKED_QUEUES)).select(
        "case_id", "action", "team_id", "assignee_id", (pl.col("queue") == "specialist").alias("specialist"), "priority"
    )
    if rebalance:
        worked = worked.with_columns(pl.lit(None, pl.Int64).alias("assignee_id"))
    dealt = deal(worked, _staff())
    current = worked.group_by("case_id").agg(pl.col("assignee_id").first())
    changed = (
        current.join(dealt.owners.rename({"assignee_id": "chosen"}), on="case_id")
        .filter(pl.col("chosen").is_not_null() & (pl.col("chosen") != pl.col("assignee_id").fill_null(-1)))
        .select("case_id", "chosen")
    )
    items = (
        items.drop("assignee_id")
        .join(dealt.items, on=["case_id", "action"], how="left")
        .with_columns(
            pl.when(pl.col("queue").is_in(WORKED_QUEUES))
            .then(pl.col("assignee_id"))
            .otherwise(pl.lit(None, pl.Int64))
            .alias("assignee_id")
        )
    )
    return items, changed


def _rows(run_id: int, as_of: date, items: pl.DataFrame) -> pl.DataFrame:
    now = clock.now()
    return items.with_columns(
        pl.lit(run_id, pl.Int64).alias("run_id"),
        pl.lit(as_of).alias("as_of"),
        pl.concat_str("risk_band", "balance_band", separator="/").alias("segment"),
        pl.col("reason_zh").alias("reason"),
        pl.lit(WorkStatus.PENDING.value).alias("status"),
        pl.lit(now).dt.cast_time_unit("us").alias("created_at"),
    ).select(_WRITE_COLUMNS)


def prepare_items(run_id: int, as_of: date, items: pl.DataFrame, shard: Shard) -> pl.DataFrame:
    """Delete the day's pending items of the shard's cases and return the rows to write (``_WRITE_COLUMNS``).

    Inside the caller's transaction.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {WorkItem._meta.db_table} WHERE as_of = %(as_of)s AND status = %(pending)s"
            + shard.where("case_id"),
            {"as_of": connection.ops.adapt_datefield_value(as_of), "pending": WorkStatus.PENDING.value},
        )
    # What was already done or cancelled today stays; it is not planned a second time.
    settled = pl.DataFrame(
        list(WorkItem.objects.filter(as_of=as_of).exclude(status=WorkStatus.PENDING).values_list("case_id", "action")),
        schema={"case_id": pl.Int64, "action": pl.Utf8},
        orient="row",
    )
    if settled.height:
        items = items.join(settled, on=["case_id", "action"], how="anti")
    return _rows(run_id, as_of, items)


def _copy_items(cursor: Any, rows: pl.DataFrame) -> None:
    """COPY the rows into the work item table; ``cursor`` is a psycopg cursor of the run's transaction."""
    if rows.height == 0:
        return
    buffer = io.BytesIO()
    rows.write_csv(buffer, include_header=False, datetime_format="%Y-%m-%dT%H:%M:%S%.f+00:00")
    buffer.seek(0)
    text_columns = ("party", "arm", "segment", "reason", "reason_en", "template", "rule", "goal")
    sql = (
        f"COPY {WorkItem._meta.db_table} ({', '.join(_WRITE_COLUMNS)}) FROM STDIN WITH "
        f"(FORMAT csv, FORCE_NOT_NULL ({', '.join(text_columns)}))"
    )
    with cursor.copy(sql) as copy:
        while block := buffer.read(1 << 20):
            copy.write(block)


def _reassign(run_id: int, changed: pl.DataFrame) -> None:
    """The cases the deal gave to someone new, moved through cases' bulk reassignment (audited)."""
    reassign_cases(changed.select("case_id", "chosen").iter_rows(), detail={"reason": "strategy run", "run": run_id})


def _write(run_id: int, rows: pl.DataFrame, changed: pl.DataFrame, timings: dict[str, float]) -> None:
    """Write the items (COPY on PostgreSQL, ``bulk_create`` on SQLite) and the new case assignees."""
    clock = time.perf_counter()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            _copy_items(cursor.cursor, rows)
    elif rows.height:
        WorkItem.objects.bulk_create(
            (WorkItem(**dict(zip(_WRITE_COLUMNS, row, strict=True))) for row in rows.iter_rows()),
            batch_size=2000,
        )
    timings["write"] += time.perf_counter() - clock
    clock = time.perf_counter()
    _reassign(run_id, changed)
    timings["assignees"] += time.perf_counter() - clock


def run_shard(run_id: int, shard: Shard, *, rebalance: bool = False) -> ShardResult:
    """One shard of a real run: plan, assign, write. The unit a Celery worker takes."""
    run = StrategyRun.objects.select_related("policy_version", "experiment").get(pk=run_id)
    arms, experiment = resolve_arms(run.policy_version.label if run.policy_version else None)
    allowed, result = plan(run.as_of, arms, experiment, shard)
    clock = time.perf_counter()
    items, changed = assign_queue(allowed, rebalance)
    result.timings["assign"] += time.perf_counter() - clock
    clock = time.perf_counter()
    with transaction.atomic(durable=True):
        rows = prepare_items(run_id, run.as_of, items, shard)
        result.written = rows.height
        result.versions = set(rows.get_column("policy_version_id").unique().to_list())
        result.timings["write"] += time.perf_counter() - clock
        _write(run_id, rows, changed, result.timings)
        clock = time.perf_counter()
    # Deferred constraints (the new assignees' users) are checked and the WAL flushed here.
    result.timings["commit"] += time.perf_counter() - clock
    result.items_committed_at = time.time()
    # The outbox gets today's messages in a transaction of its own: the collectors' queues stand even if a
    # message cannot be queued tonight (the run is then marked failed), and a re-run queues what is
    # missing and nothing twice (the idempotency keys).
    clock = time.perf_counter()
    with transaction.atomic(durable=True):
        _hand_over_messages(run_id, rows)
    result.timings["outbox"] += time.perf_counter() - clock
    clock = time.perf_counter()
    with transaction.atomic(durable=True):
        due = plan_due_reminders(run.as_of, pre_due_policy(arms), shard)
        queue_due_reminders(due, run_id, run.as_of)
    result.counts.update(due.counts)
    result.timings["pre_due"] += time.perf_counter() - clock
    clock = time.perf_counter()
    with transaction.atomic(durable=True):
        care = plan_care(run.as_of, pre_due_policy(arms), current_pack().calendar, result.sincere, shard)
        queue_care(care, run_id, run.as_of)
    result.counts.update(care.counts)
    result.timings["care"] += time.perf_counter() - clock
    # The process's high-water mark, Polars' buffers included; a shard process's own, not its parent's.
    result.peak_memory_mb = int(peak_memory_mb())
    return result


# Work items that the outbox carries out rather than a person.
AUTOMATIC_ACTIONS = tuple(action for action, queue in QUEUES.items() if queue == "auto")


def _hand_over_messages(run_id: int, written: pl.DataFrame) -> None:
    """Today's SMS, e-mails and letters go to the outbox in the same transaction as their work items.

    The rows just written are handed over from memory: reading a hundred thousand of them back through
    the ORM cost more than queuing them.
    """

    automatic = written.filter(pl.col("action").is_in(AUTOMATIC_ACTIONS)).select(
        "as_of", "case_id", "action", "template", "contact_point_id", "window_start"
    )
    enqueue_for_work_items((WorkItemRow(*row) for row in automatic.iter_rows()), run_id)


def open_run(as_of: date, arms: list[Arm], experiment: Experiment | None, *, forced: bool, shards: int) -> StrategyRun:
    """Records a real run as running, refusing a second one for the same day while the first is at work.

    Two runs of one day would each replace the other's pending items half-way; the database's partial
    unique index decides the race, so two web requests or a request and the beat task cannot both start.
    A run still "running" after RUN_STALE_AFTER died with its worker and no longer blocks the day.
    """
    now = clock.now()
    running = StrategyRun.objects.filter(as_of=as_of, dry_run=False, status=RunStatus.RUNNING)
    running.filter(started_at__lt=now - RUN_STALE_AFTER).update(
        status=RunStatus.FAILED, error="abandoned: still running long after its start", finished_at=now
    )
    try:
        with transaction.atomic():
            return StrategyRun.objects.create(
                as_of=as_of,
                policy_version=arms[0].version if forced else None,
                experiment=experiment,
                shards=shards,
            )
    except IntegrityError:
        other = running.first()
        raise RunInProgress(
            f"a run for {as_of} is already running"
            + (f" (run #{other.pk}, started {timezone.localtime(other.started_at):%H:%M})" if other else "")
        ) from None


def fail_run(run_id: int, exc: BaseException) -> None:
    StrategyRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).update(
        status=RunStatus.FAILED, error=repr(exc), finished_at=clock.now()
    )


def default_shards() -> int:
    return max(1, int(getattr(settings, "HUIKUAN_STRATEGY_SHARDS", 1)))


def finish_run(run_id: int, total: ShardResult, seconds: float) -> None:
    """Closes a run; ``seconds`` since it started. Phase timings are summed over the shards, and
    ``items`` is when the last shard's work items were committed (the outbox hand-over comes after)."""
    total.timings["total"] = seconds
    if total.items_committed_at:
        total.timings["items"] = max(0.0, total.items_committed_at - (time.time() - seconds))
    versions = PolicyVersion.objects.filter(pk__in=total.versions)
    versions.filter(first_used_at__isnull=True).update(first_used_at=clock.now())
    StrategyRun.objects.filter(pk=run_id).update(
        status=RunStatus.DONE,
        cases=total.cases,
        planned=total.planned,
        written=total.written,
        blocked=total.blocked,
        held=total.held,
        counts=dict(sorted(total.counts.items())),
        details={"gate": dict(total.gate), "unplanned": dict(total.unplanned)},
        timings={k: round(v, 3) for k, v in total.timings.items()},
        peak_memory_mb=max(int(peak_memory_mb()), total.peak_memory_mb),
        finished_at=clock.now(),
    )


def counts_table(counts: dict[str, int]) -> list[tuple[str, str, int]]:
    rows: list[tuple[str, str, int]] = []
    for key, n in counts.items():
        stage, _, action = key.partition("|")
        rows.append((stage, action, n))
    return sorted(rows)


def counts_diff(now: dict[str, int], before: dict[str, int]) -> list[tuple[str, str, int, int]]:
    """(stage, action, before, now) for every cell that differs from the last real run."""
    keys = sorted(set(now) | set(before))
    return [
        (*k.split("|", 1), before.get(k, 0), now.get(k, 0))  # type: ignore[misc]
        for k in keys
        if before.get(k, 0) != now.get(k, 0)
    ]
