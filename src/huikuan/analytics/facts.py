"""Daily facts, set-based: a handful of aggregate queries per day into Polars, then COPY into the fact tables.

``compute_day(day)`` writes the facts of one finished day, after the next night's settlement and run:

- *case days*: every case open at the start of the day, its state rebuilt from the ledger (balance and
  oldest unpaid due date from the entries effective before the day: the balance snapshot less the entries
  effective since, which are few, instead of summing every entry), so a backfill of a past day gives what
  that day's run saw; the stage, risk band and behaviour from that day's work items (else the stage
  from the DPD); the arm from the experiment of that day's run, for every case (not only those with items);
- *contact days*: calls and visits (attempts, answered, right-party), SMS and e-mails (sent, delivered)
  and promises made, by case, person, channel and the installation's local hour;
- *money days*: payments by value date, waivers by effective date, and the promises whose grace period
  ended that day with how they settled (final once the next night's settlement ran);
- *rollups* of the three (``kernel.analytics.rollup``): per team × bucket × product × arm, and per team ×
  person × channel × hour, and where the cases open 30 days earlier stand (the month's roll-rate matrix),
  which the charts read instead of one row per case.

Each day is one transaction: its rows are deleted and written again, so a re-run or a backfill is
idempotent. What is rebuilt from the current rows and not from history: a case's status (held or at legal
now), team and assignee (the day's work items' assignee when there is one).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dtime
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
from django.conf import settings
from django.db import connection, transaction

from huikuan.analytics.models import ContactDay
from huikuan.analytics.partitions import FACT_TABLES, ensure_partitions
from huikuan.analytics.readout import forget_readouts
from huikuan.analytics.stored import fact_day_written
from huikuan.db.bulkread import bulk_reads, one_of, read_frame
from huikuan.db.bulkwrite import copy_frame
from huikuan.kernel.analytics.frames import bucket_expr, stage_expr
from huikuan.kernel.analytics.kpis import attributed_payments
from huikuan.kernel.analytics.rollup import (
    ROLL_DAYS,
    channel_rollup,
    coarse_rollups,
    contact_rollup,
    portfolio_rollup,
    roll_rollup,
    vintage_rollup,
    vintage_team_rollup,
)
from huikuan.kernel.strategy.arms import assign_arms
from huikuan.payments.policy import current_policy
from huikuan.strategy.models import RunStatus, StrategyRun

# A payment counts for every channel that reached for its case in the week before it (kpis.channel_stats).
ATTRIBUTION_DAYS = 7
CASE_DAY_COLUMNS = (
    "day", "case_id", "debtor_id", "status", "dpd", "bucket", "stage", "balance_fen", "product", "placed_on",
    "team_id", "assignee_id", "arm", "risk_band", "behaviour",
)  # fmt: skip
CONTACT_DAY_COLUMNS = (
    "day", "case_id", "user_id", "channel", "hour", "weekday", "attempts", "reached", "rpc", "promises",
    "promised_fen",
)  # fmt: skip
MONEY_DAY_COLUMNS = (
    "day", "case_id", "payments", "paid_fen", "waived_fen", "promises_settled", "promises_kept",
    "promises_partly", "promises_broken", "settled_fen", "kept_paid_fen",
)  # fmt: skip


@dataclass
class FactCounts:
    days: int = 0
    case_days: int = 0
    contact_days: int = 0
    money_days: int = 0
    timings: dict[str, float] = field(default_factory=dict)

    def add(self, other: FactCounts) -> None:
        self.days += other.days
        self.case_days += other.case_days
        self.contact_days += other.contact_days
        self.money_days += other.money_days
        for name, seconds in other.timings.items():
            self.timings[name] = self.timings.get(name, 0.0) + seconds


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _instant(day: date) -> Any:
    """The installation's midnight starting ``day``, as the database takes it."""
    return connection.ops.adapt_datetimefield_value(datetime.combine(day, dtime(0), tzinfo=_zone()))


def _utc_text(column: str) -> str:
    """A timestamp column as UTC text 'YYYY-MM-DD HH:MM:SS' on both databases (SQLite keeps it so)."""
    if connection.vendor == "postgresql":
        return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')"
    return f"substr({column}, 1, 19)"


