"""Reading the columnar snapshot of open cases in bulk: a handful of aggregate queries, no ORM loop.

Each query aggregates one table per case in the database (the database is good at GROUP BY over millions
of rows; shipping raw history to Python is not) and comes back as a Polars frame; the frames are joined
on case id. On PostgreSQL the rows travel by ``COPY ... TO STDOUT`` as CSV straight into Polars; on SQLite
through the cursor. The SQL is the same on both, so both give the same snapshot.

History counts only before the run's day starts (local midnight of ``as_of``), so a run for a past day
sees what that night would have seen, and a re-run the same day is not affected by its own items.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
from django.conf import settings
from django.db import connection

from huikuan.cases.models import Case, Interaction, Promise
from huikuan.db.bulkread import bulk_reads, id_array_literal, read_frame
from huikuan.kernel import lifecycle
from huikuan.kernel.contacts import FAILED, SELF, UNREACHABLE_VISIT_OUTCOMES
from huikuan.kernel.contacts import Outcome as Said
from huikuan.kernel.strategy.evaluate import SNAPSHOT_SCHEMA
from huikuan.kernel.strategy.policy import ESCALATIONS
from huikuan.payments.models import Instalment, RepaymentPlan
from huikuan.portfolio.models import Account, AccountBalance, ContactPoint, Debtor, LedgerEntry, default_time_zone
from huikuan.scoring.stored import stored_scores
from huikuan.strategy.models import WorkItem


@dataclass(frozen=True)
class Shard:
    index: int = 0
    count: int = 1

    def where(self, column: str) -> str:
        # Integers formatted by us, never user input: safe to inline, and COPY cannot take parameters.
        # Doubled: the statement goes through %-style parameter binding on both databases.
        return "" if self.count == 1 else f" AND {column} %% {int(self.count)} = {int(self.index)}"


# The SQL forms of kernel.contacts.counts_toward_unreachable and kernel.lifecycle.in_collection take their sets
# from there.
FAILED_OUTCOMES = tuple(sorted(FAILED))
UNREACHABLE_VISITS = tuple(sorted(UNREACHABLE_VISIT_OUTCOMES))
OPEN_STATUSES = tuple(sorted(lifecycle.IN_COLLECTION))


# The tables the queries read, by their models' names for them.
CASE, DEBTOR, ACCOUNT = Case._meta.db_table, Debtor._meta.db_table, Account._meta.db_table
BALANCE, ENTRY, POINT = AccountBalance._meta.db_table, LedgerEntry._meta.db_table, ContactPoint._meta.db_table
PROMISE, INTERACTION, WORK_ITEM = Promise._meta.db_table, Interaction._meta.db_table, WorkItem._meta.db_table
PLAN, INSTALMENT = RepaymentPlan._meta.db_table, Instalment._meta.db_table
ABUSIVE = Said.ENDED_ABUSIVE.value


# The interactions the history's queries count in some column (a call or a visit, one that reached the debtor,
# or an outcome counted whatever its channel); the others (a sent message's SMS that reached nobody) change no
# case's history. The snapshot journal's interaction triggers keep the same rows (migration strategy 0014, a
# frozen copy of this text, held to it by tests/strategy/test_snapshot_cache.py).
COUNTED_INTERACTIONS = (
    "channel IN ('call', 'visit') OR party = 'debtor' OR outcome IN ('refusal', 'hardship', 'dispute', 'ended_abusive')"
)

# The snapshot's columns but the risk score: what the database's history gives (``read_history``).
HISTORY_SCHEMA = {name: dtype for name, dtype in SNAPSHOT_SCHEMA.items() if name != "risk_score"}


def _among(only: Sequence[int] | None, column: str) -> str:
    """The restriction to ``only``'s cases (bound as one array parameter), or none."""
    return "" if only is None else f" AND {column} = ANY(%(only)s::bigint[])"


