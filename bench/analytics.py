"""Analytics figures: the daily facts, the dashboard queries over the facts, and the simulator's pace.

    PYTHONPATH=src .venv/bin/python bench/analytics.py --cases 200000 --fact-days 31 --sim-debtors 5000

Three fresh PostgreSQL databases, one per figure:

1. *facts*: N open cases (one account, its principal and one part payment in the ledger each, and the
   balance snapshot the ledger writer keeps; 30% with a
   call that day, 10% with a payment and 5% with a promise falling due) filled by SQL, then
   ``facts.compute_day`` for one day, best of two runs (the second a re-run: delete and write again);
2. *dashboard*: N cases × D days of case-day and contact-day facts filled by SQL into the month
   partitions and each day's rollups written by the kernel's rollup functions (as ``compute_day`` does),
   then the query each chart issues (recovery trend by bucket and promise-kept trend over the portfolio
   rollup, the contact heatmap and the leaderboard over the rollups, the month's roll-rate matrix over the roll
   rollup), each 10 times: the p95 per chart;
3. *simulator*: ``huikuan simulate`` over a generated portfolio of M debtors for a few days: seconds
   per simulated day (generation not counted).

The issue's keys are printed at the size run; ``facts_1m_s`` is the measured time only when
``--cases 1000000``, else null (the measured figure and size are under ``facts_s`` and ``cases``).
Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from databases import fresh_database

DAY = date(2026, 11, 20)

PORTFOLIO_SQL = """
INSERT INTO portfolio_debtor (id, customer_no, kind, name, gender, id_type, id_hash, id_last4, employer, address,
                              preferred_language, created_at, updated_at, time_zone)
SELECT n, 'C' || n, 'person', 'bench', 'f', 'resident', md5(n::text), '0000', '', '', 'zh-hans', now(), now(), ''
FROM generate_series(1, %(cases)s) n;
INSERT INTO portfolio_account (id, contract_no, product, currency, original_amount, open_date, due_date,
                               annual_interest_rate, daily_penalty_rate, created_at, updated_at, debtor_id)
SELECT n, 'K' || n, CASE WHEN n %% 3 = 0 THEN 'credit_card' ELSE 'consumer_loan' END, 'CNY', 1000000,
       DATE %(day)s - 400, DATE %(day)s - 1 - (n %% 200), 0, 0, now(), now(), n
FROM generate_series(1, %(cases)s) n;
INSERT INTO portfolio_ledgerentry (kind, reference, effective_date, principal, interest, fee, penalty, credit,
                                   note, created_at, account_id)
SELECT 'principal', 'p', DATE %(day)s - 400, 1000000, 0, 0, 0, 0, '', now(), n FROM generate_series(1, %(cases)s) n
UNION ALL
SELECT 'payment', 'pay', DATE %(day)s - 30, -100000, 0, 0, 0, 0, '', now(), n FROM generate_series(1, %(cases)s) n;
INSERT INTO portfolio_accountbalance (account_id, principal, interest, fee, penalty, credit, total, entry_count,
                                      updated_at)
SELECT account_id, SUM(principal), SUM(interest), SUM(fee), SUM(penalty), SUM(credit),
       SUM(principal + interest + fee + penalty), COUNT(*), now()
FROM portfolio_ledgerentry GROUP BY account_id;
INSERT INTO cases_case (id, status, hold_reason, oldest_due_date, opened_at, close_reason, debtor_id, cured_episodes)
SELECT n, 'open', '', DATE %(day)s - 1 - (n %% 200), now() - interval '300 days', '', n, 0
FROM generate_series(1, %(cases)s) n;
INSERT INTO cases_interaction (channel, party, outcome, notes, at, case_id)
SELECT 'call', CASE WHEN n %% 4 = 0 THEN 'debtor' ELSE 'nobody' END,
       CASE WHEN n %% 4 = 0 THEN 'right_party' ELSE 'no_answer' END, '',
       (DATE %(day)s + time '02:00' + (n %% 600) * interval '1 minute') AT TIME ZONE 'UTC', n
