"""Benchmark of the strategy run: `python bench/strategy.py --cases 1000000`.

1. Policy evaluation in memory: a synthetic columnar snapshot of N cases (numpy), evaluated with the
   example default policy, then the minimal contact gate.
2. End to end on PostgreSQL: N cases generated server-side with generate_series (the full portfolio
   generator writes realistic ledgers through the ORM and would take hours at this size), the default
   message templates seeded, then `run_strategy`: snapshot read → evaluation → compliance gate → queue
   assignment → work items written by COPY and committed (the end to end the issue asks for: read → work
   items written), then SMS, e-mails and letters rendered into the comms outbox (the run's total). The
   run uses the default shards (HUIKUAN_STRATEGY_SHARDS: 2 child processes side by side).
3. Same-day re-runs: one with nothing changed (`rerun_s`), then one after a promise was taken on 1% of
   the cases (`rerun_after_change_s`): each from the history the run before kept (strategy/snapshot_cache.py).
4. The next night (`next_night_s`): the following day's run with the first night's assignments standing, as
   every night after the first is (the first deals the whole book: hundreds of thousands of reassignments),
   after a day of work (`day_between`: every queued message sent, 9,000 calls, 6,000 finished items, 2,000
   payments), on the tables vacuumed and analysed as a day of autovacuum would leave them. It starts from the
   history the day's last run kept (`next_night_snapshot`: the shards that did, the cases read again).

Prints the figures and ends with one JSON line. Needs PostgreSQL; the database (default bench_strategy) is
created if missing and its tables are emptied first.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from databases import peak_rss_mb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
AS_OF = date(2026, 11, 20)
# When the promises the benchmark adds between its re-runs were given (--reuse removes them by it; the
# generated ones are older).
CHANGE_AT = "2026-11-19T23:00:00+00:00"


def synthetic_snapshot(n: int):  # type: ignore[no-untyped-def]
    import numpy as np
    import polars as pl

    from huikuan.kernel.strategy.evaluate import SNAPSHOT_SCHEMA

    rng = np.random.default_rng(1)

    def ids(p: float) -> pl.Series:
        return pl.Series(np.arange(1, n + 1, dtype=np.int64) * 10).set(pl.Series(rng.random(n) >= p), None)

    dpd = np.minimum(rng.geometric(1 / 60, n), 720)
    frame = pl.DataFrame({"case_id": np.arange(1, n + 1), "dpd": dpd}).with_columns(
        (pl.lit(AS_OF) - pl.duration(days=pl.col("dpd"))).alias("oldest_due_date"),
        status=pl.Series(np.where(rng.random(n) < 0.03, "on_hold", "open")),
        hold_reason=pl.Series(np.where(rng.random(n) < 0.6, "dispute", "complaint")),
        team_id=pl.Series(rng.integers(1, 4, n)),
        assignee_id=pl.Series(rng.integers(1, 61, n)),
        time_zone=pl.Series(np.where(rng.random(n) < 0.95, "Asia/Shanghai", "Asia/Urumqi")),
        balance_fen=pl.Series(rng.lognormal(9.5, 1.1, n).astype(np.int64) * 100),
        risk_score=pl.lit(None, pl.Float64),
        broken_promises=pl.Series(rng.poisson(0.3, n)),
        kept_promises=pl.Series(rng.poisson(0.2, n)),
        last_broken_due=pl.lit(AS_OF) - pl.duration(days=pl.Series(rng.integers(1, 60, n))),
        next_promise_due=pl.lit(AS_OF) + pl.duration(days=pl.Series(rng.integers(-1, 30, n))),
        payments_since_due=pl.Series(rng.poisson(0.3, n)),
        cured_episodes=pl.Series(rng.poisson(0.2, n)),
        refusals_30d=pl.Series(rng.poisson(0.05, n)),
        hardship_90d=pl.Series(rng.poisson(0.03, n)),
        disputes_90d=pl.Series(rng.poisson(0.01, n)),
        failed_attempts_30d=pl.Series(rng.poisson(1.5, n)),
        rpc_30d=pl.Series(rng.poisson(0.8, n)),
        escalated_before=pl.Series(rng.random(n) < 0.5),
        legal_review_before=pl.Series(rng.random(n) < 0.5),
        mobile_id=ids(0.94),
        home_id=ids(0.35),
        work_id=ids(0.4),
        email_id=ids(0.5),
        postal_id=ids(1.0),
        third_party_id=ids(0.6),
        dnc_phones=pl.Series(rng.random(n) < 0.02).cast(pl.Int32),
        # Follow-up: a few cases on a plan (their next instalment within a month, a few missed), broken plans
        # and abusive calls as rare as refusals.
        next_instalment_due=pl.when(pl.Series(rng.random(n) < 0.05))
        .then(pl.lit(AS_OF) + pl.duration(days=pl.Series(rng.integers(0, 31, n))))
        .otherwise(None),
        last_missed_instalment=pl.when(pl.Series(rng.random(n) < 0.01))
        .then(pl.lit(AS_OF) - pl.duration(days=pl.Series(rng.integers(1, 10, n))))
        .otherwise(None),
        broken_plans=pl.Series(rng.poisson(0.02, n)),
        abusive_streak=pl.Series(rng.poisson(0.01, n)),
    )
    return frame.select([pl.col(k).cast(v) for k, v in SNAPSHOT_SCHEMA.items()])


def bench_evaluation(n: int) -> dict[str, float]:
    from huikuan.kernel.strategy.evaluate import evaluate
    from huikuan.kernel.strategy.gate import minimal_gate
    from huikuan.kernel.strategy.policy import parse_policy

    policy = parse_policy((ROOT / "examples" / "policy-default.yaml").read_text(encoding="utf-8"))
    snapshot = synthetic_snapshot(n)
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        evaluation = evaluate(snapshot, policy, AS_OF)
        best = min(best, time.perf_counter() - started)
    started = time.perf_counter()
    minimal_gate(evaluation.planned)
    gate = time.perf_counter() - started
    print(f"evaluation: {n:,} cases -> {evaluation.planned.height:,} items in {best:.2f}s (best of 3)")
    print(f"gate: {gate:.2f}s")
    return {
        "evaluate_s": round(best, 3),
        "gate_s": round(gate, 3),
        "items_in_memory": evaluation.planned.height,
    }


GENERATE_SQL = """
SELECT setseed(0.42);
INSERT INTO org_team (id, name, created_at, training_required)
VALUES (1, 'A', now(), false), (2, 'B', now(), false), (3, 'C', now(), false);
INSERT INTO org_user (id, password, is_superuser, username, first_name, last_name, email, is_staff, is_active,
                      date_joined, role, team_id, skills, outsourced)