def _local(column: str) -> pl.Expr:
    """The UTC text column as a datetime in the installation's zone."""
    return (
        pl.col(column)
        .str.to_datetime("%Y-%m-%d %H:%M:%S", time_zone="UTC", time_unit="us")
        .dt.convert_time_zone(settings.TIME_ZONE)
    )


def case_day_frame(day: date) -> pl.DataFrame:
    """One row per case open at the start of ``day`` (CASE_DAY_COLUMNS)."""
    params = {
        "day": connection.ops.adapt_datefield_value(day),
        "end": _instant(day + timedelta(days=1)),
        "zone": settings.TIME_ZONE,
    }
    postgres = connection.vendor == "postgresql"
    # The placement day in the installation's zone: PostgreSQL converts; SQLite keeps UTC text, converted below.
    placed = "(c.opened_at AT TIME ZONE %(zone)s)::date" if postgres else _utc_text("c.opened_at")
    cases = read_frame(
        f"""SELECT c.id, c.debtor_id, c.status, c.team_id, c.assignee_id, {placed}
            FROM cases_case c WHERE c.opened_at < %(end)s""",
        params,
        {
            "case_id": pl.Int64, "debtor_id": pl.Int64, "status": pl.Utf8, "team_id": pl.Int64,
            "assignee_id": pl.Int64, "placed_on": pl.Date if postgres else pl.Utf8,
        },
    ).join(debtor_balances(day), on="debtor_id")  # fmt: skip
    if not postgres:
        cases = cases.with_columns(_local("placed_on").dt.date())
    items = read_frame(
        """SELECT case_id, MIN(segment), MIN(behaviour), MIN(stage), MIN(assignee_id)
           FROM strategy_workitem WHERE as_of = %(day)s GROUP BY case_id""",
        params,
        {
            "case_id": pl.Int64,
            "segment": pl.Utf8,
            "behaviour": pl.Utf8,
            "item_stage": pl.Utf8,
            "item_assignee": pl.Int64,
        },
    )
    frame = cases.join(items, on="case_id", how="left").with_columns(
        pl.lit(day).alias("day"),
        (pl.lit(day) - pl.col("oldest_due")).dt.total_days().cast(pl.Int32).alias("dpd"),
        # Open at the start of the day: a case closed since then was open that day.
        pl.when(pl.col("status") == "closed").then(pl.lit("open")).otherwise(pl.col("status")).alias("status"),
        pl.coalesce("item_assignee", "assignee_id").alias("assignee_id"),
        pl.col("segment").str.split("/").list.first().fill_null("").alias("risk_band"),
        pl.col("behaviour").fill_null(""),
    )
    frame = frame.with_columns(
        bucket_expr("dpd").alias("bucket"),
        pl.coalesce("item_stage", stage_expr("dpd", pl.col("status") == "legal")).alias("stage"),
        _arms(day, frame.get_column("case_id")),
    )
    return frame.select(CASE_DAY_COLUMNS).sort("case_id")


def debtor_balances(day: date) -> pl.DataFrame:
    """Per debtor who owed at the start of ``day`` with money past due: the balance then, the oldest due date
    and the product among the accounts that still owed.

    An account's balance then is its snapshot less what was effective since the day began (the entries
    since are few; summing every entry is not). The tables are read as they are (three plain scans, no
    join in the database) and joined and grouped here: on a million accounts the database's join, sort and
    numeric sums took most of the facts' time.
    """
    params = {"day": connection.ops.adapt_datefield_value(day)}
    accounts = read_frame(
        "SELECT id, debtor_id, due_date, product FROM portfolio_account",
        params,
        {"account_id": pl.Int64, "debtor_id": pl.Int64, "due_date": pl.Date, "product": pl.Utf8},
    )
    totals = read_frame(
        "SELECT account_id, total FROM portfolio_accountbalance", params, {"account_id": pl.Int64, "total": pl.Int64}
    )
    later = read_frame(
        """SELECT account_id, SUM(principal + interest + fee + penalty) FROM portfolio_ledgerentry
           WHERE effective_date >= %(day)s GROUP BY account_id""",
        params,
        {"account_id": pl.Int64, "later": pl.Int64},
    )
    owing = accounts.join(totals, on="account_id").join(later, on="account_id", how="left")
    owing = owing.with_columns((pl.col("total") - pl.col("later").fill_null(0)).alias("owed"))
    owes = pl.col("owed") > 0
    return (
        owing.group_by("debtor_id")
        .agg(
            pl.col("owed").sum().alias("balance_fen"),
            pl.col("due_date").filter(owes).min().alias("oldest_due"),
            pl.col("product").filter(owes).min().alias("product"),
        )
        .filter((pl.col("balance_fen") > 0) & (pl.col("oldest_due") < day))
    )


