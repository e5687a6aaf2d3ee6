"""Analytics figures: the daily facts, the dashboard queries over the facts, and the simulator's pace.

    PYTHONPATH=src .venv/bin/python bench/analytics.py --cases 1000000 --fact-days 90 --sim-debtors 100000

Three fresh PostgreSQL databases, one per figure:

1. *facts*: N open cases (one account, its principal and one part payment in the ledger each, and the
   balance snapshot the ledger writer keeps; 30% with a
   call that day, 10% with a payment and 5% with a promise falling due) filled by SQL, then
   ``facts.compute_day`` for one day, best of two runs (the second a re-run: delete and write again);
2. *dashboard*: D days (90) of rollups at the size N cases give (200 collectors in 8 teams, 5 buckets, 2
   products, 2 arms: their size grows with those, not with cases) filled by SQL, not by rolling up N × D
   simulated case rows (90 million rows would take this machine hours), and the case facts the per-case
   figures and the drill-downs read (N case rows on the 3 days they ask, 30% contacted and 1% paying on each
   of the window's 37 days); then each figure as the page asks it (``dashboard.figure``: queries, kernel
   KPIs, table) for the whole portfolio, a team and a collector over the last 30 days, and the four
   drill-downs, each 10 times: the p95 per chart, the worst scope. The experiment readout reads and
   resamples every case of the period (the case facts here hold the window's first and last day, so its
   cases are the million of those days): its computation is timed once (``readout_compute_ms``), and the
   chart as the dashboard reads it, stored on the first ask (``analytics.readout.stored_readout``);
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

COLLECTORS = 200  # 25 per team in 8 teams: a 1,000,000-case department's size
TEAMS = 8
# The rollups of D days of N cases as the nightly facts would write them (the coarser ones summed from them
# by SQL as kernel.analytics.rollup.coarse_rollups sums them) (their size grows with collectors ×
# buckets × products × arms, not with cases): written by SQL at that size instead of rolling up N × D case rows.
ROLLUPS_SQL = """
INSERT INTO analytics_portfolioday (day, team_id, assignee_id, bucket, product, arm, cases, balance_fen, payments,
                                    paid_fen, waived_fen, promises_settled, promises_kept, promises_partly,
                                    promises_broken, settled_fen, kept_paid_fen)
SELECT d, u %% %(teams)s + 1, 1000 + u, b, p, a, %(per_row)s, %(per_row)s * 900000, %(per_row)s / 100 + (u %% 3),
       (%(per_row)s / 100 + (u %% 3)) * 50000, 0, 5 + u %% 4, 3 + u %% 2, 0, 2 + u %% 4 - u %% 2,
       (5 + u %% 4) * 50000, (3 + u %% 2) * 50000
FROM (SELECT g::date AS d FROM generate_series(DATE %(first)s, DATE %(last)s, interval '1 day') g) days,
     generate_series(0, %(collectors)s - 1) u, unnest(ARRAY['M0', 'M1', 'M2', 'M3', 'M3+']) b,
     unnest(ARRAY['consumer_loan', 'credit_card']) p, unnest(ARRAY['champion', 'challenger']) a;
INSERT INTO analytics_contacthour (day, team_id, user_id, channel, hour, weekday, attempts, reached, rpc, promises,
                                   promised_fen)
SELECT d, u %% %(teams)s + 1, 1000 + u, 'call', h, extract(isodow FROM d)::int - 1, %(calls)s, %(calls)s / 3 + h %% 4,
       %(calls)s / 4 + h %% 3, %(calls)s / 20, (%(calls)s / 20) * 50000
FROM (SELECT g::date AS d FROM generate_series(DATE %(first)s, DATE %(last)s, interval '1 day') g) days,
     generate_series(0, %(collectors)s - 1) u, generate_series(9, 20) h
UNION ALL
SELECT d, t, 0, 'sms', h, extract(isodow FROM d)::int - 1, %(calls)s * 10, %(calls)s * 9, 0, 0, 0
FROM (SELECT g::date AS d FROM generate_series(DATE %(first)s, DATE %(last)s, interval '1 day') g) days,
     generate_series(1, %(teams)s) t, generate_series(9, 20) h;
