"""Account import speed: rows/s for a generated 100,000-row file into SQLite and into PostgreSQL.

    .venv/bin/python bench/import_accounts.py --rows 100000
Each backend runs in its own process on a fresh database; a second import of the same file (the idempotent
replay) is timed too. On PostgreSQL the same process first COPYs the same file into one table of text
columns, the floor no import of it can beat, and the import is given as a multiple of it
(`copy_floor_s`, `ratio_over_copy`): the ratio is what the machine's load changes least. Ends with one
JSON line of figures. Goals (issue 23): at least 20,000 rows/s into PostgreSQL, at most 15 × the COPY
floor, a replay in at most 3 s.

After the replay, `store_floor_s` is the time to COPY the rows the import wrote (debtors, contact points,
accounts, balances, ledger entries, cases) straight back into their own tables, with their indexes,
constraints and foreign keys, in a transaction rolled back: the cost of storing the result alone, which no
import of the file can beat; `ratio_over_store` is the import over it. `small_replay_s` is the file's first
2,000 rows imported again against the whole book (the stored hashes looked up by the file's keys).

The import validates in a worker process beside the writing one (see docs/import.md), so
the figures need two free cores; on a shared machine note the load average with them. `peak_rss_mb` is the
importing process's own peak (the worker holds one chunk at a time and is not counted).
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from databases import fresh_database, peak_rss_mb, setup_django

SMALL_ROWS = 2_000


def make_file(rows: int, path: Path) -> int:
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huikuan.config.settings_demo")
    from huikuan.intake.generator import PortfolioGenerator, write_import_csv

    debtors = []
    generator = PortfolioGenerator(1, date(2026, 11, 20))
    count = 0
    for debtor in generator.debtors(rows):
        debtors.append(debtor)
        count += len(debtor.accounts)
        if count >= rows:
            break
    return write_import_csv(debtors, path)


def copy_floor(path: Path) -> float:
    """Seconds to COPY the file, as it is, into a table of text columns: reading and storing its bytes."""
    from django.db import connection

    with path.open(encoding="utf-8-sig") as handle:
        header = next(csv.reader(handle))
    columns = ", ".join(f"c{i} text" for i in range(len(header)))
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE bench_copy_floor ({columns})")
        raw = cursor.cursor
        started = time.perf_counter()
        with (
            path.open("rb") as handle,
            raw.copy("COPY bench_copy_floor FROM STDIN WITH (FORMAT csv, HEADER true)") as copy,
        ):
            for block in iter(lambda: handle.read(1 << 20), b""):
                copy.write(block)
        seconds = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_copy_floor")
    return seconds


def store_floor() -> float:
    """Seconds to COPY the rows the import wrote, as they are, back into their own tables: storing the result
    with every index, constraint and foreign key the import maintains (checked at each row, as the import
    checks them), but nothing read, validated, joined or compared. No import of the file can beat it without
    dropping an index or a constraint. Measured in a transaction that is rolled back."""
    from django.db import connection, transaction

    from huikuan.cases.models import Case
    from huikuan.portfolio.models import Account, AccountBalance, ContactPoint, Debtor, LedgerEntry

    # In the order the import writes them (each table's parents first).
    tables = [m._meta.db_table for m in (Debtor, ContactPoint, Account, AccountBalance, LedgerEntry, Case)]
    with tempfile.TemporaryDirectory() as folder, connection.cursor() as cursor:
        raw = cursor.cursor
        for table in tables:
            with (Path(folder) / table).open("wb") as handle, raw.copy(f"COPY {table} TO STDOUT") as copy:
                for block in copy:
                    handle.write(block)
        with transaction.atomic():
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
            started = time.perf_counter()
            for table in tables:
                with (Path(folder) / table).open("rb") as handle, raw.copy(f"COPY {table} FROM STDIN") as copy:
                    for block in iter(lambda: handle.read(1 << 20), b""):
                        copy.write(block)
            seconds = time.perf_counter() - started
            transaction.set_rollback(True)
    return seconds


def run_backend(backend: str, path: Path, database_url: str | None = None) -> dict[str, object]:
    setup_django(fresh_database(backend, "huikuan_bench_import", database_url))
    from huikuan.intake.importer import import_accounts

    floor = copy_floor(path) if backend == "postgres" else None
    started = time.perf_counter()
    report = import_accounts(path)
    first = time.perf_counter() - started
    if not report.ok:
        raise SystemExit("\n".join(report.error_lines()[:10]))
    started = time.perf_counter()
    replay = import_accounts(path)
    second = time.perf_counter() - started
    # A small file against the large book: its first 2,000 rows again, whose stored hashes are looked up by
    # their keys instead of reading every account's.
    small = path.with_name("small.csv")
    with path.open(encoding="utf-8") as whole, small.open("w", encoding="utf-8") as part:
        part.writelines(line for _, line in zip(range(SMALL_ROWS + 1), whole, strict=False))
    started = time.perf_counter()
    small_replay = import_accounts(small)
    third = time.perf_counter() - started
    result: dict[str, object] = {
        "backend": backend,
        "rows": report.rows,
        "seconds": round(first, 2),
        "rows_per_s": round(report.rows / first, 1),
        "replay_s": round(second, 2),
        "replay_entries_posted": replay.entries_posted,
        "replay_rows_unchanged": replay.rows_unchanged,
        "small_replay_rows": small_replay.rows,
        "small_replay_s": round(third, 3),
        "small_replay_rows_unchanged": small_replay.rows_unchanged,
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }
    if floor is not None:
        result["copy_floor_s"] = round(floor, 3)
        result["ratio_over_copy"] = round(first / floor, 1)
        stored = store_floor()
        result["store_floor_s"] = round(stored, 2)
        result["ratio_over_store"] = round(first / stored, 2)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--backends", default="sqlite,postgres", help="comma-separated: sqlite, postgres")
    parser.add_argument("--backend", choices=["sqlite", "postgres"], help="internal: run one backend")
    parser.add_argument("--file", type=Path, help="internal: the file to import")
    parser.add_argument(
        "--database-url",
        help="the PostgreSQL database to drop and create for the run (default: huikuan_bench_import on the "
        "BENCH_PG_ADMIN server); give your own when other benchmarks share the server",
    )
    args = parser.parse_args()
    if args.backend:
        print(json.dumps(run_backend(args.backend, args.file, args.database_url)))
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "accounts.csv"
        started = time.perf_counter()
        rows = make_file(args.rows, path)
        print(f"generated {rows} rows in {time.perf_counter() - started:.1f}s")
        results = []
        for backend in args.backends.split(","):
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--backend",
                    backend,
                    "--file",
                    str(path),
                    *(["--database-url", args.database_url] if args.database_url else []),
                ],
                check=True,
                capture_output=True,
                text=True,
            )
            result = json.loads(out.stdout.strip().splitlines()[-1])
            results.append(result)
            floor = (
                f", {result['ratio_over_copy']}x COPY's {result['copy_floor_s']}s, "
                f"{result['ratio_over_store']}x storing the result's {result['store_floor_s']}s"
                if "copy_floor_s" in result
                else ""
            )
            print(
                f"{backend:<9} {result['rows']} rows in {result['seconds']}s "
                f"= {result['rows_per_s']} rows/s{floor} "
                f"(replay {result['replay_s']}s, {result['replay_entries_posted']} entries, "
                f"{result['replay_rows_unchanged']} rows unchanged)"
            )
    figures = {
        "benchmark": "import_accounts",
        "goals_pg": {"rows_per_s": 20000, "ratio_over_copy": 15, "replay_s": 3},
        "results": results,
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