def _arms(day: date, case_ids: pl.Series) -> pl.Series:
    """Each case's arm in the experiment of the day's run ('' without one): the run's own assignment."""
    run = (
        StrategyRun.objects.filter(as_of=day, dry_run=False, status=RunStatus.DONE)
        .select_related("experiment")
        .order_by("-id")
        .first()
    )
    experiment = run.experiment if run is not None else None
    arms = [(a.name, a.share) for a in experiment.arms.order_by("name")] if experiment is not None else []
    if not arms or case_ids.len() == 0:
        return pl.Series("arm", [""] * case_ids.len(), dtype=pl.Utf8)
    assert experiment is not None
    return assign_arms(case_ids, experiment.key, arms)


def arms_of(day: date, case_ids: list[int]) -> dict[int, str]:
    """Case id → arm in the experiment of ``day``'s run (empty without an experiment)."""
    ids = pl.Series("case_id", case_ids, dtype=pl.Int64)
    arms = _arms(day, ids)
    return {case: arm for case, arm in zip(case_ids, arms.to_list(), strict=True) if arm}


def contact_day_frame(day: date) -> pl.DataFrame:
    """Calls, visits, messages and promises of ``day`` by case, person, channel and local hour."""
    params = {"start": _instant(day), "end": _instant(day + timedelta(days=1))}
    text = {"case_id": pl.Int64, "user_id": pl.Int64, "channel": pl.Utf8}
    calls = read_frame(
        f"""SELECT case_id, COALESCE(user_id, 0), channel, {_utc_text("at")},
                   CASE WHEN party <> 'nobody' THEN 1 ELSE 0 END, CASE WHEN party = 'debtor' THEN 1 ELSE 0 END
            FROM cases_interaction
            WHERE at >= %(start)s AND at < %(end)s AND channel IN ('call', 'visit')""",
        params,
        {**text, "at": pl.Utf8, "reached": pl.Int32, "rpc": pl.Int32},
    ).with_columns(pl.lit(1, pl.Int32).alias("attempts"), pl.lit(0, pl.Int32).alias("promises"))
    messages = read_frame(
        f"""SELECT case_id, 0, channel, {_utc_text("sent_at")},
                   CASE WHEN status = 'delivered' THEN 1 ELSE 0 END
            FROM comms_message
            WHERE sent_at >= %(start)s AND sent_at < %(end)s AND case_id IS NOT NULL""",
        params,
        {**text, "at": pl.Utf8, "reached": pl.Int32},
    ).with_columns(
        pl.lit(1, pl.Int32).alias("attempts"), pl.lit(0, pl.Int32).alias("rpc"), pl.lit(0, pl.Int32).alias("promises")
    )
    promises = read_frame(
        f"""SELECT case_id, COALESCE(created_by_id, 0), channel, {_utc_text("created_at")}, amount
            FROM cases_promise WHERE created_at >= %(start)s AND created_at < %(end)s""",
        params,
        {**text, "at": pl.Utf8, "promised_fen": pl.Int64},
    ).with_columns(
        pl.lit(0, pl.Int32).alias("attempts"),
        pl.lit(0, pl.Int32).alias("reached"),
        pl.lit(0, pl.Int32).alias("rpc"),
        pl.lit(1, pl.Int32).alias("promises"),
    )
    columns = ["case_id", "user_id", "channel", "at", "attempts", "reached", "rpc", "promises", "promised_fen"]
    parts = [
        calls.with_columns(pl.lit(0, pl.Int64).alias("promised_fen")).select(columns),
        messages.with_columns(pl.lit(0, pl.Int64).alias("promised_fen")).select(columns),
        promises.select(columns),
    ]
    events = pl.concat(parts)
    if events.is_empty():
        return pl.DataFrame(schema=_contact_schema())
    return (
        events.with_columns(_local("at").dt.hour().cast(pl.Int16).alias("hour"))
        .group_by("case_id", "user_id", "channel", "hour")
        .agg(pl.col("attempts", "reached", "rpc", "promises").sum(), pl.col("promised_fen").sum())
        .with_columns(pl.lit(day).alias("day"), pl.lit(day.weekday(), pl.Int16).alias("weekday"))
        .select(CONTACT_DAY_COLUMNS)
        .sort("case_id", "user_id", "channel", "hour")
    )


