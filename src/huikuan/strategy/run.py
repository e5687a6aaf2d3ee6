"""The nightly strategy run: snapshot → policy per arm → contact gate → queue assignment → work items.

``run_strategy`` is the use case behind the command, the Celery beat task and the API. It shards by case
id: each shard reads its cases, evaluates, asks the gate and replaces that day's pending items for its
cases in one transaction. Where the shards run (in-process, child processes, Celery workers) is
executors.py's business: this module knows only one shard's work and the run's bookkeeping.

Idempotent for a day: a re-run makes the day's pending items of its cases what it planned, deleting and
inserting only the items that differ; items already done or cancelled that day are left alone and not
planned twice.
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
from django.db.models.functions import Mod
from django.utils import timezone
from django.utils.module_loading import import_string

from huikuan import clock
from huikuan.cases.assignment import reassign_cases
from huikuan.comms.feeds import WorkItemRow, enqueue_for_work_items, queuing_state
from huikuan.compliance.pack import current_pack
from huikuan.db.bulkread import id_array_literal
from huikuan.kernel.contacts import SELF
from huikuan.kernel.strategy.arms import assign_arms
from huikuan.kernel.strategy.evaluate import PLANNED_SCHEMA, QUEUES, evaluate
from huikuan.kernel.strategy.gate import (
    KNOWN_CLOSED,
    KNOWN_COLUMNS,
    KNOWN_POINT_KIND,
    KNOWN_POINT_RELATION,
    KNOWN_TZ,
    ContactGate,
)
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
from huikuan.strategy.snapshot_cache import (
    hold_journal,
    keep_history,
    mark_handed_over,
    take_snapshot,
)

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
    # Work items the run inserted and pending ones it deleted: on a re-run, only those that changed.
    inserted: int = 0
    deleted: int = 0
    # Shards that started from the history an earlier run of the day kept, and the cases they read again.
    cached: int = 0
    reread: int = 0
    # The day's items offered to the outbox's hand-over (a re-run after a completed one: the changed cases').
    handed_over: int = 0

    def add(self, other: ShardResult) -> None:
        for name in (
            "cases", "planned", "written", "blocked", "held", "inserted", "deleted", "cached", "reread", "handed_over",
        ):  # fmt: skip
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

    _SCALARS = (
        "cases", "planned", "written", "blocked", "held", "inserted", "deleted", "cached", "reread",
        "handed_over", "items_committed_at", "peak_memory_mb",
    )  # fmt: skip

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
    snapshot: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, ShardResult]:
    """Read (unless ``snapshot`` is given) and evaluate one shard: the allowed items (PLANNED_SCHEMA + arm,
    policy_version_id)."""
    result = ShardResult()
    clock = time.perf_counter()
    shard = shard or Shard()
    if snapshot is None:
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
    decided = (gate or contact_gate())(with_known_facts(planned, snapshot))
    blocked = decided.filter(~pl.col("allowed"))
    result.gate.update(dict(blocked.group_by("gate_reason").len().iter_rows()))
    result.blocked = blocked.height
    allowed = decided.filter(pl.col("allowed")).drop("allowed", "gate_reason", *KNOWN_COLUMNS, strict=False)
    result.timings["gate"] += time.perf_counter() - clock
    result.planned = allowed.height
    result.counts.update(
        {f"{stage}|{action}": n for stage, action, n in allowed.group_by("stage", "action").len().iter_rows()}
    )
    return allowed, result


# The snapshot's columns of the debtor's own points, by the stored kind each holds (snapshot.py's query).
_OWN_POINT_COLUMNS = {"mobile_id": "mobile", "home_id": "home", "work_id": "work", "email_id": "email",
                      "postal_id": "postal"}  # fmt: skip


def with_known_facts(planned: pl.DataFrame, snapshot: pl.DataFrame) -> pl.DataFrame:
    """The planned items with the facts the snapshot already holds, as the gate's ``known_*`` columns.

    The debtor's zone is the snapshot's; its cases are all in collection, so none is closed; a planned point
    that is one of the snapshot's own points has that column's kind and is the debtor's own. A third party's
    number is left unknown (the snapshot does not keep its relation): the gate reads those few.
    """
    if planned.is_empty():
        return planned
    own = snapshot.select("case_id", "time_zone", *_OWN_POINT_COLUMNS)
    point = pl.col("contact_point_id")
    kind = pl.lit(None, pl.Utf8)
    for column, name in reversed(_OWN_POINT_COLUMNS.items()):
        kind = pl.when(point.is_not_null() & (point == pl.col(column))).then(pl.lit(name)).otherwise(kind)
    return (
        planned.join(own, on="case_id", how="left")
        .with_columns(
            pl.col("time_zone").alias(KNOWN_TZ),
            pl.when(pl.col("time_zone").is_not_null()).then(pl.lit(False)).alias(KNOWN_CLOSED),
            kind.alias(KNOWN_POINT_KIND),
        )
        .with_columns(pl.when(pl.col(KNOWN_POINT_KIND).is_not_null()).then(pl.lit(SELF)).alias(KNOWN_POINT_RELATION))
        .drop("time_zone", *_OWN_POINT_COLUMNS)
    )


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


def prepare_items(run_id: int, as_of: date, items: pl.DataFrame) -> pl.DataFrame:
    """The rows the shard's plan asks for (``_WRITE_COLUMNS``), less what was already done or cancelled today.

    Inside the caller's transaction; ``_write`` then makes the day's pending items of the shard these rows.
    """
    # What was already done or cancelled today stays; it is not planned a second time.
    settled = pl.DataFrame(
        list(WorkItem.objects.filter(as_of=as_of).exclude(status=WorkStatus.PENDING).values_list("case_id", "action")),
        schema={"case_id": pl.Int64, "action": pl.Utf8},
        orient="row",
    )
    if settled.height:
        items = items.join(settled, on=["case_id", "action"], how="anti")
    return _rows(run_id, as_of, items)


# What makes two pending items of a day the same item: everything the run writes but its run, its creation
# time and its status (pending on both sides). A re-run leaves an item equal in these alone, with the run that
# planned it first: rewriting a million unchanged rows left as many dead tuples and index entries for the next
# night, and gave an item a collector had open a new row.
_SAME_ITEM = tuple(
    c for c in _WRITE_COLUMNS if c not in ("run_id", "created_at", "status", "as_of", "case_id", "action")
)
_PLANNED_TABLE = "strategy_planned_items"


def item_digests(rows: pl.DataFrame) -> pl.DataFrame:
    """(case_id, action, digest): each row's ``_SAME_ITEM`` columns hashed, what a re-run compares its plan
    with. Polars' hash is stable for one version of Polars (the kept history's code version names it)."""
    return rows.select("case_id", "action", pl.struct(list(_SAME_ITEM)).hash(seed=23).alias("digest"))


def differing_cases(planned: pl.DataFrame, pending: pl.DataFrame) -> set[int]:
    """The cases whose planned rows (their ``item_digests``) are not exactly those ``pending`` describes."""
    added = planned.join(pending, on=["case_id", "action", "digest"], how="anti")
    gone = pending.join(planned, on=["case_id", "action", "digest"], how="anti")
    return set(pl.concat([added, gone]).get_column("case_id").unique().to_list())


@dataclass
class Rewrite:
    """How the day's pending items of a shard changed: rows inserted and rows deleted."""

    inserted: int = 0
    deleted: int = 0