INSERT INTO analytics_rollday (day, team_id, assignee_id, product, from_bucket, to_bucket, cases)
SELECT d, u %% %(teams)s + 1, 1000 + u, p, f, t, %(per_row)s / 6 + 1
FROM (SELECT g::date AS d FROM generate_series(DATE %(first)s, DATE %(last)s, interval '1 day') g) days,
     generate_series(0, %(collectors)s - 1) u, unnest(ARRAY['consumer_loan', 'credit_card']) p,
     unnest(ARRAY['M0', 'M1', 'M2', 'M3', 'M3+']) f, unnest(ARRAY['M0', 'M1', 'M2', 'M3', 'M3+', 'closed']) t;
INSERT INTO analytics_channelday (day, team_id, assignee_id, product, bucket, channel, recovered_fen)
SELECT d, u %% %(teams)s + 1, 1000 + u, p, b, c, (%(per_row)s / 100 + 1) * 50000
FROM (SELECT g::date AS d FROM generate_series(DATE %(first)s, DATE %(last)s, interval '1 day') g) days,
     generate_series(0, %(collectors)s - 1) u, unnest(ARRAY['consumer_loan', 'credit_card']) p,
     unnest(ARRAY['M0', 'M1', 'M2', 'M3', 'M3+']) b, unnest(ARRAY['call', 'sms']) c;
INSERT INTO analytics_vintageday (day, vintage, team_id, assignee_id, product, bucket, cases, balance_fen, placed,
                                  placed_fen, paid_fen)
SELECT d, to_char(DATE %(last)s - (30 * v + 15 * (b = 'M3+')::int * v), 'YYYY-MM'), u %% %(teams)s + 1, 1000 + u, p, b,
       2 * %(per_row)s / n, 2 * %(per_row)s / n * 900000,
       CASE WHEN b = 'M0' AND v = 0 THEN %(per_row)s / 30 ELSE 0 END,
       CASE WHEN b = 'M0' AND v = 0 THEN %(per_row)s / 30 * 900000 ELSE 0 END,
       (%(per_row)s / 100 / n + (u %% 3)) * 50000
FROM (SELECT g::date AS d FROM generate_series(DATE %(first)s, DATE %(last)s, interval '1 day') g) days,
     generate_series(0, %(collectors)s - 1) u, unnest(ARRAY['consumer_loan', 'credit_card']) p,
     unnest(ARRAY['M0', 'M1', 'M2', 'M3', 'M3+'], ARRAY[2, 2, 2, 2, 12]) AS bn(b, n), generate_series(0, 11) v
WHERE v < n;
INSERT INTO analytics_vintageteamday SELECT day, vintage, team_id, product, bucket, SUM(cases), SUM(balance_fen),
    SUM(placed), SUM(placed_fen), SUM(paid_fen)
FROM analytics_vintageday GROUP BY day, vintage, team_id, product, bucket;
INSERT INTO analytics_teamday SELECT day, team_id, bucket, product, arm, SUM(cases), SUM(balance_fen), SUM(payments),
    SUM(paid_fen), SUM(waived_fen), SUM(promises_settled), SUM(promises_kept), SUM(promises_partly),
    SUM(promises_broken), SUM(settled_fen), SUM(kept_paid_fen)
FROM analytics_portfolioday GROUP BY day, team_id, bucket, product, arm;
INSERT INTO analytics_collectorday SELECT day, team_id, assignee_id, SUM(cases), SUM(balance_fen), SUM(payments),
    SUM(paid_fen), SUM(waived_fen), SUM(promises_settled), SUM(promises_kept), SUM(promises_partly),
    SUM(promises_broken), SUM(settled_fen), SUM(kept_paid_fen)
FROM analytics_portfolioday GROUP BY day, team_id, assignee_id;
INSERT INTO analytics_teamhour SELECT day, team_id, channel, hour, weekday, SUM(attempts), SUM(reached), SUM(rpc),
    SUM(promises), SUM(promised_fen)
FROM analytics_contacthour GROUP BY day, team_id, channel, hour, weekday;
INSERT INTO analytics_collectorchannel SELECT day, team_id, user_id, channel, SUM(attempts), SUM(reached), SUM(rpc),
    SUM(promises), SUM(promised_fen)