SELECT u, '!', false, 'c' || u, '', '', '', false, true, now(), 'collector', 1 + (u - 1) %% 3,
       CASE WHEN u <= 6 THEN 'specialist' ELSE '' END, false
FROM generate_series(1, 60) u;
INSERT INTO portfolio_debtor (id, customer_no, kind, name, gender, id_type, id_hash, id_last4, employer,
                              address, time_zone, preferred_language, created_at, updated_at)
SELECT i, 'B' || i, 'person', '债务人' || i, 'unknown', '', '', '', '', '',
       CASE WHEN i %% 20 = 0 THEN 'Asia/Urumqi' ELSE 'Asia/Shanghai' END, 'zh-hans', now(), now()
FROM generate_series(1, %(n)s) i;
INSERT INTO portfolio_contactpoint (debtor_id, kind, value, relation, contact_name, validity, do_not_contact,
                                    dnc_reason, source, created_at)
SELECT i, k.kind, '+86' || k.kind || i, k.relation, '',
       CASE WHEN random() < 0.06 THEN 'invalid' ELSE 'valid' END,
       random() < 0.01, '', 'bench', now()
FROM generate_series(1, %(n)s) i
CROSS JOIN (VALUES ('mobile', 'self', 1.0), ('home', 'self', 0.35), ('work', 'self', 0.4),
                   ('email', 'self', 0.5), ('postal', 'self', 1.0), ('mobile', 'spouse', 0.6))
     AS k(kind, relation, p)
WHERE random() < k.p;
INSERT INTO portfolio_account (id, debtor_id, contract_no, product, currency, original_amount, open_date,
                               due_date, annual_interest_rate, daily_penalty_rate, created_at, updated_at)
SELECT i, i, 'HT' || i, 'consumer_loan', 'CNY', 0, DATE %(as_of)s - 400,
       DATE %(as_of)s - LEAST(720, 1 + floor(-60 * ln(1 - random())))::int, 0.18, 0.0005, now(), now()