def _pending(as_of: date, shard: Shard) -> Any:
    """The day's pending items of the shard (a queryset)."""
    pending = WorkItem.objects.filter(as_of=as_of, status=WorkStatus.PENDING)
    if shard.count > 1:
        pending = pending.annotate(_shard=Mod("case_id", shard.count)).filter(_shard=shard.index)
    return pending


def _replace_pending_pg(
    cursor: Any, as_of: date, rows: pl.DataFrame, shard: Shard, candidates: set[int] | None = None
) -> Rewrite:
    """PostgreSQL: the plan COPYed into a temporary table, then one DELETE of the pending items it no longer
    holds as they are and one INSERT of its rows not pending yet. A first night (nothing pending) COPYs
    straight into the table. ``candidates``: the only cases whose items can differ (the rest are left)."""
    table = WorkItem._meta.db_table
    where = "w.as_of = %(as_of)s AND w.status = %(pending)s" + shard.where("w.case_id")
    params: dict[str, Any] = {"as_of": as_of, "pending": WorkStatus.PENDING.value}
    if candidates is not None:
        if not candidates:
            return Rewrite()
        where += " AND w.case_id = ANY(%(candidates)s::bigint[])"
        params["candidates"] = id_array_literal(sorted(candidates))
        rows = rows.filter(pl.col("case_id").is_in(sorted(candidates)))
    cursor.execute(f"SELECT count(*) FROM {table} w WHERE {where}", params)
    pending = cursor.fetchone()[0]
    if not pending:
        _copy_items(cursor, rows, table)
        return Rewrite(inserted=rows.height)
    columns = ", ".join(_WRITE_COLUMNS)
    cursor.execute(f"DROP TABLE IF EXISTS {_PLANNED_TABLE}")
    # Temporary: no WAL, no index, gone at the commit.
    cursor.execute(
        f"CREATE TEMPORARY TABLE {_PLANNED_TABLE} ON COMMIT DROP AS SELECT {columns} FROM {table} WITH NO DATA"
    )
    _copy_items(cursor, rows, _PLANNED_TABLE)
    cursor.execute(f"ANALYZE {_PLANNED_TABLE}")
    # The day's items were written after the table's statistics were taken, which then count next to none of
    # them; the planner would anti-join half a million items by a nested loop over the planned rows (a
    # re-run's DELETE ran for over ten minutes at 1M cases). Hash joins, for these two statements only, with
    # the memory to hold half a million planned rows without spilling.
    cursor.execute("SET LOCAL enable_nestloop = off")
    cursor.execute("SET LOCAL work_mem = '256MB'")
    same = " AND ".join(f"t.{c} IS NOT DISTINCT FROM w.{c}" for c in _SAME_ITEM)
    cursor.execute(
        (
            f"DELETE FROM {table} w WHERE {where} AND NOT EXISTS (SELECT 1 FROM {_PLANNED_TABLE} t"
            f" WHERE t.case_id = w.case_id AND t.action = w.action AND {same})"
        ),
        params,
    )
    deleted = cursor.rowcount
    # What is left pending under a planned row's key is that row unchanged (the key is unique for the day, and
    # done or cancelled items were taken out of the plan). So when as many are left as were planned, each
    # planned row is among them and there is nothing to insert: a re-run after a day without change.
    inserted = 0
    if pending - deleted != rows.height:
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {_PLANNED_TABLE} t WHERE NOT EXISTS"
            f" (SELECT 1 FROM {table} w WHERE w.as_of = t.as_of AND w.case_id = t.case_id AND w.action = t.action)"
        )
        inserted = cursor.rowcount
    cursor.execute("SET LOCAL enable_nestloop TO DEFAULT")
    cursor.execute("SET LOCAL work_mem TO DEFAULT")
    return Rewrite(inserted=inserted, deleted=deleted)