FROM generate_series(1, %(cases)s) n WHERE n %% 10 < 3;
INSERT INTO payments_payment (source, amount, credit, paid_on, reference, status, created_at, reversal_reason,
                              case_id, debtor_id, idempotency_key)
SELECT 'api', 50000, 0, DATE %(day)s, '', 'posted', now(), '', n, n, 'api:' || n
FROM generate_series(1, %(cases)s) n WHERE n %% 10 = 7;
INSERT INTO cases_promise (case_id, amount, due_date, channel, state, paid_amount, created_at)
SELECT n, 50000, DATE %(day)s - 3, 'call', CASE WHEN n %% 2 = 0 THEN 'kept' ELSE 'broken' END,
       CASE WHEN n %% 2 = 0 THEN 50000 ELSE 0 END, now() - interval '10 days'
FROM generate_series(1, %(cases)s) n WHERE n %% 20 = 3;
"""

FACTS_SQL = """
INSERT INTO analytics_caseday (day, case_id, debtor_id, status, dpd, bucket, stage, balance_fen, product, placed_on,
                               team_id, assignee_id, arm, risk_band, behaviour)
SELECT d, n, n, 'open', (n %% 200) + (d - DATE %(first)s),
       CASE WHEN (n %% 200) + (d - DATE %(first)s) <= 30 THEN 'M1' WHEN (n %% 200) + (d - DATE %(first)s) <= 60
            THEN 'M2' WHEN (n %% 200) + (d - DATE %(first)s) <= 90 THEN 'M3' ELSE 'M3+' END,
       'early', 900000, 'consumer_loan', DATE %(first)s - (n %% 365), n %% 8, 100 + n %% 200,
       CASE WHEN n %% 2 = 0 THEN 'champion' ELSE 'challenger' END, 'medium', 'normal'
FROM (SELECT g::date AS d FROM generate_series(DATE %(first)s, DATE %(last)s, interval '1 day') g) days,
     generate_series(1, %(cases)s) n;
INSERT INTO analytics_contactday (day, case_id, user_id, channel, hour, weekday, attempts, reached, rpc, promises,
                                  promised_fen)
SELECT d, n, 100 + n %% 200, 'call', 9 + n %% 12, extract(isodow FROM d)::int - 1, 1, (n %% 3 = 0)::int,
       (n %% 4 = 0)::int, (n %% 20 = 0)::int, CASE WHEN n %% 20 = 0 THEN 50000 ELSE 0 END
FROM (SELECT g::date AS d FROM generate_series(DATE %(first)s, DATE %(last)s, interval '1 day') g) days,
     generate_series(1, %(cases)s) n
WHERE (n + extract(doy FROM d)::int) %% 10 < 3;
INSERT INTO analytics_moneyday (day, case_id, payments, paid_fen, waived_fen, promises_settled, promises_kept,
                                promises_partly, promises_broken, settled_fen, kept_paid_fen)
SELECT d, n, 1, 50000, 0, (n %% 3 = 0)::int, (n %% 6 = 0)::int, 0, (n %% 6 = 3)::int,
       CASE WHEN n %% 3 = 0 THEN 50000 ELSE 0 END, CASE WHEN n %% 6 = 0 THEN 50000 ELSE 0 END
FROM (SELECT g::date AS d FROM generate_series(DATE %(first)s, DATE %(last)s, interval '1 day') g) days,
     generate_series(1, %(cases)s) n
