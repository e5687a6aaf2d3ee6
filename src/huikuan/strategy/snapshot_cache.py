"""A shard's snapshot kept between runs, so a re-run, or the next night, reads only the cases that changed.

PostgreSQL only; the tables and triggers are migration strategy 0011's. The first run of a day reads the
whole history of its shard (``snapshot.read_history``) and keeps it, with the database snapshot it was read
under (``pg_current_snapshot()``, taken before the first query). Every table the history reads journals the
cases and debtors each statement touches, with its transaction id. A re-run the same day takes the kept
history, asks the journal which cases changed in transactions the kept read did not see
(``pg_visible_in_snapshot``: whether they committed before or after the read, whatever their order of ids),
reads those cases again and puts them in place. A case that left collection comes back from that read as no
row and drops out; a new case comes in. The night's scores are joined afresh every time (the scoring step
rewrites them whole).

The next night starts from the last night's history the same way: brought forward to its day
(``snapshot.carried_forward``: the cases a bound that moves with the day changes are read again too, and the
kept night's escalations ORed in), without the kept day's items or hand-over (the new day writes and hands
over its own whole). The journal skips the interactions the snapshot does not count (migration 0014).

What keeps it right:
- a TRUNCATE of any journaled table journals "everything": no kept history survives it;
- the run's own write (today's items, which no history reads, and the assignees it deals) is not journaled;
  the assignees are patched into the history it keeps in that same transaction, or the kept one is dropped;
  it keeps the items it left pending too: the re-run compares its plan with them and rewrites only the cases
  whose items differ or that the journal names (a collector's finished item is a journaled change);
- a compaction at the start of each run drops the journal rows every kept history has seen, and histories
  of a later day (a run for a past day), another code version or another shard count; it advances an
  epoch, and a history read before a compaction is not kept after it (the journal rows it would need may
  be gone);
- the kept history carries a version of the code that read it (the SQL's module and the sets it inlines):
  a deployment in the day reads whole again.
Anything unusual (no kept history, the journal says "everything", more than a fifth of the shard changed)
reads the whole shard, as without the cache.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
from django.conf import settings
from django.db import connection, transaction
from django.db.utils import OperationalError

from huikuan.db.bulkread import bulk_reads
from huikuan.kernel.strategy.policy import ESCALATIONS
from huikuan.portfolio.models import default_time_zone
from huikuan.strategy import snapshot
from huikuan.strategy.snapshot import Shard, carried_forward, read_history, with_risk_scores

CACHE, JOURNAL, EPOCH = "strategy_snapshotcache", "strategy_snapshotchange", "strategy_snapshot_epoch"
CASE = snapshot.CASE
# Compaction (exclusive) against keeping a history (shared): one never sees half of the other.
_LOCK = 0x68756B73  # "huks"
# Past this share of changed cases a whole read is as cheap as reading them one by one, and surer.
REREAD_LIMIT = 0.2


def code_version() -> str:
    """What the kept history depends on besides the data: the queries' module and what they inline."""
    digest = hashlib.sha256(Path(snapshot.__file__).read_bytes())
    digest.update(
        repr(
            (
                snapshot.HISTORY_SCHEMA,
                snapshot.OPEN_STATUSES,
                snapshot.FAILED_OUTCOMES,
                snapshot.UNREACHABLE_VISITS,
                snapshot.ABUSIVE,
                ESCALATIONS,
                default_time_zone(),
                settings.TIME_ZONE,
                pl.__version__,  # the kept items' digests are Polars hashes
            )
        ).encode()
    )
    return digest.hexdigest()[:32]


@dataclass
class Taken:
    """A shard's snapshot as the run reads it, and what keeping its history needs."""

    frame: pl.DataFrame  # SNAPSHOT_SCHEMA, the run's input
    history: pl.DataFrame  # HISTORY_SCHEMA: what is kept
    taken: str | None = None  # the database snapshot the history is as of; None: not to be kept
    epoch: int = 0
    cached: bool = False  # the history started from a kept one
    changed: list[int] = field(default_factory=list)  # the cases read again on top of it
    # The day's items the run that kept the history left pending (run.item_digests of its written rows).
    items: pl.DataFrame | None = None
    kept: str | None = None  # the database snapshot the kept history was read under (a cached one's)
    # The queuing state (comms.feeds.queuing_state) under which that run's hand-over to the outbox completed;
    # None: it did not complete (or nothing was kept).
    handed_over: str | None = None
    # The history started from one kept by a run of the same day (False: of an earlier day, or none).
    same_day: bool = False

    @property
    def reread(self) -> int:
        return len(self.changed)