def _quoted(values: Sequence[str]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def _day_start(as_of: date) -> Any:
    start = datetime.combine(as_of, time(0), tzinfo=ZoneInfo(settings.TIME_ZONE))
    return connection.ops.adapt_datetimefield_value(start)


def read_snapshot(as_of: date, shard: Shard | None = None) -> pl.DataFrame:
    """One row per open case with SNAPSHOT_SCHEMA columns, sorted by case id."""
    shard = shard or Shard()
    with bulk_reads():
        return with_risk_scores(read_history(as_of, shard), as_of, shard)


def read_history(as_of: date, shard: Shard, only: Sequence[int] | None = None) -> pl.DataFrame:
    """The snapshot but its risk score (HISTORY_SCHEMA), sorted by case id; ``only``: just these cases.

    Inside ``bulk_reads``. The part a same-day re-run can keep (strategy.snapshot_cache): the night's scores
    are rewritten whole on every run, so they are joined afresh each time (``with_risk_scores``).
    """
    whole_shard = connection.vendor == "postgresql" and shard.count > 1 and only is None
    if whole_shard:
        # PostgreSQL guesses that a shard's `id % N = i` keeps 0.5% of the cases, not 1/N, and then
        # joins the accounts, balances and ledger by index lookups, case by case: twice as slow as
        # hashing for half a million cases (a shard's read takes 24 s instead of 14 s at 1M cases
        # under load). Without the shard predicate the estimates are right and the planner free. A read
        # of a few changed cases (``only``) is what index lookups are for.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_nestloop = off")
    history = _read_history(as_of, shard, only)
    if whole_shard:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_nestloop TO DEFAULT")
    return history


def with_risk_scores(history: pl.DataFrame, as_of: date, shard: Shard) -> pl.DataFrame:
    """The history with the night's repayment probabilities, when a model is in force: the risk is its
    complement (null without a score)."""
    scores = stored_scores(as_of, shard.index, shard.count).select(
        "case_id", (1.0 - pl.col("probability")).alias("risk_score")
    )
    return history.join(scores, on="case_id", how="left", maintain_order="left").select(
        [pl.col(name).cast(dtype) for name, dtype in SNAPSHOT_SCHEMA.items()]
    )


def _columns(*names: str) -> dict[str, pl.DataType]:
    """The snapshot's own types for the columns a query reads, so each column is typed in one place."""
    return {name: SNAPSHOT_SCHEMA[name] for name in names}


def _bounds(as_of: date) -> dict[str, Any]:
    """Every bound of the history's queries that moves with the day: what makes a case's history read
    differently from one day to the next with no row changed (``carried_forward`` follows these)."""
    return {
        "as_of": connection.ops.adapt_datefield_value(as_of),
        "yesterday": connection.ops.adapt_datefield_value(as_of - timedelta(days=1)),
        "day": _day_start(as_of),
        "since_30": _day_start(as_of - timedelta(days=30)),
        "since_90": _day_start(as_of - timedelta(days=90)),
    }


def carried_forward(history: pl.DataFrame, since: date, until: date, shard: Shard) -> tuple[pl.DataFrame, list[int]]:
    """A history read on ``since`` (the shard's, HISTORY_SCHEMA), brought to the later day ``until`` as far as
    that needs no read of its cases, and the cases that do need one.

    With no row changed, a case's history reads differently on ``until`` only through the bounds that move
    with the day (``_bounds``): for each of them, the rows between its value on the one day and on the other
    name the cases to read again (a superset: the rows' other conditions are not looked at). The earlier
    escalations are the exception: those of the days in between (the earlier run's own hand-overs, half a
    book's on a first night) only ever set a case's flags, so they are ORed in instead. The cases whose rows
    changed are the snapshot journal's (strategy.snapshot_cache). PostgreSQL (the kept histories are)."""
    old, new = _bounds(since), _bounds(until)
    params = {f"{key}_0": value for key, value in old.items()} | {f"{key}_1": value for key, value in new.items()}

    def between(column: str, bound: str) -> str:
        return f"({column} >= %({bound}_0)s AND {column} < %({bound}_1)s)"

    escalations = _escalations(
        between("w.as_of", "as_of") + shard.where("w.case_id"), params, "escalated", "legal_review"
    )
    carried = (
        history.join(escalations, on="case_id", how="left", maintain_order="left")
        .with_columns(
            (pl.col("escalated_before") | (pl.col("escalated").fill_null(0) > 0)).alias("escalated_before"),
            (pl.col("legal_review_before") | (pl.col("legal_review").fill_null(0) > 0)).alias("legal_review_before"),
        )
        .select(history.columns)
    )
    sql = f"""
        SELECT c.id FROM {CASE} c
        WHERE {between("c.oldest_due_date", "as_of")}{shard.where("c.id")}
        UNION
        SELECT c.id FROM {ENTRY} e JOIN {ACCOUNT} a ON a.id = e.account_id JOIN {CASE} c ON c.debtor_id = a.debtor_id
        WHERE e.kind = 'payment' AND {between("e.effective_date", "as_of")}{shard.where("c.id")}
        UNION
        SELECT p.case_id FROM {PROMISE} p
        WHERE ({between("p.created_at", "day")} OR {between("p.due_date", "yesterday")}){shard.where("p.case_id")}
        UNION
        SELECT i.case_id FROM {INTERACTION} i
        WHERE ({between("i.at", "day")} OR {between("i.at", "since_30")} OR {between("i.at", "since_90")})
              AND ({COUNTED_INTERACTIONS}){shard.where("i.case_id")}
        UNION
        SELECT p.case_id FROM {PLAN} p JOIN {INSTALMENT} i ON i.plan_id = p.id
        WHERE {between("i.due_date", "as_of")}{shard.where("p.case_id")}
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return carried, sorted(row[0] for row in cursor.fetchall())


def _escalations(where: str, params: dict[str, Any], escalated: str, legal_review: str) -> pl.DataFrame:
    """Per case, whether its hand-overs that ``where`` selects (not cancelled) include an escalation to a
    specialist and a legal review, as 1 or 0 in the columns so named."""
    return read_frame(
        f"""SELECT w.case_id,
                   MAX(CASE WHEN w.action = 'escalate_specialist' THEN 1 ELSE 0 END),
                   MAX(CASE WHEN w.action = 'legal_review' THEN 1 ELSE 0 END)
            FROM {WORK_ITEM} w
            WHERE w.action IN ({_quoted(ESCALATIONS)}) AND w.status <> 'cancelled' AND {where}
            GROUP BY w.case_id""",
        params,
        {"case_id": pl.Int64(), escalated: pl.Int32(), legal_review: pl.Int32()},
    )


def _read_history(as_of: date, shard: Shard, only: Sequence[int] | None) -> pl.DataFrame:
    case_where = (
        f"c.status IN ({_quoted(OPEN_STATUSES)}) AND c.oldest_due_date IS NOT NULL"
        f" AND c.oldest_due_date < %(as_of)s{shard.where('c.id')}{_among(only, 'c.id')}"
    )
    params = {
        **_bounds(as_of),
        "default_zone": default_time_zone(),
        "only": id_array_literal(only or ()),
    }

    cases = read_frame(
        f"""SELECT c.id, c.status, c.hold_reason, c.oldest_due_date, c.team_id, c.assignee_id,
                   COALESCE(NULLIF(d.time_zone, ''), %(default_zone)s), c.cured_episodes
            FROM {CASE} c JOIN {DEBTOR} d ON d.id = c.debtor_id
            WHERE {case_where}""",
        params,
        _columns(
            "case_id",
            "status",
            "hold_reason",
            "oldest_due_date",
            "team_id",
            "assignee_id",
            "time_zone",
            "cured_episodes",
        ),
    )
    balances = read_frame(
        f"""SELECT c.id, SUM(b.total)
            FROM {CASE} c
            JOIN {ACCOUNT} a ON a.debtor_id = c.debtor_id
            JOIN {BALANCE} b ON b.account_id = a.id
            WHERE {case_where} GROUP BY c.id""",
        params,
        _columns("case_id", "balance_fen"),
    )
    payments = read_frame(
        f"""SELECT c.id, COUNT(*)
            FROM {CASE} c
            JOIN {ACCOUNT} a ON a.debtor_id = c.debtor_id
            JOIN {ENTRY} e ON e.account_id = a.id
            WHERE {case_where} AND e.kind = 'payment' AND e.effective_date > a.due_date
              AND e.effective_date < %(as_of)s
            GROUP BY c.id""",
        params,
        _columns("case_id", "payments_since_due"),
    )
    promises = read_frame(
        f"""SELECT p.case_id,
                   SUM(CASE WHEN p.state = 'broken' THEN 1 ELSE 0 END),
                   SUM(CASE WHEN p.state = 'kept' THEN 1 ELSE 0 END),
                   MAX(CASE WHEN p.state = 'broken' THEN p.due_date END),
                   MIN(CASE WHEN p.state = 'pending' AND p.due_date >= %(yesterday)s THEN p.due_date END)
            FROM {PROMISE} p
            WHERE p.created_at < %(day)s{shard.where("p.case_id")}{_among(only, "p.case_id")}
            GROUP BY p.case_id""",
        params,
        _columns("case_id", "broken_promises", "kept_promises", "last_broken_due", "next_promise_due"),
    )
    interactions = read_frame(
        f"""SELECT i.case_id,
                   SUM(CASE WHEN i.outcome = 'refusal' AND i.at >= %(since_30)s THEN 1 ELSE 0 END),
                   SUM(CASE WHEN i.outcome = 'hardship' THEN 1 ELSE 0 END),
                   SUM(CASE WHEN i.outcome = 'dispute' THEN 1 ELSE 0 END),
                   SUM(CASE WHEN ((i.channel = 'call' AND i.outcome IN ({_quoted(FAILED_OUTCOMES)}))
                                  OR (i.channel = 'visit' AND i.outcome IN ({_quoted(UNREACHABLE_VISITS)})))
                            AND i.at >= %(since_30)s THEN 1 ELSE 0 END),
                   SUM(CASE WHEN i.party = 'debtor' AND i.channel IN ('call', 'visit')
                            AND i.at >= %(since_30)s THEN 1 ELSE 0 END)
            FROM {INTERACTION} i
            WHERE i.at >= %(since_90)s AND i.at < %(day)s{shard.where("i.case_id")}{_among(only, "i.case_id")}
            GROUP BY i.case_id""",
        params,
        _columns("case_id", "refusals_30d", "hardship_90d", "disputes_90d", "failed_attempts_30d", "rpc_30d"),
    )
    contacts = read_frame(
        f"""SELECT c.id,
                   MIN(CASE WHEN p.do_not_contact = %(no)s AND p.relation = %(own)s AND p.kind = 'mobile'
                            THEN p.id END),
                   MIN(CASE WHEN p.do_not_contact = %(no)s AND p.relation = %(own)s AND p.kind = 'home' THEN p.id END),
                   MIN(CASE WHEN p.do_not_contact = %(no)s AND p.relation = %(own)s AND p.kind = 'work' THEN p.id END),
                   MIN(CASE WHEN p.do_not_contact = %(no)s AND p.relation = %(own)s AND p.kind = 'email' THEN p.id END),
                   MIN(CASE WHEN p.do_not_contact = %(no)s AND p.relation = %(own)s AND p.kind = 'postal'
                            THEN p.id END),
                   MIN(CASE WHEN p.do_not_contact = %(no)s AND p.relation <> %(own)s
                             AND p.kind IN ('mobile', 'home', 'work') THEN p.id END),
                   SUM(CASE WHEN p.do_not_contact <> %(no)s AND p.relation = %(own)s
                             AND p.kind IN ('mobile', 'home', 'work') THEN 1 ELSE 0 END)
            FROM {CASE} c JOIN {POINT} p ON p.debtor_id = c.debtor_id
            WHERE {case_where} AND p.validity <> 'invalid'
            GROUP BY c.id""",
        {**params, "no": False, "own": SELF},
        _columns("case_id", "mobile_id", "home_id", "work_id", "email_id", "postal_id", "third_party_id", "dnc_phones"),
    )
    earlier = _escalations(
        f"w.as_of < %(as_of)s{shard.where('w.case_id')}{_among(only, 'w.case_id')}",
        params,
        "escalated_before",
        "legal_review_before",
    )
    # Plans in force and broken ones; few cases have one, and the instalments are read through their plans.
    plans = read_frame(
        f"""SELECT p.case_id,
                   MIN(CASE WHEN p.status = 'active' AND i.status <> 'paid' AND i.due_date >= %(as_of)s
                            THEN i.due_date END),
                   MAX(CASE WHEN i.status <> 'paid' AND i.due_date < %(as_of)s THEN i.due_date END),
                   COUNT(DISTINCT CASE WHEN p.status = 'broken' THEN p.id END)
            FROM {PLAN} p JOIN {INSTALMENT} i ON i.plan_id = p.id
            WHERE p.status IN ('active', 'broken'){shard.where("p.case_id")}{_among(only, "p.case_id")}
            GROUP BY p.case_id""",
        params,
        _columns("case_id", "next_instalment_due", "last_missed_instalment", "broken_plans"),
    )
    # Abusive calls since the last calm conversation with the debtor, within the 90 days; only cases that
    # had one are looked at.
    abusive = read_frame(
        f"""SELECT i.case_id, COUNT(*)
            FROM {INTERACTION} i
            LEFT JOIN (SELECT case_id, MAX(at) AS calm FROM {INTERACTION}
                       WHERE party = 'debtor' AND outcome <> %(abusive)s AND at < %(day)s
                         AND case_id IN (SELECT case_id FROM {INTERACTION} WHERE outcome = %(abusive)s)
                       GROUP BY case_id) c ON c.case_id = i.case_id
            WHERE i.outcome = %(abusive)s AND i.at >= %(since_90)s AND i.at < %(day)s
              AND (c.calm IS NULL OR i.at > c.calm){shard.where("i.case_id")}{_among(only, "i.case_id")}
            GROUP BY i.case_id""",
        {**params, "abusive": ABUSIVE},
        _columns("case_id", "abusive_streak"),
    )
    frame = cases
    for part in (balances, payments, promises, interactions, contacts, earlier, plans, abusive):
        frame = frame.join(part, on="case_id", how="left")
    zero_filled = [
        "balance_fen",
        "payments_since_due",
        "broken_promises",
        "kept_promises",
        "refusals_30d",
        "hardship_90d",
        "disputes_90d",
        "failed_attempts_30d",
        "rpc_30d",
        "dnc_phones",
        "broken_plans",
        "abusive_streak",
    ]
    return (
        frame.with_columns(
            *[pl.col(c).fill_null(0) for c in zero_filled],
            (pl.col("escalated_before").fill_null(0) > 0).alias("escalated_before"),
            (pl.col("legal_review_before").fill_null(0) > 0).alias("legal_review_before"),
            pl.col("hold_reason").fill_null(""),
        )
        .select([pl.col(name).cast(dtype) for name, dtype in HISTORY_SCHEMA.items()])
        .sort("case_id")
    )