def _replace_pending_orm(as_of: date, rows: pl.DataFrame, shard: Shard) -> Rewrite:
    """SQLite: the same difference, worked out in Python (a test database's few hundred items)."""
    pending = _pending(as_of, shard)
    before = {(r[1], r[2]): (r[0], r[3:]) for r in pending.values_list("id", "case_id", "action", *_SAME_ITEM)}
    keep: set[int] = set()
    fresh: list[WorkItem] = []
    for row in rows.iter_rows(named=True):
        found = before.get((row["case_id"], row["action"]))
        if found is not None and found[1] == tuple(row[c] for c in _SAME_ITEM):
            keep.add(found[0])
        else:
            fresh.append(WorkItem(**row))
    gone = [pk for pk, _ in before.values() if pk not in keep]
    for start in range(0, len(gone), 500):
        WorkItem.objects.filter(pk__in=gone[start : start + 500]).delete()
    WorkItem.objects.bulk_create(fresh, batch_size=2000)
    return Rewrite(inserted=len(fresh), deleted=len(gone))


def _copy_items(cursor: Any, rows: pl.DataFrame, table: str) -> None:
    """COPY the rows into ``table``; ``cursor`` is a psycopg cursor of the run's transaction."""
    if rows.height == 0:
        return
    buffer = io.BytesIO()
    rows.write_csv(buffer, include_header=False, datetime_format="%Y-%m-%dT%H:%M:%S%.f+00:00")
    buffer.seek(0)
    text_columns = ("party", "arm", "segment", "reason", "reason_en", "template", "rule", "goal")
    sql = (
        f"COPY {table} ({', '.join(_WRITE_COLUMNS)}) FROM STDIN WITH "
        f"(FORMAT csv, FORCE_NOT_NULL ({', '.join(text_columns)}))"
    )
    with cursor.copy(sql) as copy:
        while block := buffer.read(1 << 20):
            copy.write(block)


def _reassign(run_id: int, changed: pl.DataFrame) -> None:
    """The cases the deal gave to someone new, moved through cases' bulk reassignment (audited)."""
    reassign_cases(changed.select("case_id", "chosen").iter_rows(), detail={"reason": "strategy run", "run": run_id})


