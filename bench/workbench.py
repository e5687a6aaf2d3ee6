"""Benchmark of the workbench pages: `python bench/workbench.py --cases 100000`.

Generates N cases in PostgreSQL with the strategy benchmark's server-side generator (bench/strategy.py),
runs the nightly strategy for today so every collector has a queue, then requests the queue page and the case
page through Django's test client, logged in as a collector, and the case list's search over every case as an
administrator, and reports the server time p50/p95 over the requests (200 each by default, a quarter of that
per search). Ends with one JSON line. Target: under 200 ms for each page.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/bench_workbench")
    parser.add_argument("--reuse", action="store_true", help="keep cases already generated for this N")
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huikuan.config.settings_demo")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

    import strategy as strategy_bench  # bench/strategy.py: the same generator and table list
    from databases import peak_rss_mb

    strategy_bench.ensure_database(args.database_url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    today = timezone.localdate()
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM cases_case")
        row = cursor.fetchone()
        if not (args.reuse and row is not None and row[0] == args.cases):
            cursor.execute(f"TRUNCATE {strategy_bench.TABLES} RESTART IDENTITY CASCADE")
            for statement in strategy_bench.GENERATE_SQL.split(";\n"):
                if statement.strip():
                    cursor.execute(statement, {"n": args.cases, "as_of": today.isoformat()})
        cursor.execute("TRUNCATE strategy_workitem, strategy_strategyrun, strategy_policyversion CASCADE")
        cursor.execute("ANALYZE")
    generated = time.perf_counter() - started
    print(f"{args.cases:,} cases ready in {generated:.1f}s")

    from huikuan.org.models import User
    from huikuan.strategy.actions import import_policy
    from huikuan.strategy.executors import run_strategy
    from huikuan.strategy.models import WorkItem

    import_policy((ROOT / "examples" / "policy-default.yaml").read_text(encoding="utf-8"), activate=True)
    started = time.perf_counter()
    report = run_strategy(today)
    assert report.run is not None
    print(f"strategy run for {today}: {report.run.written:,} work items in {time.perf_counter() - started:.1f}s")

    # The busiest collector: the queue page shows them at their heaviest.
    busiest = (
        WorkItem.objects.filter(as_of=today, assignee__isnull=False)
        .values("assignee_id")
        .annotate(n=django.db.models.Count("id"))
        .order_by("-n")
        .first()
    )
    assert busiest is not None, "the strategy run assigned nothing"
    user = User.objects.get(pk=busiest["assignee_id"])
    case_ids = list(
        WorkItem.objects.filter(as_of=today, assignee=user).order_by("-priority").values_list("case_id", flat=True)
    )
    client = Client()
    client.force_login(user)
    figures: dict[str, object] = {
        "benchmark": "workbench",
        "cases": args.cases,
        "items_in_queue": busiest["n"],
        "requests": args.requests,
    }
    for name, urls in (("queue", ["/work/"]), ("case", [f"/cases/{c}/" for c in case_ids])):
        client.get(urls[0])  # warm caches (pack, library, policy parse)
        times = []
        for i in range(args.requests):
            t = time.perf_counter()
            response = client.get(urls[i % len(urls)])
            times.append((time.perf_counter() - t) * 1000)
            assert response.status_code == 200, (urls[i % len(urls)], response.status_code)
        p50, p95 = statistics.median(times), percentile(times, 0.95)
        print(f"{name} page: p50 {p50:.1f} ms, p95 {p95:.1f} ms over {args.requests} requests")
        figures[f"{name}_p50_ms"] = round(p50, 1)
        figures[f"{name}_p95_ms"] = round(p95, 1)
    # The case list's search over every case (an administrator sees all): part of a name, a phone tail, a whole
    # phone number, a customer number (kernel.search; docs/workbench.md, "Search").
    # An explicit id: the generator inserts users with theirs and leaves the sequence behind.
    admin, _created = User.objects.get_or_create(username="bench-admin", defaults={"role": "admin", "id": 10**6})
    client.force_login(admin)
    searches = {
        "search_name": "债务人4242",
        "search_tail": "尾号4242",
        "search_phone": "13800004242",
        "search_customer": "B4242",
    }
    for name, q in searches.items():
        client.get("/", {"q": q})
        times = []
        for _i in range(max(args.requests // 4, 10)):
            t = time.perf_counter()
            response = client.get("/", {"q": q})
            times.append((time.perf_counter() - t) * 1000)
            assert response.status_code == 200, (q, response.status_code)
        p50, p95 = statistics.median(times), percentile(times, 0.95)
        print(f"{name} ({q}): p50 {p50:.1f} ms, p95 {p95:.1f} ms over {len(times)} requests")
        figures[f"{name}_p50_ms"] = round(p50, 1)
        figures[f"{name}_p95_ms"] = round(p95, 1)
    figures["target_ms"] = 200
    figures["peak_rss_mb"] = round(peak_rss_mb())
    pages = ("queue", "case", *searches)
    figures["ok"] = all(float(figures[f"{n}_p95_ms"]) < 200 for n in pages)  # type: ignore[arg-type]
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
