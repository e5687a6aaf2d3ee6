"""What the first night's writes cost the database, against their floors: `python bench/write_floor.py`.

Run on a database the strategy benchmark filled (`bench/strategy.py --cases 1000000 --database-url …`): it
takes the shard's share of the first night's work items (case id even, as the first of two shards writes
them) and times, each in a transaction that is rolled back, after a CHECKPOINT (so every variant starts
with the same full-page writes to make):

1. their COPY into `strategy_workitem` as the run writes it (every index and trigger), then without the
   queue index, without any index but the primary key and the day's unique key, with no index at all (the
   heap alone), and into a temporary table (no WAL, no index: the parsing and the transfer). The WAL each
   writes is reported too.
2. the reassignment of as many cases as the shard's first night moves (each to another collector), through
   `cases.assignment.reassign_cases` (the update, its change log, the triggers), then the UPDATE alone, and
   the UPDATE without the cases' (assignee, status) index.

The differences are what the indexes, the change log and the triggers cost; the floor is what storing the
rows costs with nothing else done. The variants drop indexes inside their rolled-back transactions: run it on
a benchmark database only, nothing else using it. The WAL is measured on the server's position, so it counts
what other databases on the server write meanwhile: quote it from an otherwise idle server. Prints the
figures and ends with one JSON line (each variant's fastest run).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


class _RolledBack(Exception):
    """Raised to leave a timed transaction without keeping what it wrote."""


def _checkpoint() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CHECKPOINT")


def _timed(prepare: list[str], body: Any) -> tuple[float, float]:
    """Seconds and WAL MB of ``body(cursor)`` inside a transaction that first runs ``prepare`` and is rolled back."""
    from django.db import connection, transaction

    _checkpoint()
    seconds = wal = 0.0
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            for statement in prepare:
                cursor.execute(statement)
            cursor.execute("SELECT pg_current_wal_insert_lsn()")
            start = cursor.fetchone()[0]
            clock = time.perf_counter()
            body(cursor)
            seconds = time.perf_counter() - clock
            cursor.execute("SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), %s)", [start])
            wal = float(cursor.fetchone()[0]) / 2**20
            raise _RolledBack
    except _RolledBack:
        pass
    return round(seconds, 3), round(wal, 1)


def _indexes(table: str) -> dict[str, str]:
    """The table's indexes by name, and whether each backs a constraint (its name) or not ("")."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.relname, COALESCE(c.conname, '') FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
            " LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid AND c.conrelid = x.indrelid"
            " WHERE x.indrelid = %s::regclass",
            [table],
        )
        return dict(cursor.fetchall())


def _drops(table: str, keep: set[str]) -> list[str]:
    statements = []
    for index, constraint in _indexes(table).items():
        if index in keep:
            continue
        if constraint:
            statements.append(f'ALTER TABLE {table} DROP CONSTRAINT "{constraint}" CASCADE')
        else:
            statements.append(f'DROP INDEX "{index}"')
    return statements