FROM generate_series(1, %(n)s) i;
UPDATE portfolio_account SET original_amount =
    (exp(9.5 + 1.1 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())))::bigint * 100;
INSERT INTO portfolio_accountbalance (account_id, principal, interest, fee, penalty, credit, total,
                                      entry_count,
                                      updated_at)
SELECT id, original_amount, 0, 0, 0, 0, original_amount, 1, now() FROM portfolio_account;
INSERT INTO portfolio_ledgerentry (account_id, kind, reference, effective_date, principal, interest, fee,
                                   penalty,
                                   credit, note, created_at)
SELECT id, 'payment', 'bench', due_date + 1, -100, 0, 0, 0, 0, '', now()
FROM portfolio_account WHERE random() < 0.3 AND due_date + 1 < DATE %(as_of)s;
INSERT INTO cases_case (id, debtor_id, status, hold_reason, oldest_due_date, assignee_id, team_id, opened_at,
                        close_reason)
SELECT a.id, a.debtor_id,
       CASE WHEN r < 0.02 THEN 'on_hold' ELSE 'open' END, CASE WHEN r < 0.02 THEN 'dispute' ELSE '' END,
       a.due_date, CASE WHEN random() < 0.8 THEN 1 + (a.id - 1) %% 3 + 3 * floor(random() * 20)::int END,
       1 + (a.id - 1) %% 3, now(), ''
FROM (SELECT *, random() AS r FROM portfolio_account) a;
INSERT INTO cases_interaction (case_id, channel, party, outcome, notes, at)
SELECT 1 + (g %% %(n)s), 'call',
       CASE WHEN o IN ('no_answer', 'busy', 'switched_off') THEN 'nobody' ELSE 'debtor' END, o, '',
       TIMESTAMPTZ %(as_of)s - (1 + floor(random() * 60)) * INTERVAL '1 day'
FROM (SELECT g, (ARRAY['no_answer','no_answer','busy','switched_off','right_party','right_party','callback',
                       'refusal','hardship','dispute'])[1 + floor(random() * 10)::int] AS o
      FROM generate_series(1, %(n)s * 4) g) x;
INSERT INTO cases_promise (case_id, amount, due_date, channel, state, paid_amount, created_at)
SELECT id, 50000, DATE %(as_of)s + d, 'call',
       CASE WHEN d >= 0 THEN 'pending' WHEN random() < 0.5 THEN 'broken'
       ELSE 'kept' END, 0, TIMESTAMPTZ %(as_of)s - INTERVAL '20 days'
