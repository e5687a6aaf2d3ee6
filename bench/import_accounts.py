"""Account import speed: rows/s for a generated 100,000-row file into SQLite and into PostgreSQL.

    .venv/bin/python bench/import_accounts.py --rows 100000
Each backend runs in its own process on a fresh database; a second import of the same file (the idempotent
replay) is timed too. Ends with one JSON line of figures. Target: at least 5,000 rows/s on PostgreSQL.

The import validates in a worker process beside the writing one (see docs/import.md), so
the figures need two free cores; on a shared machine note the load average with them. `peak_rss_mb` is the
importing process's own peak (the worker holds one chunk at a time and is not counted).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from databases import fresh_database, peak_rss_mb, setup_django


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


def run_backend(backend: str, path: Path) -> dict[str, object]:
    setup_django(fresh_database(backend, "huikuan_bench_import"))
    from huikuan.intake.importer import import_accounts

    started = time.perf_counter()
    report = import_accounts(path)
    first = time.perf_counter() - started
    if not report.ok:
        raise SystemExit("\n".join(report.error_lines()[:10]))
    started = time.perf_counter()
    replay = import_accounts(path)
    second = time.perf_counter() - started
    return {
        "backend": backend,
        "rows": report.rows,
        "seconds": round(first, 2),
        "rows_per_second": round(report.rows / first, 1),
        "replay_seconds": round(second, 2),
        "replay_entries_posted": replay.entries_posted,
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], help="internal: run one backend")
    parser.add_argument("--file", type=Path, help="internal: the file to import")
    args = parser.parse_args()
    if args.backend:
        print(json.dumps(run_backend(args.backend, args.file)))
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "accounts.csv"
        started = time.perf_counter()
        rows = make_file(args.rows, path)
        print(f"generated {rows} rows in {time.perf_counter() - started:.1f}s")
        results = []
        for backend in ("sqlite", "postgres"):
            out = subprocess.run(
                [sys.executable, __file__, "--backend", backend, "--file", str(path)],
                check=True,
                capture_output=True,
                text=True,
            )
            result = json.loads(out.stdout.strip().splitlines()[-1])
            results.append(result)
            print(
                f"{backend:<9} {result['rows']} rows in {result['seconds']}s "
                f"= {result['rows_per_second']} rows/s "
                f"(replay {result['replay_seconds']}s, {result['replay_entries_posted']} entries)"
            )
    figures = {"benchmark": "import_accounts", "target_pg_rows_per_second": 5000, "results": results}
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