def _contact_schema() -> dict[str, pl.DataType]:
    types: dict[str, pl.DataType] = {
        "day": pl.Date(), "case_id": pl.Int64(), "user_id": pl.Int64(), "channel": pl.Utf8(), "hour": pl.Int16(),
        "weekday": pl.Int16(),
    }  # fmt: skip
    for name in ("attempts", "reached", "rpc", "promises"):
        types[name] = pl.Int32()
    types["promised_fen"] = pl.Int64()
    return types


def money_day_frame(day: date, grace_days: int) -> pl.DataFrame:
    """Payments and waivers of ``day`` and the promises whose grace period ended on it, by case."""
    params = {
        "day": connection.ops.adapt_datefield_value(day),
        "due": connection.ops.adapt_datefield_value(day - timedelta(days=grace_days)),
    }
    payments = read_frame(
        """SELECT case_id, COUNT(*), SUM(amount) FROM payments_payment
           WHERE status = 'posted' AND paid_on = %(day)s AND case_id IS NOT NULL GROUP BY case_id""",
        params,
        {"case_id": pl.Int64, "payments": pl.Int32, "paid_fen": pl.Int64},
    )
    waivers = read_frame(
        """SELECT c.id, -SUM(e.principal + e.interest + e.fee + e.penalty)
           FROM portfolio_ledgerentry e JOIN portfolio_account a ON a.id = e.account_id
           JOIN cases_case c ON c.debtor_id = a.debtor_id
           WHERE e.kind = 'waiver' AND e.effective_date = %(day)s GROUP BY c.id""",
        params,
        {"case_id": pl.Int64, "waived_fen": pl.Int64},
    )
    promises = read_frame(
        """SELECT case_id,
                  SUM(CASE WHEN state <> 'pending' THEN 1 ELSE 0 END),
                  SUM(CASE WHEN state = 'kept' THEN 1 ELSE 0 END),
                  SUM(CASE WHEN state = 'partly_kept' THEN 1 ELSE 0 END),
                  SUM(CASE WHEN state = 'broken' THEN 1 ELSE 0 END),
                  SUM(CASE WHEN state <> 'pending' THEN amount ELSE 0 END),
                  SUM(CASE WHEN state <> 'pending' THEN paid_amount ELSE 0 END)
           FROM cases_promise WHERE due_date = %(due)s GROUP BY case_id""",
        params,
        {
            "case_id": pl.Int64, "promises_settled": pl.Int32, "promises_kept": pl.Int32,
            "promises_partly": pl.Int32, "promises_broken": pl.Int32, "settled_fen": pl.Int64,
            "kept_paid_fen": pl.Int64,
        },
    )  # fmt: skip
    keys = pl.concat([f.select("case_id") for f in (payments, waivers, promises)]).unique()
    frame = keys
    for part in (payments, waivers, promises):
        frame = frame.join(part, on="case_id", how="left")
    counts = [c for c in MONEY_DAY_COLUMNS if c not in ("day", "case_id")]
    return (
        frame.with_columns(pl.lit(day).alias("day"), *[pl.col(c).fill_null(0) for c in counts])
        .select(MONEY_DAY_COLUMNS)
        .sort("case_id")
    )


def case_buckets(day: date) -> pl.DataFrame:
    """The case facts of an earlier day that the roll rollup starts from (empty before the first facts)."""
    return read_frame(
        "SELECT case_id, team_id, assignee_id, product, bucket FROM analytics_caseday WHERE day = %s",
        [connection.ops.adapt_datefield_value(day)],
        {"case_id": pl.Int64, "team_id": pl.Int64, "assignee_id": pl.Int64, "product": pl.Utf8, "bucket": pl.Utf8},
    )