FROM analytics_contacthour GROUP BY day, team_id, user_id, channel;
"""
# The case facts the per-case figures and the drill-downs read: the N case rows of the days they ask for
# (the window's first and last day, the roll's day before), 30% of the cases contacted and 1% paying on each
# day of the window and the week before it (the channel attribution's look-back).
CASE_FACTS_SQL = """
INSERT INTO analytics_caseday (day, case_id, debtor_id, status, dpd, bucket, stage, balance_fen, product, placed_on,
                               team_id, assignee_id, arm, risk_band, behaviour)
SELECT d, n, n, 'open', n %% 200,
       CASE WHEN n %% 200 <= 30 THEN 'M1' WHEN n %% 200 <= 60 THEN 'M2' WHEN n %% 200 <= 90 THEN 'M3' ELSE 'M3+' END,
       'early', 900000, CASE WHEN n %% 3 = 0 THEN 'credit_card' ELSE 'consumer_loan' END, DATE %(first)s - (n %% 365),
       (n %% %(collectors)s) %% %(teams)s + 1, 1000 + n %% %(collectors)s,
       CASE WHEN n %% 2 = 0 THEN 'champion' ELSE 'challenger' END, 'medium', 'normal'
FROM unnest(%(case_days)s::date[]) d, generate_series(1, %(cases)s) n;
INSERT INTO analytics_contactday (day, case_id, user_id, channel, hour, weekday, attempts, reached, rpc, promises,
                                  promised_fen)
SELECT d, n, 1000 + n %% %(collectors)s, 'call', 9 + n %% 12, extract(isodow FROM d)::int - 1, 1, (n %% 3 = 0)::int,
       (n %% 4 = 0)::int, (n %% 20 = 0)::int, CASE WHEN n %% 20 = 0 THEN 50000 ELSE 0 END
FROM (SELECT g::date AS d FROM generate_series(DATE %(look_back)s, DATE %(last)s, interval '1 day') g) days,
     generate_series(1, %(cases)s) n
WHERE (n + extract(doy FROM d)::int) %% 10 < 3;
INSERT INTO analytics_moneyday (day, case_id, payments, paid_fen, waived_fen, promises_settled, promises_kept,
                                promises_partly, promises_broken, settled_fen, kept_paid_fen)
SELECT d, n, 1, 50000, 0, (n %% 3 = 0)::int, (n %% 6 = 0)::int, 0, (n %% 6 = 3)::int,
       CASE WHEN n %% 3 = 0 THEN 50000 ELSE 0 END, CASE WHEN n %% 6 = 0 THEN 50000 ELSE 0 END
FROM (SELECT g::date AS d FROM generate_series(DATE %(look_back)s, DATE %(last)s, interval '1 day') g) days,
     generate_series(1, %(cases)s) n