def _write(
    run_id: int,
    as_of: date,
    shard: Shard,
    rows: pl.DataFrame,
    changed: pl.DataFrame,
    timings: dict[str, float],
    candidates: set[int] | None = None,
) -> Rewrite:
    """Make the day's pending items of the shard ``rows``, touching only those that differ, and move the cases
    dealt to someone new. ``candidates`` (PostgreSQL): the only cases whose pending items can differ."""
    clock = time.perf_counter()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            rewrite = _replace_pending_pg(cursor.cursor, as_of, rows, shard, candidates)
    else:
        rewrite = _replace_pending_orm(as_of, rows, shard)
    timings["write"] += time.perf_counter() - clock
    clock = time.perf_counter()
    _reassign(run_id, changed)
    timings["assignees"] += time.perf_counter() - clock
    return rewrite


def run_shard(run_id: int, shard: Shard, *, rebalance: bool = False) -> ShardResult:
    """One shard of a real run: plan, assign, write. The unit a Celery worker takes."""
    run = StrategyRun.objects.select_related("policy_version", "experiment").get(pk=run_id)
    arms, experiment = resolve_arms(run.policy_version.label if run.policy_version else None)
    clock = time.perf_counter()
    # A run starts from the history the last run kept (strategy.snapshot_cache): a re-run the same day, or the
    # next night, reading again only the cases that changed or that the day's move changes.
    taken = take_snapshot(run.as_of, shard)
    read_s = time.perf_counter() - clock
    allowed, result = plan(run.as_of, arms, experiment, shard, snapshot=taken.frame)
    result.timings["read"] += read_s
    result.cached, result.reread = int(taken.cached), taken.reread
    clock = time.perf_counter()
    items, changed = assign_queue(allowed, rebalance)
    result.timings["assign"] += time.perf_counter() - clock
    clock = time.perf_counter()
    with transaction.atomic(durable=True):
        hold_journal()
        rows = prepare_items(run_id, run.as_of, items)
        result.written = rows.height
        result.versions = set(rows.get_column("policy_version_id").unique().to_list())
        # With the items the day's last run left pending: only the cases the journal names or whose planned
        # items differ from those can differ from what is pending now.
        # Hashed once: compared with what the last run left pending, and kept for the next run to compare.
        digests = item_digests(rows)
        differing = None if taken.items is None else differing_cases(digests, taken.items)
        candidates = None if differing is None else set(taken.changed) | differing
        result.timings["write"] += time.perf_counter() - clock
        rewrite = _write(run_id, run.as_of, shard, rows, changed, result.timings, candidates)
        result.inserted, result.deleted = rewrite.inserted, rewrite.deleted
        clock = time.perf_counter()
        # In this transaction: its reassignments are in the kept history, or no history is kept. A re-run that
        # found nothing changed and wrote nothing leaves the kept one as it is: it still describes the shard
        # (the journal rows since its snapshot are read again next time too, which is all the difference).
        if not (taken.same_day and not taken.changed and changed.is_empty() and not rewrite.inserted + rewrite.deleted):
            keep_history(run.as_of, shard, taken, changed, digests)
        result.timings["keep"] += time.perf_counter() - clock
        clock = time.perf_counter()
    # Deferred constraints (the new assignees' users) are checked and the WAL flushed here.
    result.timings["commit"] += time.perf_counter() - clock
    result.items_committed_at = time.time()
    # The outbox gets today's messages in a transaction of its own: the collectors' queues stand even if a
    # message cannot be queued tonight (the run is then marked failed), and a re-run queues what is
    # missing and nothing twice (the idempotency keys).
    clock = time.perf_counter()
    state = queuing_state()
    with transaction.atomic(durable=True):
        # After the last run's completed hand-over under the same templates and code, only the cases whose
        # data (the journal's; a debtor has one case) or items changed since can add a message: the others'
        # are in the outbox or were left out, for want of a point or a value, as before.
        again = candidates if taken.handed_over == state else None
        handed = rows if again is None else rows.filter(pl.col("case_id").is_in(sorted(again)))
        _hand_over_messages(run_id, handed)
        mark_handed_over(shard, taken, state)
    result.handed_over = handed.height
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
        details={
            "gate": dict(total.gate),
            "unplanned": dict(total.unplanned),
            # The items this run inserted and the pending ones it deleted (a re-run: only what changed).
            "inserted": total.inserted,
            "deleted": total.deleted,
            # Shards that started from a kept history, and the changed cases they read again.
            "snapshot": {"cached_shards": total.cached, "reread": total.reread},
            # The day's items offered to the outbox (all of them unless a completed hand-over stood).
            "handed_over": total.handed_over,
        },
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
