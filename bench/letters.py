"""Letter speed: 1,000 demand letters rendered to PDF as one batch (print file + one PDF per letter).

    .venv/bin/python bench/letters.py [--letters 1000] [--workers 2] [--backend postgres|sqlite] [--database NAME]
Seeds debtors with the portfolio generator and queues one demand letter each (not timed), then times
render_letter_batch: gate check, HTML, PDF layout with the embedded Chinese font, split, files, evidence rows.
Target: ≥ 20 letters/s on 2 cores. Ends with one JSON line of figures.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from databases import fresh_database, peak_rss_mb, setup_django

AS_OF = date(2026, 11, 18)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--letters", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--backend", default="postgres", choices=["postgres", "sqlite"])
    parser.add_argument("--database", default="bench_letters", help="the database's name (dropped and created)")
    args = parser.parse_args()
    setup_django(fresh_database(args.backend, args.database))

    from huikuan.comms.channels.letter.render import render_letter_batch
    from huikuan.comms.outbox import Request, queue_messages
    from huikuan.comms.templates import seed_default_templates
    from huikuan.intake.generator import PortfolioGenerator
    from huikuan.intake.seeding import write_generated
    from huikuan.portfolio.models import Debtor

    write_generated(PortfolioGenerator(11, AS_OF).debtors(args.letters), AS_OF)
    seed_default_templates()
    debtors = list(Debtor.objects.order_by("id").values_list("id", flat=True)[: args.letters])
    # The English templates exist too; the benchmark measures the Chinese letter, the heavier font work.
    Debtor.objects.update(preferred_language="zh-hans")
    report = queue_messages(
        [Request(f"bench:{d}", d, "letter", "demand_letter", "formal", batch="bench") for d in debtors], AS_OF
    )
    out = Path(tempfile.mkdtemp(prefix="letters-"))
    started = time.perf_counter()
    result = render_letter_batch("bench", out_dir=out, workers=args.workers)
    elapsed = time.perf_counter() - started
    print(
        json.dumps(
            {
                "benchmark": "letters",
                "backend": args.backend,
                "queued": report.queued,
                "letters": result.letters,
                "workers": args.workers,
                "seconds": round(elapsed, 2),
                "letters_per_s": round(result.letters / elapsed, 1),
                "print_file_mb": round((result.print_file.stat().st_size if result.print_file else 0) / 2**20, 2),
                "peak_rss_mb": round(peak_rss_mb(), 1),
            }
        )
    )


if __name__ == "__main__":
    main()