WHERE (n + extract(doy FROM d)::int) %% 50 = 0;
"""

CHARTS = {
    "recovery_trend": """SELECT day, bucket, SUM(balance_fen), SUM(paid_fen) FROM analytics_portfolioday
        WHERE day BETWEEN %(from)s AND %(to)s AND team_id = 3 GROUP BY day, bucket""",
    "promise_kept_trend": """SELECT day, SUM(promises_kept), SUM(promises_settled), SUM(kept_paid_fen),
        SUM(settled_fen) FROM analytics_portfolioday WHERE day BETWEEN %(from)s AND %(to)s GROUP BY day""",
    "contact_heatmap": """SELECT weekday, hour, SUM(attempts), SUM(reached), SUM(rpc) FROM analytics_contacthour
        WHERE day BETWEEN %(from)s AND %(to)s AND channel = 'call' GROUP BY weekday, hour""",
    "roll_rates": """SELECT from_bucket, to_bucket, SUM(cases) FROM analytics_rollday
        WHERE day = %(to)s AND team_id = 3 GROUP BY from_bucket, to_bucket""",
    "leaderboard": """SELECT c.user_id, c.attempts, c.rpc, c.promises, c.promised_fen, m.kept, m.settled, m.paid
        FROM (SELECT user_id, SUM(attempts) AS attempts, SUM(rpc) AS rpc, SUM(promises) AS promises,
                     SUM(promised_fen) AS promised_fen
              FROM analytics_contacthour WHERE day BETWEEN %(from)s AND %(to)s AND user_id > 0 GROUP BY user_id) c
        LEFT JOIN (SELECT assignee_id, SUM(promises_kept) AS kept, SUM(promises_settled) AS settled,
                          SUM(paid_fen) AS paid
                   FROM analytics_portfolioday WHERE day BETWEEN %(from)s AND %(to)s GROUP BY assignee_id) m
          ON m.assignee_id = c.user_id""",
}


def _execute(sql: str, params: dict[str, object]) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for statement in filter(str.strip, sql.split(";")):
            cursor.execute(statement, params)


def bench_facts(cases: int) -> float:
    from huikuan.analytics.facts import compute_day

    started = time.perf_counter()
    _execute(PORTFOLIO_SQL, {"cases": cases, "day": DAY.isoformat()})
    _execute("VACUUM ANALYZE", {})
    print(f"facts: {cases:,} cases filled in {time.perf_counter() - started:.1f}s")
    best = float("inf")
    for attempt in range(2):
        started = time.perf_counter()
        counts = compute_day(DAY)
        seconds = time.perf_counter() - started
        best = min(best, seconds)
        timings = {k: round(v, 2) for k, v in counts.timings.items()}
        print(f"facts run {attempt + 1}: {seconds:.2f}s, {counts.case_days:,} case days {timings}")
    return best


def write_rollups(day: date) -> None:
    """The rollups of a day whose facts were filled by SQL: read back and rolled up as compute_day does."""
    from huikuan.analytics.facts import CASE_DAY_COLUMNS, CONTACT_DAY_COLUMNS, MONEY_DAY_COLUMNS, case_buckets
    from huikuan.analytics.models import CaseDay, ContactDay, MoneyDay
    from huikuan.db.bulkread import read_frame
    from huikuan.db.bulkwrite import copy_frame
    from huikuan.kernel.analytics.rollup import ROLL_DAYS, contact_rollup, portfolio_rollup, roll_rollup

    frames = []
    for model, columns in (
        (CaseDay, CASE_DAY_COLUMNS),
        (ContactDay, CONTACT_DAY_COLUMNS),
        (MoneyDay, MONEY_DAY_COLUMNS),
    ):
        fields = {f.column: f for f in model._meta.concrete_fields}
        types = {c: _polars_type(fields[c].get_internal_type()) for c in columns}
        frames.append(
            read_frame(f"SELECT {', '.join(columns)} FROM {model._meta.db_table} WHERE day = %s", [day], types)
        )
    cases, contacts, money = frames
    copy_frame("analytics_portfolioday", portfolio_rollup(cases, money))
    copy_frame("analytics_contacthour", contact_rollup(cases, contacts))
    copy_frame("analytics_rollday", roll_rollup(case_buckets(day - timedelta(days=ROLL_DAYS)), cases))


def _polars_type(internal: str) -> Any:
    import polars as pl

    return {"DateField": pl.Date, "CharField": pl.Utf8}.get(internal, pl.Int64)


def bench_dashboard(cases: int, days: int) -> dict[str, float]:
    from huikuan.analytics.partitions import ensure_partitions

    first, last = DAY - timedelta(days=days - 1), DAY
    day = first
    while day <= last:
        ensure_partitions(day)
        day += timedelta(days=28)
    ensure_partitions(last)
    started = time.perf_counter()
    _execute(FACTS_SQL, {"cases": cases, "first": first.isoformat(), "last": last.isoformat()})
    print(f"dashboard: {cases:,} cases × {days} days of facts filled in {time.perf_counter() - started:.1f}s")
    started = time.perf_counter()
    day = first
    while day <= last:
        write_rollups(day)
        day += timedelta(days=1)
    _execute("VACUUM ANALYZE", {})
    print(f"  rollups of {days} days: {(time.perf_counter() - started) / days:.2f}s a day (the kernel's, as facts do)")
    p95: dict[str, float] = {}
    params = {"from": max(first, last - timedelta(days=29)).isoformat(), "to": last.isoformat()}
    for name, sql in CHARTS.items():
        _execute(sql, params)  # warm
        samples = []
        for _ in range(10):
            started = time.perf_counter()
            _execute(sql, params)
            samples.append((time.perf_counter() - started) * 1000)
        samples.sort()
        p95[name] = round(samples[int(0.95 * (len(samples) - 1) + 0.5)], 1)
        print(f"  {name}: p95 {p95[name]} ms over 10 runs (up to the last 30 days)")
    return p95


def bench_simulator(debtors: int, days: int, database_url: str) -> float:
    """The simulate command in a child process: its own Django, its own database."""
    env = {**os.environ, "DATABASE_URL": database_url, "HUIKUAN_DEMO": "1"}
    root = Path(__file__).resolve().parents[1]
    huikuan = [str(root / ".venv" / "bin" / "huikuan")]
    subprocess.run([*huikuan, "migrate", "-v0"], env=env, check=True)
    start = DAY - timedelta(days=days)
    # Generation alone (one simulated day would run too): simulate 1 day, then time `days` more.
    subprocess.run([*huikuan, "simulate", "--days", "1", "--debtors", str(debtors), "--start", start.isoformat()],
                   env=env, check=True, capture_output=True)  # fmt: skip
    started = time.perf_counter()
    out = subprocess.run(
        [*huikuan, "simulate", "--days", str(days), "--start", (start + timedelta(days=1)).isoformat()],
        env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    wall = (time.perf_counter() - started) / days
    # The command's own figure (its days, without the process's start-up and Django's set-up).
    match = re.search(r" in ([0-9.]+)s", out.stdout)
    seconds = float(match.group(1)) / days if match else wall
    print(f"simulator: {debtors:,} debtors, {days} days: {seconds:.1f}s a day\n  {out.stdout.strip()}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=200_000)
    parser.add_argument(
        "--fact-days", type=int, default=31, help="0: no dashboard figure; 31 or more for the month's roll rates"
    )
    parser.add_argument("--sim-debtors", type=int, default=5000, help="0: no simulator figure")
    parser.add_argument("--sim-days", type=int, default=2)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huikuan.config.settings_demo")
    os.environ["DATABASE_URL"] = fresh_database("postgres", "huikuan_bench_analytics")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    facts_s = bench_facts(args.cases)
    from django.db import connection

    _execute(
        "TRUNCATE analytics_caseday, analytics_contactday, analytics_moneyday, analytics_portfolioday, "
        "analytics_contacthour, analytics_rollday",
        {},
    )
    connection.close()
    p95 = bench_dashboard(args.cases, args.fact_days) if args.fact_days else {}
    connection.close()
    simulate_s = (
        bench_simulator(args.sim_debtors, args.sim_days, fresh_database("postgres", "huikuan_bench_sim"))
        if args.sim_debtors
        else None
    )
    print(
        json.dumps(
            {
                "benchmark": "analytics",
                "cases": args.cases,
                "facts_s": round(facts_s, 2),
                "facts_1m_s": round(facts_s, 2) if args.cases == 1_000_000 else None,
                "fact_days": args.fact_days,
                "dashboard_p95_ms": max(p95.values()) if p95 else None,
                "dashboard_p95_ms_by_chart": p95,
                "sim_debtors": args.sim_debtors,
                "simulate_s_per_day": None if simulate_s is None else round(simulate_s, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