FROM (SELECT id, floor(random() * 30)::int - 15 AS d FROM cases_case WHERE random() < 0.3) p;
"""

TABLES = (
    "comms_message, strategy_workitem, strategy_strategyrun, strategy_experimentarm, strategy_experiment, "
    "strategy_policyversion, audit_changelog, cases_promise, cases_interaction, cases_case, "
    "portfolio_ledgerentry, portfolio_accountbalance, portfolio_account, portfolio_contactpoint, "
    "portfolio_debtor, org_user, org_team"
)


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def start_workers(count: int, url: str, redis_url: str) -> list[object]:
    """``count`` Celery worker processes (one task at a time each) on a private queue of ``redis_url``.

    The run then goes through the broker as on several machines: the nightly task opens it, each shard is a
    task on whichever worker is free, and the chord closes it.
    """
    import subprocess
    import uuid

    queue = f"bench-strategy-{uuid.uuid4().hex[:8]}"
    os.environ.update(REDIS_URL=redis_url, HUIKUAN_CELERY_QUEUE=queue)
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT / "src")}
    env.setdefault("DJANGO_SETTINGS_MODULE", "huikuan.config.settings_demo")
    # As the shard processes do: the cores shared out between the workers, not a full pool each.
    env.setdefault("POLARS_MAX_THREADS", str(max(1, (os.cpu_count() or 1) // count)))
    # In the system's temporary directory, wherever the machine keeps it.
    logs = [Path(tempfile.gettempdir()) / f"bench-strategy-worker{i}-{os.getpid()}.log" for i in range(count)]
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "huikuan.config",
                "worker",
                "--pool=solo",
                "-Q",
                queue,
                "-n",
                f"w{i}-{queue}@%h",
                "--prefetch-multiplier=1",
                "-O",
                "fair",
                "--loglevel=INFO",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log.open("w"),
        )
        for i, log in enumerate(logs)
    ]
    deadline = time.monotonic() + 120
    while not all(" ready." in log.read_text() for log in logs):
        if time.monotonic() > deadline or any(w.poll() is not None for w in workers):
            raise SystemExit("the Celery workers did not start: " + " ".join(str(log) for log in logs))
        time.sleep(0.2)
    print(f"{count} Celery workers on {redis_url}, queue {queue} (logs {logs[0].parent}/bench-strategy-worker*)")
    return workers


def run_on_workers(shards: int, as_of: date = AS_OF):  # type: ignore[no-untyped-def]
    """A real run through the broker; returns the closed run (the chord's callback closes it)."""
    from huikuan.strategy.executors import run_strategy
    from huikuan.strategy.models import RunStatus

    report = run_strategy(as_of, shards=shards)
    run = report.run
    assert run is not None
    while run.status == RunStatus.RUNNING:
        time.sleep(0.2)
        run.refresh_from_db()
    assert run.status == RunStatus.DONE, run.error
    return run


def bench_end_to_end(n: int, url: str, reuse: bool = False, workers: int = 0, redis_url: str = "") -> dict[str, object]:
    os.environ["DATABASE_URL"] = url
    processes = start_workers(workers, url, redis_url) if workers else []
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huikuan.config.settings_demo")
    ensure_database(url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM cases_case")
        row = cursor.fetchone()
        reuse = reuse and row is not None and row[0] == n
        statements: list[str] = []
        if reuse:
            # Same cases; the runs, items and assignments of earlier benchmarks are reset, and the change log
            # the runs' reassignments wrote (each run would otherwise write into a bigger one).
            cursor.execute("DELETE FROM cases_promise WHERE created_at = TIMESTAMPTZ %s", [CHANGE_AT])
            # The day between the nights (``_a_day_of_work``) of an earlier benchmark.
            cursor.execute("DELETE FROM cases_interaction WHERE at = TIMESTAMPTZ %s", [DAY_AT])
            cursor.execute(
                "UPDATE portfolio_accountbalance SET principal = principal + 100, total = total + 100"
                " WHERE account_id IN (SELECT account_id FROM portfolio_ledgerentry WHERE reference = 'bench-day')"
            )
            cursor.execute("DELETE FROM portfolio_ledgerentry WHERE reference = 'bench-day'")
            cursor.execute(
                "TRUNCATE comms_message, strategy_workitem, strategy_strategyrun, strategy_experimentarm, "
                "strategy_experiment, strategy_policyversion, audit_changelog CASCADE"
            )
            # Only the rows that differ: rewriting all of them would leave a million dead tuples behind
            # and the run would be measured on a bloated table, which autovacuum would not leave in place.
            cursor.execute(
                "UPDATE cases_case SET assignee_id = r.assignee_id"
                " FROM (SELECT id, CASE WHEN id % 5 = 0 THEN NULL ELSE 1 + (id - 1) % 3 + 3 * (id % 20) END"
                "       AS assignee_id FROM cases_case) r"
                " WHERE cases_case.id = r.id AND cases_case.assignee_id IS DISTINCT FROM r.assignee_id"
            )
        else:
            cursor.execute(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE")
            statements = GENERATE_SQL.split(";\n")
        for statement in statements:
            if statement.strip():
                cursor.execute(statement, {"n": n, "as_of": AS_OF.isoformat()})
        # As a database that has been live a while would be: dead tuples vacuumed, statistics current.
        cursor.execute("VACUUM ANALYZE")
    generated = time.perf_counter() - started
    print(f"generated {n:,} cases in PostgreSQL in {generated:.1f}s (server-side generate_series)")

    from huikuan.comms.templates import seed_default_templates
    from huikuan.strategy.actions import import_policy

    seed_default_templates()
    import_policy((ROOT / "examples" / "policy-default.yaml").read_text(encoding="utf-8"), activate=True)
    before = int(peak_rss_mb())
    try:
        return {"generate_s": round(generated, 1), **_runs(before, workers)}
    finally:
        for process in processes:
            process.terminate()  # type: ignore[attr-defined]
        for process in processes:
            process.wait(timeout=60)  # type: ignore[attr-defined]


# A day's work between two nights at the benchmark's scale (sixty collectors): calls with their outcomes, the
# items they finish, payments posted.
DAY_CALLS, DAY_DONE, DAY_PAYMENTS = 9_000, 6_000, 2_000
DAY_AT = "2026-11-20T10:00:00+08:00"  # during AS_OF, in the runs' zone


def _a_day_of_work() -> dict[str, int]:
    """What a day between two nights writes, in the product's tables (the journal's triggers see it as they
    would see the product's own writes). Deterministic: the cases are picked by id."""
    from django.db import connection, transaction

    figures = {}
    with transaction.atomic(), connection.cursor() as cursor:
        # The outbox sent every queued message (comms.dispatch leaves one such interaction per message).
        cursor.execute(
            "INSERT INTO cases_interaction (case_id, channel, party, outcome, notes, at)"
            " SELECT case_id, channel, 'nobody', 'sent', '', TIMESTAMPTZ %s FROM comms_message"
            " WHERE case_id IS NOT NULL",
            [DAY_AT],
        )
        figures["sent"] = cursor.rowcount
        cursor.execute(
            "INSERT INTO cases_interaction (case_id, channel, party, outcome, notes, at)"
            " SELECT id, 'call', CASE WHEN id %% 3 = 0 THEN 'nobody' ELSE 'debtor' END,"
            "        (ARRAY['no_answer', 'right_party', 'callback', 'refusal', 'hardship'])[1 + id %% 5], '',"
            "        TIMESTAMPTZ %s FROM cases_case WHERE id %% 97 = 3 ORDER BY id LIMIT %s",
            [DAY_AT, DAY_CALLS],
        )
        figures["calls"] = cursor.rowcount
        cursor.execute(
            "UPDATE strategy_workitem SET status = 'done' WHERE id IN (SELECT id FROM strategy_workitem"
            " WHERE as_of = %s AND status = 'pending' AND action = 'call' AND case_id %% 89 = 5 ORDER BY id"
            " LIMIT %s)",
            [AS_OF.isoformat(), DAY_DONE],
        )
        figures["items_done"] = cursor.rowcount
        cursor.execute(
            "INSERT INTO portfolio_ledgerentry (account_id, kind, reference, effective_date, principal, interest,"
            " fee, penalty, credit, note, created_at)"
            " SELECT id, 'payment', 'bench-day', DATE %s, -100, 0, 0, 0, 0, '', now() FROM portfolio_account"
            " WHERE id %% 83 = 11 ORDER BY id LIMIT %s",
            [AS_OF.isoformat(), DAY_PAYMENTS],
        )
        figures["payments"] = cursor.rowcount
        cursor.execute(
            "UPDATE portfolio_accountbalance SET principal = principal - 100, total = total - 100"
            " WHERE account_id IN (SELECT account_id FROM portfolio_ledgerentry WHERE reference = 'bench-day')"
        )
    return figures


def _runs(before: int, workers: int) -> dict[str, object]:
    """The first run of the day, a same-day re-run with nothing changed, and one after a change to 1% of the
    cases, in this process's children or on the workers."""
    from django.db import connection, transaction

    from huikuan.audit.models import ChangeLog
    from huikuan.cases.assignment import REASSIGNED
    from huikuan.comms.models import Message
    from huikuan.strategy.executors import run_strategy

    def run_once(as_of: date = AS_OF):  # type: ignore[no-untyped-def]
        if workers:
            return run_on_workers(workers, as_of)
        report = run_strategy(as_of)
        assert report.run is not None
        return report.run

    started = time.perf_counter()
    run = run_once()
    end_to_end = time.perf_counter() - started
    items_s = run.timings.get("items", end_to_end)
    print(
        f"end to end: {run.cases:,} cases -> {run.written:,} work items written in {items_s:.1f}s"
        f" ({run.shards} shards); with the outbox hand-over the run took {end_to_end:.1f}s"
    )
    print(f"  phases (summed over the shards): {run.timings}")
    messages = Message.objects.count()
    print(
        f"  outbox: {messages:,} messages queued; peak memory of the run {run.peak_memory_mb} MB"
        " (the shard processes' peaks added up, or this process's high-water mark if larger)"
    )
    started = time.perf_counter()
    rerun = run_once()
    rerun_s = time.perf_counter() - started
    assert rerun.written == run.written
    assert Message.objects.count() == messages, "a re-run queues nothing twice"
    print(
        f"re-run the same day: {rerun_s:.1f}s, {rerun.written:,} items,"
        f" {rerun.details.get('inserted', 0):,} rewritten, {rerun.details.get('deleted', 0):,} deleted"
    )
    print(f"  phases: {rerun.timings}")
    # The day goes on: one case in a hundred promised to pay in three days (a promise the policy follows
    # instead of its reminders), and the strategy runs again.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO cases_promise (case_id, amount, due_date, channel, state, paid_amount, created_at)"
            " SELECT id, 50000, DATE %s + 3, 'call', 'pending', 0, TIMESTAMPTZ %s FROM cases_case"
            " WHERE id %% 100 = 7",
            [AS_OF.isoformat(), CHANGE_AT],
        )
        touched = cursor.rowcount
    started = time.perf_counter()
    after = run_once()
    after_s = time.perf_counter() - started
    print(
        f"re-run after a promise on {touched:,} cases: {after_s:.1f}s,"
        f" {after.details.get('inserted', 0):,} items rewritten, {after.details.get('deleted', 0):,} deleted,"
        f" {after.details.get('handed_over', 0):,} offered to the outbox"
    )
    print(f"  phases: {after.timings}")
    # The day between the two nights, as the product leaves it: every queued message sent (each leaves a
    # "sent" interaction on its case), the collectors' calls and finished items, and payments. The next night
    # starts from the history the day's last run kept, reading again what the day changed.
    day = _a_day_of_work()
    print(f"the day: {day}")
    # The next night, with today's assignments standing. The night a team lives every night after the first,
    # which dealt the whole book (hundreds of thousands of reassignments) once.
    moves = ChangeLog.objects.filter(action=REASSIGNED)
    moved_before, messages_before = moves.count(), Message.objects.count()
    # A day passes between two nights, and autovacuum with it: the first night's million items, moves and
    # messages vacuumed and analysed, as the reset leaves the tables before the first night (right after the
    # first night, the escalations' index-only scan would read the unvacuumed table's heap instead).
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    started = time.perf_counter()
    following = run_once(AS_OF + timedelta(days=1))
    following_s = time.perf_counter() - started
    following_moves = moves.count() - moved_before
    following_messages = Message.objects.count() - messages_before
    print(
        f"the next night: {following_s:.1f}s, {following.cases:,} cases -> {following.written:,} items,"
        f" {following_moves:,} reassigned, {following_messages:,} messages queued"
    )
    print(f"  phases: {following.timings}")
    return {
        "workers": workers,
        "end_to_end_s": round(items_s, 2),
        "run_with_outbox_s": round(end_to_end, 2),
        "shards": run.shards,
        "run_peak_memory_mb": run.peak_memory_mb,
        "rerun_s": round(rerun_s, 2),
        "phases_s": run.timings,
        "cases": run.cases,
        "items_written": run.written,
        "messages_queued": messages,
        "rerun_phases_s": rerun.timings,
        "rerun_rewritten": rerun.details.get("inserted", 0),
        "rerun_after_change_cases": touched,
        "rerun_after_change_s": round(after_s, 2),
        "rerun_after_change_phases_s": after.timings,
        "rerun_after_change_rewritten": after.details.get("inserted", 0),
        "next_night_s": round(following_s, 2),
        "next_night_items": following.written,
        "next_night_reassigned": following_moves,
        "next_night_messages": following_messages,
        "next_night_phases_s": following.timings,
        "next_night_snapshot": following.details.get("snapshot"),
        "day_between": day,
        "rss_before_run_mb": before,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/bench_strategy")
    parser.add_argument("--skip-end-to-end", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="keep cases already generated for this N")
    parser.add_argument(
        "--workers", type=int, default=0, help="run on N Celery worker processes (N shards) through Redis"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14", help="the broker for --workers")
    args = parser.parse_args()
    figures: dict[str, object] = {"benchmark": "strategy", "cases": args.cases}
    figures.update(bench_evaluation(args.cases))
    figures["peak_rss_after_evaluation_mb"] = int(peak_rss_mb())
    if not args.skip_end_to_end:
        figures.update(bench_end_to_end(args.cases, args.database_url, args.reuse, args.workers, args.redis_url))
    figures["peak_rss_mb"] = int(peak_rss_mb())
    print(f"peak memory (RSS high-water mark of the process): {figures['peak_rss_mb']} MB")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