WHERE (n + extract(doy FROM d)::int) %% 100 = 0;
"""
WINDOW_DAYS = 30


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


def bench_dashboard(cases: int, days: int) -> tuple[dict[str, float], float]:
    """Each figure as the page asks it (``dashboard.figure``: the queries, the kernel's KPIs, the table) over
    ``days`` days of rollups at the size ``cases`` cases give and the case facts the per-case figures read,
    for the whole portfolio, a team and a collector over the last 30 days; the p95 of 10 runs per chart
    (the worst of the three scopes), and the drill-downs likewise."""
    from huikuan.analytics.dashboard import Drill, Filters, Scope, drill_cases, figure
    from huikuan.analytics.partitions import ensure_partitions

    first, last = DAY - timedelta(days=days - 1), DAY
    window = max(first, last - timedelta(days=WINDOW_DAYS - 1))
    day = first
    while day <= last:
        ensure_partitions(day)
        day += timedelta(days=28)
    ensure_partitions(last)
    ensure_partitions(last - timedelta(days=30))
    per_row = max(1, cases // (COLLECTORS * 5 * 2 * 2))
    calls = max(1, cases * 3 // 10 // (COLLECTORS * 12))
    params = {"cases": cases, "first": first.isoformat(), "last": last.isoformat(), "teams": TEAMS,
              "collectors": COLLECTORS, "per_row": per_row, "calls": calls,
              "look_back": (window - timedelta(days=7)).isoformat(),
              "case_days": [window.isoformat(), last.isoformat(), (last - timedelta(days=30)).isoformat()]}  # fmt: skip
    started = time.perf_counter()
    _execute(ROLLUPS_SQL, params)
    print(f"dashboard: rollups of {days} days at {cases:,} cases filled in {time.perf_counter() - started:.1f}s")
    started = time.perf_counter()
    _execute(CASE_FACTS_SQL, params)
    _execute("VACUUM ANALYZE", {})
    print(f"  case facts (3 days × {cases:,}, {WINDOW_DAYS + 7} days of contacts and money) in "
          f"{time.perf_counter() - started:.1f}s")  # fmt: skip
    filters = Filters(window, last)
    scopes = {"all": Scope(), "team": Scope(team_id=3), "collector": Scope(user_id=1003)}
    asks: dict[str, Any] = {
        name: (lambda scope, name=name: figure(name, scope, filters))
        for name in ("trend", "roll", "heatmap", "leaderboard", "channels", "vintage")
    }
    # The experiment readout reads every case of the period: timed once as computed, then as the dashboard
    # reads it (stored on the first ask, kept until a fact day of the period is written again).
    from huikuan.analytics.readout import experiment_readout

    started = time.perf_counter()
    experiment_readout(window, last, minimum_effect=0.05)
    readout_ms = round((time.perf_counter() - started) * 1000, 1)
    print(f"  experiment readout computed over {cases:,} cases: {readout_ms:.0f} ms")
    asks["experiment"] = lambda scope: figure("experiment", scope, filters) if scope.user_id is None else None
    asks["drill_day"] = lambda scope: drill_cases(scope, filters, Drill("day", last))
    asks["drill_roll"] = lambda scope: drill_cases(scope, filters, Drill("roll", last, "M1"))
    # The heatmap cell of the last day's weekday at 10:00 (the other days of that weekday have no case facts here).
    asks["drill_slot"] = lambda scope: drill_cases(scope, filters, Drill("slot", last, weekday=last.weekday(), hour=10))
    asks["drill_collector"] = lambda scope: drill_cases(
        scope, Filters(window, last), Drill("collector", last, "", 1003)
    )
    p95: dict[str, float] = {}
    for name, ask in asks.items():
        worst = 0.0
        for scope_name, scope in scopes.items():
            ask(scope)  # warm
            samples = []
            for _ in range(10):
                started = time.perf_counter()
                ask(scope)
                samples.append((time.perf_counter() - started) * 1000)
            samples.sort()
            worst = max(worst, samples[int(0.95 * (len(samples) - 1) + 0.5)])
            print(f"  {name} ({scope_name}): p95 {samples[int(0.95 * (len(samples) - 1) + 0.5)]:.1f} ms")
        p95[name] = round(worst, 1)
    return p95, readout_ms


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
    parser.add_argument("--fact-days", type=int, default=90, help="days of rollups for the dashboard; 0: no figure")
    parser.add_argument("--dashboard-cases", type=int, default=None, help="cases of the dashboard (default --cases)")
    parser.add_argument("--sim-debtors", type=int, default=5000, help="0: no simulator figure")
    parser.add_argument("--sim-days", type=int, default=2)
    parser.add_argument("--db-suffix", default="", help="to run two of these side by side: their own databases")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huikuan.config.settings_demo")
    os.environ["DATABASE_URL"] = fresh_database("postgres", "huikuan_bench_analytics" + args.db_suffix)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    facts_s = bench_facts(args.cases)
    from django.db import connection

    from huikuan.analytics.partitions import FACT_TABLES

    _execute(
        "TRUNCATE " + ", ".join(FACT_TABLES),
        {},
    )
    connection.close()
    p95, readout_ms = (
        bench_dashboard(args.dashboard_cases or args.cases, args.fact_days) if args.fact_days else ({}, None)
    )
    connection.close()
    simulate_s = (
        bench_simulator(
            args.sim_debtors, args.sim_days, fresh_database("postgres", "huikuan_bench_sim" + args.db_suffix)
        )
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
                "dashboard_cases": args.dashboard_cases or args.cases,
                "dashboard_p95_ms": max(p95.values()) if p95 else None,
                "dashboard_p95_ms_by_chart": p95,
                "readout_compute_ms": readout_ms,
                "sim_debtors": args.sim_debtors,
                "simulate_s_per_day": None if simulate_s is None else round(simulate_s, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
