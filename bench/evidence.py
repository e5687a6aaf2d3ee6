"""Evidence pack speed: packs for 200 cases with 50 contacts each, built as the command builds them.

    .venv/bin/python bench/evidence.py [--cases 200] [--interactions 50] [--workers 2] [--backend postgres|sqlite]

Seeds debtors with the portfolio generator (accounts, ledgers, cases) and gives each case its contacts (not
timed), then times ``legal.evidence.build_packs``: the bulk reads, the summaries laid out in chunks with the
embedded Chinese font and split per case, the statements, the manifests, the ZIPs and the audit rows.
It checks that every pack's files match its manifest. Target: ≥ 5 packs/s on this machine. Ends with one
JSON line of figures.
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import sys
import time
import zipfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from databases import fresh_database, peak_rss_mb, setup_django

AS_OF = date(2026, 11, 18)
OUTCOMES = ("no_answer", "busy", "right_party", "promise", "refusal", "third_party", "switched_off", "callback")


def _cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--interactions", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chunk", type=int, default=25, help="summaries laid out per WeasyPrint document")
    parser.add_argument("--backend", default="postgres", choices=["postgres", "sqlite"])
    args = parser.parse_args()
    setup_django(fresh_database(args.backend, "bench_evidence"))

    from huikuan.cases.models import Case, Interaction
    from huikuan.intake.generator import PortfolioGenerator
    from huikuan.intake.seeding import write_generated
    from huikuan.kernel.legal import check_manifest
    from huikuan.legal.evidence import build_packs

    write_generated(PortfolioGenerator(11, AS_OF).debtors(args.cases), AS_OF)
    case_ids = list(Case.objects.order_by("id").values_list("id", flat=True)[: args.cases])
    start = datetime(2026, 8, 1, 2, tzinfo=UTC)
    Interaction.objects.bulk_create(
        [
            Interaction(
                case_id=case_id,
                channel="call",
                party="debtor" if n % 3 == 0 else "nobody",
                outcome=OUTCOMES[(case_id + n) % len(OUTCOMES)],
                notes=f"第{n + 1}次：称下周还款" if n % 4 == 0 else "",
                at=start + timedelta(hours=7 * n + case_id % 5),
            )
            for case_id in case_ids
            for n in range(args.interactions)
        ],
        batch_size=2000,
    )
    # A server process has imported WeasyPrint and set its fonts up before its first pack: so does this one.
    build_packs(None, case_ids[:1])
    cpu_before = _cpu_seconds()
    started = time.perf_counter()
    packs = build_packs(None, case_ids, workers=args.workers, chunk_size=args.chunk)
    elapsed = time.perf_counter() - started
    cpu = _cpu_seconds() - cpu_before
    problems = 0
    for pack in packs.values():
        with zipfile.ZipFile(io.BytesIO(pack.data)) as archive:
            files = {name: archive.read(name) for name in archive.namelist()}
        problems += bool(check_manifest(json.loads(files.pop("manifest.json")), files))
    summary_pages_kb = sum(len(p.files["summary.pdf"]) for p in packs.values()) / max(len(packs), 1) / 1024
    print(
        json.dumps(
            {
                "benchmark": "evidence",
                "backend": args.backend,
                "cases": len(packs),
                "interactions_per_case": args.interactions,
                "workers": args.workers,
                "chunk": args.chunk,
                "seconds": round(elapsed, 2),
                "packs_per_s": round(len(packs) / elapsed, 1),
                # This process's and its workers' CPU time: what the machine's load does not stretch.
                "cpu_s": round(cpu, 2),
                "packs_per_cpu_s": round(len(packs) / cpu, 2),
                "summary_kb": round(summary_pages_kb, 1),
                "manifest_problems": problems,
                "target_packs_per_s": 5,
                "peak_rss_mb": round(peak_rss_mb(), 1),
                "ok": problems == 0 and len(packs) / elapsed >= 5,
            }
        )
    )


if __name__ == "__main__":
    main()
