"""How the nightly snapshot read grows with the work items of earlier nights.

    PYTHONPATH=src .venv/bin/python bench/strategy_history.py --cases 100000 --nights 30

Every night writes one work item or more per open case, and the snapshot looks back over all of them for
the cases' earlier escalations and legal reviews ("escalated before"). This fills a fresh PostgreSQL
database with N cases' worth of work items for K earlier nights (a share of them hand-overs), then times
that look-back as the run makes it (`read_snapshot`, both shards of a two-shard run) with the partial
index `work_item_escalations` and again after dropping it. The cases themselves are not generated: the
look-back reads only the work items, and the other aggregates of an empty book cost nothing. Ends with
one JSON line.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from databases import fresh_database, setup_django

AS_OF = date(2026, 11, 20)

HISTORY_SQL = """
SELECT setseed(0.42);
INSERT INTO strategy_workitem (run_id, as_of, case_id, action, channel, template, rule, party, window_start,
                               window_end, priority, stage, behaviour, segment, queue, arm, policy_version_id,
                               reason, reason_en, status, created_at)
SELECT 1, DATE %(as_of)s - night, c, a.action, a.channel, '', 'bench', 'debtor', now(), now(), 0, 'M1',
       'normal', 'bench', a.queue, '', 1, '', '', 'done', now()
FROM generate_series(1, %(nights)s) night
CROSS JOIN generate_series(1, %(cases)s) c
CROSS JOIN LATERAL (
    SELECT CASE WHEN r < %(share)s / 2 THEN 'escalate_specialist' WHEN r < %(share)s THEN 'legal_review'
                WHEN r < 0.6 THEN 'sms' ELSE 'call' END AS action,
           CASE WHEN r < %(share)s THEN 'queue' WHEN r < 0.6 THEN 'sms' ELSE 'call' END AS channel,
           CASE WHEN r < %(share)s THEN 'specialist' ELSE 'collector' END AS queue
    FROM (SELECT random() + 0 * c + 0 * night AS r) x
) a;
"""


def time_look_back(as_of: date) -> float:
    from huikuan.strategy.snapshot import Shard, read_snapshot

    started = time.perf_counter()
    for index in range(2):
        read_snapshot(as_of, Shard(index, 2))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--nights", type=int, default=30)
    parser.add_argument("--share", type=float, default=0.02, help="share of the items that are hand-overs")
    args = parser.parse_args()
    setup_django(fresh_database("postgres", "huikuan_bench_strategy_history"))
    from django.db import connection, transaction

    started = time.perf_counter()
    with connection.cursor() as cursor:
        for statement in filter(str.strip, HISTORY_SQL.split(";")):
            cursor.execute(
                statement,
                {"as_of": AS_OF.isoformat(), "nights": args.nights, "cases": args.cases, "share": args.share},
            )
        # What autovacuum does after a night's insert: statistics, and the visibility map that lets an
        # index-only scan skip the table.
        cursor.execute("VACUUM ANALYZE strategy_workitem")
        cursor.execute(
            "SELECT count(*), count(*) FILTER (WHERE action IN ('escalate_specialist', 'legal_review'))"
            " FROM strategy_workitem"
        )
        items, handovers = cursor.fetchone()
        cursor.execute("SELECT pg_relation_size('work_item_escalations'), pg_relation_size('strategy_workitem')")
        index_bytes, table_bytes = cursor.fetchone()
    print(
        f"history: {items:,} work items over {args.nights} nights ({handovers:,} hand-overs) "
        f"in {time.perf_counter() - started:.1f}s; table {table_bytes / 1e6:.0f} MB, "
        f"escalation index {index_bytes / 1e6:.1f} MB"
    )
    figures: dict[str, object] = {
        "benchmark": "strategy_history",
        "cases": args.cases,
        "nights": args.nights,
        "work_items": items,
        "handovers": handovers,
        "index_mb": round(index_bytes / 1e6, 2),
    }
    # The look-back runs in the run's own transaction shape (SET LOCAL inside read_snapshot).
    for label in ("with_index", "without_index"):
        with transaction.atomic():
            time_look_back(AS_OF)  # warm the cache: both runs read from memory
            seconds = min(time_look_back(AS_OF) for _ in range(3))
        print(f"look-back {label.replace('_', ' ')}: {seconds:.3f}s (best of 3, both shards)")
        figures[f"{label}_s"] = round(seconds, 3)
        if label == "with_index":
            with connection.cursor() as cursor:
                cursor.execute("DROP INDEX work_item_escalations")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