def in_use() -> bool:
    return connection.vendor == "postgresql"


def _own_transaction() -> bool:
    """Whether the read gets a transaction of its own. Inside a caller's (a test's), the journal rows of that
    transaction's own writes would look seen to the snapshot it reads under: nothing is taken or kept."""
    return in_use() and not connection.in_atomic_block


def take_snapshot(as_of: date, shard: Shard) -> Taken:
    """The shard's snapshot: the kept history with the changed cases read again, or read whole."""
    if not _own_transaction():
        with bulk_reads():
            whole = read_history(as_of, shard)
            return Taken(with_risk_scores(whole, as_of, shard), whole)
    with bulk_reads(), connection.cursor() as cursor:
        # First, before any read: whatever this snapshot does not see, a later re-run must read again.
        cursor.execute(f"SELECT pg_current_snapshot()::text, (SELECT last_value FROM {EPOCH})")
        taken, epoch = cursor.fetchone()
        cursor.execute(
            f"SELECT taken::text, history, items, handed_over, as_of FROM {CACHE}"
            " WHERE shard_index = %s AND shard_count = %s AND as_of <= %s AND version = %s",
            [shard.index, shard.count, as_of, code_version()],
        )
        kept = cursor.fetchone()
        if kept is not None:
            changed = _changed_cases(cursor, kept[0], shard)
            same_day = kept[4] == as_of
            before = pl.read_ipc(io.BytesIO(bytes(kept[1])))
            if changed is not None and not same_day:
                # An earlier day's history: brought to this day, with the cases whose rows changed since and
                # those the day's move changes read again.
                before, moved = carried_forward(before, kept[4], as_of, shard)
                changed = sorted(set(changed).union(moved))
            if changed is not None and len(changed) <= REREAD_LIMIT * max(before.height, 1):
                history = before
                if changed:
                    fresh = read_history(as_of, shard, changed)
                    history = pl.concat([before.filter(~pl.col("case_id").is_in(changed)), fresh]).sort("case_id")
                # The items the kept run left pending and its hand-over are that day's: another day's run writes
                # and hands over its own whole.
                items = None if kept[2] is None or not same_day else pl.read_ipc(io.BytesIO(bytes(kept[2])))
                frame = with_risk_scores(history, as_of, shard)
                return Taken(
                    frame, history, taken, int(epoch), cached=True, changed=changed, items=items, kept=kept[0],
                    handed_over=kept[3] if same_day else None, same_day=same_day,
                )  # fmt: skip
        history = read_history(as_of, shard)
        return Taken(with_risk_scores(history, as_of, shard), history, taken, int(epoch))


def _changed_cases(cursor: Any, taken: str, shard: Shard) -> list[int] | None:
    """The shard's cases that changed in transactions ``taken`` does not see; None: everything may have.

    A journaled case id counts as it is (a deleted case must leave the kept history); a debtor's change
    counts for the debtor's case."""
    cursor.execute(
        f"SELECT case_id, debtor_id FROM {JOURNAL} WHERE NOT pg_visible_in_snapshot(xid, %s::pg_snapshot)"
        " AND case_id IS NULL AND debtor_id IS NULL LIMIT 1",
        [taken],
    )
    if cursor.fetchone() is not None:
        return None
    cursor.execute(
        f"""WITH changed AS (SELECT DISTINCT case_id, debtor_id FROM {JOURNAL}
                             WHERE NOT pg_visible_in_snapshot(xid, %(taken)s::pg_snapshot))
            SELECT case_id FROM changed WHERE case_id IS NOT NULL{shard.where("case_id")}
            UNION
            SELECT c.id FROM {CASE} c JOIN changed j ON j.debtor_id = c.debtor_id WHERE TRUE{shard.where("c.id")}""",
        {"taken": taken},
    )
    return sorted(row[0] for row in cursor.fetchall())


def hold_journal() -> None:
    """The run's write transaction: its own changes are not journaled (see the module's docstring).

    Call ``keep_history`` before that transaction ends, whatever the shard wrote."""
    if in_use():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL huikuan.snapshot_journal = 'off'")


