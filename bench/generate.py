"""Generator speed: debtors/s for a synthetic portfolio written to a fresh database.

    .venv/bin/python bench/generate.py --debtors 100000 --backend postgres
Ends with one JSON line of figures.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from databases import fresh_database, peak_rss_mb, setup_django


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--debtors", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="postgres")
    args = parser.parse_args()
    setup_django(fresh_database(args.backend, "huikuan_bench_generate"))

    from huikuan.intake.generator import PortfolioGenerator
    from huikuan.intake.seeding import write_generated

    as_of = date(2026, 11, 20)
    started = time.perf_counter()
    debtors = list(PortfolioGenerator(args.seed, as_of).debtors(args.debtors))
    generated = time.perf_counter() - started
    counts = write_generated(debtors, as_of)
    total = time.perf_counter() - started
    figures = {
        "benchmark": "generate",
        "backend": args.backend,
        "debtors": counts.debtors,
        "accounts": counts.accounts,
        "ledger_entries": counts.entries,
        "cases": counts.cases,
        "generate_seconds": round(generated, 2),
        "total_seconds": round(total, 2),
        "debtors_per_second": round(counts.debtors / total, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }
    print(
        f"{counts.debtors} debtors ({counts.accounts} accounts, {counts.entries} entries) in {total:.1f}s "
        f"= {figures['debtors_per_second']} debtors/s on {args.backend}"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