def items_floor(repeat: int) -> dict[str, Any]:
    from django.db import connection

    from huikuan.strategy.models import WorkItem
    from huikuan.strategy.run import _WRITE_COLUMNS

    table = WorkItem._meta.db_table
    columns = ", ".join(_WRITE_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT as_of FROM {table} GROUP BY as_of ORDER BY count(*) DESC LIMIT 1")
        found = cursor.fetchone()
        if found is None:
            raise SystemExit("no work items: run bench/strategy.py on this database first")
        day = found[0]
        cursor.execute(f"SELECT max(as_of) FROM {table}")
        free_day = cursor.fetchone()[0] + timedelta(days=100)
        # The shard's rows as the run COPYs them (case order), moved to a day that holds none.
        shifted = columns.replace("as_of", "%(free)s::date AS as_of").replace("status", "'pending' AS status")
        data = io.BytesIO()
        raw = cursor.cursor
        with raw.copy(
            f"COPY (SELECT {shifted} FROM {table} WHERE as_of = %(day)s AND case_id %% 2 = 0"
            f" ORDER BY case_id, action) TO STDOUT",
            {"free": free_day, "day": day},
        ) as copy:
            for block in copy:
                data.write(block)
        rows = data.getvalue().count(b"\n")
    payload = data.getvalue()

    def copy_into(target: str) -> Any:
        def body(cursor: Any) -> None:
            with cursor.cursor.copy(f"COPY {target} ({columns}) FROM STDIN") as copy:
                copy.write(payload)

        return body

    primary = {name for name, constraint in _indexes(table).items() if constraint}
    variants: dict[str, tuple[list[str], str]] = {
        "as_run": ([], table),
        "without_queue_index": (['DROP INDEX IF EXISTS "work_item_queue"'], table),
        "keys_only": (_drops(table, primary), table),
        "heap_only": (_drops(table, set()), table),
        "temporary_table": (
            [f"CREATE TEMPORARY TABLE _floor ON COMMIT DROP AS SELECT * FROM {table} WITH NO DATA"],
            "_floor",
        ),
    }
    seconds: dict[str, list[float]] = {name: [] for name in variants}
    wal: dict[str, float] = {}
    for _ in range(repeat):
        for name, (prepare, target) in variants.items():
            took, written = _timed(prepare, copy_into(target))
            seconds[name].append(took)
            wal[name] = written
            print(f"items {name}: {took:.2f} s, WAL {written:.0f} MB", flush=True)
    return {
        "items_rows": rows,
        "items_csv_mb": round(len(payload) / 2**20, 1),
        "items_copy_s": {name: min(values) for name, values in seconds.items()},
        "items_wal_mb": wal,
    }


def reassign_floor(repeat: int) -> dict[str, Any]:
    from django.db import connection

    from huikuan.cases.assignment import reassign_cases
    from huikuan.cases.models import Case

    table = Case._meta.db_table
    with connection.cursor() as cursor:
        # The people already holding cases; each moved case goes to the next of them.
        cursor.execute(f"SELECT DISTINCT assignee_id FROM {table} WHERE assignee_id IS NOT NULL ORDER BY 1")
        people = [person for (person,) in cursor.fetchall()]
        if len(people) < 2:
            raise SystemExit("the benchmark's book has no collectors to move cases between")
        # As many moves as the shard's first night makes: 39% of its cases (~195,000 of 500,000 at 1M).
        cursor.execute(f"SELECT id, assignee_id FROM {table} WHERE id % 2 = 0 ORDER BY id")
        current = cursor.fetchall()
    current = current[: int(len(current) * 0.39)]
    following = {person: people[(position + 1) % len(people)] for position, person in enumerate(people)}
    moves = [(case_id, following.get(owner, people[0])) for case_id, owner in current]
    stage = "_floor_moves"

    def staged(cursor: Any) -> None:
        cursor.execute(f"CREATE TEMPORARY TABLE {stage} (case_id bigint, assignee_id bigint) ON COMMIT DROP")
        with cursor.cursor.copy(f"COPY {stage} (case_id, assignee_id) FROM STDIN") as copy:
            for row in moves:
                copy.write_row(row)
        cursor.execute(f"ANALYZE {stage}")

    def through_cases(cursor: Any) -> None:
        reassign_cases(moves, detail={"reason": "strategy run", "run": 0})

    def update_alone(cursor: Any) -> None:
        staged(cursor)
        cursor.execute(
            f"UPDATE {table} c SET assignee_id = s.assignee_id FROM {stage} s"
            " WHERE c.id = s.case_id AND c.assignee_id IS DISTINCT FROM s.assignee_id"
        )

    assignee_index = [
        f'DROP INDEX "{name}"'
        for name, constraint in _indexes(table).items()
        if not constraint and name.startswith(f"{table}_assigne")
    ]
    variants = {
        "as_run": ([], through_cases),
        "update_alone": ([], update_alone),
        "update_without_assignee_index": (assignee_index, update_alone),
    }
    seconds: dict[str, list[float]] = {name: [] for name in variants}
    wal: dict[str, float] = {}
    for _ in range(repeat):
        for name, (prepare, body) in variants.items():
            took, written = _timed(["SET LOCAL huikuan.snapshot_journal = 'off'", *prepare], body)
            seconds[name].append(took)
            wal[name] = written
            print(f"reassign {name}: {took:.2f} s, WAL {written:.0f} MB", flush=True)
    return {
        "reassigned": len(moves),
        "reassign_s": {name: min(values) for name, values in seconds.items()},
        "reassign_wal_mb": wal,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/bench_strategy")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each variant; the fastest is reported")
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huikuan.config.settings_demo")
    import django

    django.setup()
    figures: dict[str, Any] = {"benchmark": "write_floor", "repeat": args.repeat}
    figures.update(items_floor(args.repeat))
    figures.update(reassign_floor(args.repeat))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