def keep_history(as_of: date, shard: Shard, taken: Taken, assignees: pl.DataFrame, items: pl.DataFrame) -> bool:
    """Keep the shard's history, with the assignees the run deals (case_id, chosen), and the day's items it
    leaves pending (their digests: case_id, action, digest), in the run's write transaction. Returns whether
    it was kept; when not, the shard's earlier history is dropped (this transaction's writes are not
    journaled: it would be stale)."""
    if not in_use():
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [_LOCK])
        cursor.execute(f"SELECT last_value FROM {EPOCH}")
        row = cursor.fetchone()
        if taken.taken is None or row is None or int(row[0]) != taken.epoch:
            cursor.execute(
                f"DELETE FROM {CACHE} WHERE shard_index = %s AND shard_count = %s", [shard.index, shard.count]
            )
            return False
        history = taken.history
        if assignees.height:
            dealt = assignees.select("case_id", "chosen")
            history = (
                history.join(dealt, on="case_id", how="left", maintain_order="left")
                .with_columns(
                    pl.coalesce("chosen", "assignee_id").cast(history.schema["assignee_id"]).alias("assignee_id")
                )
                .drop("chosen")
            )
        kept_history, kept_items = io.BytesIO(), io.BytesIO()
        history.write_ipc(kept_history, compression="lz4")
        items.write_ipc(kept_items, compression="lz4")
        # psycopg's own cursor: `%b` sends the bytes as binary, not as a hex string twice their size.
        with connection.wrap_database_errors:
            cursor.cursor.execute(
                f"INSERT INTO {CACHE} (shard_index, shard_count, as_of, version, taken, history, items)"
                " VALUES (%s, %s, %s, %s, %s::pg_snapshot, %b, %b)"
                " ON CONFLICT (shard_index, shard_count) DO UPDATE SET as_of = EXCLUDED.as_of,"
                " version = EXCLUDED.version, taken = EXCLUDED.taken, history = EXCLUDED.history,"
                " items = EXCLUDED.items, handed_over = NULL, created_at = now()",
                [
                    shard.index,
                    shard.count,
                    as_of,
                    code_version(),
                    taken.taken,
                    kept_history.getvalue(),
                    kept_items.getvalue(),
                ],
            )
    return True


def mark_handed_over(shard: Shard, taken: Taken, state: str) -> None:
    """In the hand-over's transaction: the history kept for the shard now stands for a completed hand-over of
    the run's items under ``state`` (comms.feeds.queuing_state). That is the history this run kept, or the
    one it started from when it kept none (nothing had changed); a history kept by a later run is left alone."""
    if not in_use() or taken.taken is None:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {CACHE} SET handed_over = %s WHERE shard_index = %s AND shard_count = %s"
            " AND taken::text IN (%s, %s)",
            [state, shard.index, shard.count, taken.taken, taken.kept or taken.taken],
        )


def compact(as_of: date, shards: int) -> None:
    """Before a run's shards read: drop kept histories it cannot use and journal rows no history needs."""
    if not in_use():
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK])
        cursor.execute(f"SELECT nextval('{EPOCH}')")
        cursor.execute(
            f"DELETE FROM {CACHE} WHERE as_of > %s OR version <> %s OR shard_count <> %s",
            [as_of, code_version(), shards],
        )
        cursor.execute(f"SELECT min(pg_snapshot_xmin(taken)) FROM {CACHE}")
        oldest = cursor.fetchone()[0]
        if oldest is not None:
            # Transactions older than every kept snapshot's oldest running one are seen by all of them.
            cursor.execute(f"DELETE FROM {JOURNAL} WHERE xid < %s::xid8", [str(oldest)])
            return
        # Nothing kept: no row is needed. TRUNCATE (an import's millions of rows) waits for the writers in
        # flight, whose rows then go too, which is right (the epoch turns away histories read before now); a
        # long writer is not waited for: its rows stay, the finished ones are deleted.
        try:
            with transaction.atomic():
                cursor.execute("SET LOCAL lock_timeout = '2s'")
                cursor.execute(f"TRUNCATE {JOURNAL}")
        except OperationalError:
            cursor.execute(f"DELETE FROM {JOURNAL} WHERE xid < pg_snapshot_xmin(pg_current_snapshot())")