def attributed_day(day: date, contacts: pl.DataFrame, money: pl.DataFrame) -> pl.DataFrame:
    """The day's payments once per channel that reached for the case that day or in the ATTRIBUTION_DAYS
    before (``kpis.attributed_payments``): today's contacts from the frame, the earlier days' from their
    facts, for the paying cases only."""
    paying = money.filter(pl.col("paid_fen") > 0)
    columns = ["day", "case_id", "channel", "attempts"]
    if paying.is_empty():
        return attributed_payments(contacts.select(columns), paying)
    earlier = ContactDay.objects.filter(
        day__range=(day - timedelta(days=ATTRIBUTION_DAYS), day - timedelta(days=1)),
        attempts__gt=0,
        case_id__in=one_of(paying["case_id"].to_list()),
    ).values_list(*columns)
    sql, params = earlier.query.sql_with_params()
    types = {"day": pl.Date, "case_id": pl.Int64, "channel": pl.Utf8, "attempts": pl.Int32}
    touches = pl.concat([read_frame(sql, params, types), contacts.select(columns).cast(types)])  # type: ignore[arg-type]
    return attributed_payments(touches, paying, ATTRIBUTION_DAYS)


def compute_day(day: date) -> FactCounts:
    """The facts of one finished day, replacing what was there: the entry point of the nightly job.

    Called after the next night's settlement and strategy run (``nightly_facts``), so the day's promises
    that settled are final; a later re-run (a backfill, a reversal) writes the day again.
    """
    counts = FactCounts(days=1)
    grace = current_policy().promise_grace_days
    with transaction.atomic(durable=True), bulk_reads():
        clock = time.perf_counter()
        ensure_partitions(day)
        with connection.cursor() as cursor:
            for table in FACT_TABLES:
                cursor.execute(f"DELETE FROM {table} WHERE day = %s", [connection.ops.adapt_datefield_value(day)])
        forget_readouts(day)
        fact_day_written(day)  # the stored figures of its periods are stale (analytics.stored)
        counts.timings["delete"] = time.perf_counter() - clock
        frames: dict[str, pl.DataFrame] = {}
        for name, build, table in (
            ("case_days", lambda: case_day_frame(day), "analytics_caseday"),
            ("contact_days", lambda: contact_day_frame(day), "analytics_contactday"),
            ("money_days", lambda: money_day_frame(day, grace), "analytics_moneyday"),
        ):
            clock = time.perf_counter()
            frames[name] = build()
            counts.timings[f"{name}_read"] = time.perf_counter() - clock
            clock = time.perf_counter()
            setattr(counts, name, copy_frame(table, frames[name]))
            counts.timings[f"{name}_write"] = time.perf_counter() - clock
        clock = time.perf_counter()
        cases, contacts, money = frames["case_days"], frames["contact_days"], frames["money_days"]
        portfolio, by_hour = portfolio_rollup(cases, money), contact_rollup(cases, contacts)
        copy_frame("analytics_portfolioday", portfolio)
        copy_frame("analytics_contacthour", by_hour)
        for table, frame in coarse_rollups(portfolio, by_hour).items():
            copy_frame(table, frame)
        copy_frame("analytics_rollday", roll_rollup(case_buckets(day - timedelta(days=ROLL_DAYS)), cases))
        copy_frame("analytics_channelday", channel_rollup(cases, attributed_day(day, contacts, money)))
        vintage = vintage_rollup(cases, money)
        copy_frame("analytics_vintageday", vintage)
        copy_frame("analytics_vintageteamday", vintage_team_rollup(vintage))
        counts.timings["rollups"] = time.perf_counter() - clock
    return counts


def backfill(first: date, last: date) -> FactCounts:
    """Every day from ``first`` to ``last`` (inclusive), each in its own transaction."""
    total = FactCounts()
    day = first
    while day <= last:
        total.add(compute_day(day))
        day += timedelta(days=1)
    return total


def nightly_facts(as_of: date) -> FactCounts:
    """The night of ``as_of``: the facts of the day that just ended."""
    return compute_day(as_of - timedelta(days=1))
