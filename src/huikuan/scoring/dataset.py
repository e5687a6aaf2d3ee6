"""The system's history as the scoring kernel's frames, read in bulk: a few aggregate queries, no ORM loop.

``case_frame(days)`` is each case as it stood at the start of each day (balance and its components rebuilt
from the ledger entries effective before the day, as the daily facts do); the event frames cover a window
of days. ``features_as_of`` and ``training_set`` both go through ``kernel.scoring.features.build_features``
on these frames: the nightly scores and the training rows of the same case and day are the same numbers.

What is taken from today's rows and not from history: whether a case is in collection now (only for the
nightly scoring, which scores open cases) and its cured episodes (a count that only grows).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
from django.conf import settings
from django.db import connection

from huikuan.cases.models import Case, Interaction, Promise
from huikuan.db.bulkread import bulk_reads, read_frame
from huikuan.kernel import lifecycle
from huikuan.kernel.contacts import FAILED
from huikuan.kernel.scoring import features as kf
from huikuan.portfolio.models import Account, AccountBalance, LedgerEntry

CASE, ACCOUNT, BALANCE = Case._meta.db_table, Account._meta.db_table, AccountBalance._meta.db_table
ENTRY, PROMISE, INTERACTION = LedgerEntry._meta.db_table, Promise._meta.db_table, Interaction._meta.db_table
LOOK_BACK = 90
OPEN_STATUSES = tuple(sorted(lifecycle.IN_COLLECTION))


def _instant(day: date) -> Any:
    """The installation's midnight starting ``day``, as the database takes it."""
    return connection.ops.adapt_datetimefield_value(datetime.combine(day, time(0), tzinfo=ZoneInfo(settings.TIME_ZONE)))


def _utc_text(column: str) -> str:
    """A timestamp column as UTC text on both databases (SQLite keeps it so), made a local day in Polars."""
    if connection.vendor == "postgresql":
        return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')"
    return f"substr({column}, 1, 19)"


def _local_day(column: str) -> pl.Expr:
    return (
        pl.col(column)
        .str.to_datetime("%Y-%m-%d %H:%M:%S", time_zone="UTC", time_unit="us")
        .dt.convert_time_zone(settings.TIME_ZONE)
        .dt.date()
    )


def _one(column: str, case_id: int | None) -> str:
    # An integer of ours (a case page's case), formatted in: COPY takes no parameters inside its query.
    return "" if case_id is None else f" AND {column} = {int(case_id)}"


def case_frame(day: date, open_only: bool, case_id: int | None = None) -> pl.DataFrame:
    """CASES_SCHEMA rows: every case owing at the start of ``day`` (open now, with ``open_only``)."""
    statuses = ", ".join(f"'{s}'" for s in OPEN_STATUSES)
    # History: the cases opened before the day. Tonight: the cases in collection now, whenever they were
    # opened (an import writes its cases with the wall clock's time), as the strategy's snapshot takes them.
    where = f"c.status IN ({statuses})" if open_only else "c.opened_at < %(end)s"
    where += _one("c.id", case_id)
    frame = read_frame(
        f"""SELECT c.id, x.oldest_due, x.balance, x.principal, x.penalty, x.product, x.open_date, c.cured_episodes
            FROM {CASE} c
            JOIN (SELECT debtor_id, SUM(owed) AS balance, SUM(principal) AS principal, SUM(penalty) AS penalty,
                         MIN(CASE WHEN owed > 0 THEN due_date END) AS oldest_due,
                         MIN(CASE WHEN owed > 0 THEN product END) AS product,
                         MIN(open_date) AS open_date
                  FROM (SELECT a.debtor_id, a.due_date, a.product, a.open_date,
                               b.total - COALESCE(r.later, 0) AS owed,
                               b.principal - COALESCE(r.later_principal, 0) AS principal,
                               b.penalty - COALESCE(r.later_penalty, 0) AS penalty
                        FROM {ACCOUNT} a JOIN {BALANCE} b ON b.account_id = a.id
                        LEFT JOIN (SELECT account_id, SUM(principal + interest + fee + penalty) AS later,
                                          SUM(principal) AS later_principal, SUM(penalty) AS later_penalty
                                   FROM {ENTRY} WHERE effective_date >= %(day)s
                                   GROUP BY account_id) r ON r.account_id = a.id) owing
                  GROUP BY debtor_id
                  HAVING SUM(owed) > 0 AND MIN(CASE WHEN owed > 0 THEN due_date END) < %(day)s) x
              ON x.debtor_id = c.debtor_id
            WHERE {where}""",
        {"day": connection.ops.adapt_datefield_value(day), "end": _instant(day)},
        {
            "case_id": pl.Int64, "oldest_due": pl.Date, "balance_fen": pl.Int64, "principal_fen": pl.Int64,
            "penalty_fen": pl.Int64, "product": pl.Utf8, "open_date": pl.Date, "cured_episodes": pl.Int32,
        },
    )  # fmt: skip
    return frame.with_columns(pl.lit(day).alias("as_of")).select(
        [pl.col(n).cast(t) for n, t in kf.CASES_SCHEMA.items()]
    )


def event_frames(
    since: date, until: date, case_id: int | None = None
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Payments, promises and contacts of the days ``since`` ≤ day < ``until``."""
    params = {
        "since": connection.ops.adapt_datefield_value(since),
        "until": connection.ops.adapt_datefield_value(until),
        "since_at": _instant(since),
        "until_at": _instant(until),
    }
    # A payment's money: what it took off the owed components plus what it left in credit.
    payments = read_frame(
        f"""SELECT c.id, e.effective_date, SUM(e.credit - e.principal - e.interest - e.fee - e.penalty)
            FROM {ENTRY} e JOIN {ACCOUNT} a ON a.id = e.account_id JOIN {CASE} c ON c.debtor_id = a.debtor_id
            WHERE e.kind = 'payment' AND e.effective_date >= %(since)s AND e.effective_date < %(until)s
              {_one("c.id", case_id)}
            GROUP BY c.id, e.effective_date""",
        params,
        kf.PAYMENTS_SCHEMA,
    )
    promises = read_frame(
        f"""SELECT case_id, {_utc_text("created_at")}, due_date, state FROM {PROMISE}
            WHERE created_at >= %(since_at)s AND created_at < %(until_at)s{_one("case_id", case_id)}""",
        params,
        {"case_id": pl.Int64, "made": pl.Utf8, "due_date": pl.Date, "state": pl.Utf8},
    ).with_columns(_local_day("made").alias("made"))
    contacts = read_frame(
        f"""SELECT case_id, {_utc_text("at")}, channel, party, outcome FROM {INTERACTION}
            WHERE at >= %(since_at)s AND at < %(until_at)s{_one("case_id", case_id)} ORDER BY case_id, at, id""",
        params,
        {"case_id": pl.Int64, "day": pl.Utf8, "channel": pl.Utf8, "party": pl.Utf8, "outcome": pl.Utf8},
    ).with_columns(_local_day("day").alias("day"), pl.col("outcome").is_in(sorted(FAILED)).alias("failed"))
    return (
        payments,
        promises.select([pl.col(n).cast(t) for n, t in kf.PROMISES_SCHEMA.items()]),
        contacts.select([pl.col(n).cast(t) for n, t in kf.CONTACTS_SCHEMA.items()]),
    )


def features_as_of(day: date, case_id: int | None = None) -> pl.DataFrame:
    """The nightly scoring's rows: every case in collection (or the one), its features as of the start of ``day``."""
    with bulk_reads():
        cases = case_frame(day, open_only=True, case_id=case_id)
        payments, promises, contacts = event_frames(day - timedelta(days=LOOK_BACK), day, case_id)
    return kf.build_features(cases, payments, promises, contacts)


def training_set(days: list[date]) -> pl.DataFrame:
    """Features and target of every case owing at the start of each day (the target's 30 days after it)."""
    with bulk_reads():
        cases = pl.concat([case_frame(day, open_only=False) for day in days])
        payments, promises, contacts = event_frames(
            min(days) - timedelta(days=LOOK_BACK), max(days) + timedelta(days=kf.TARGET_DAYS)
        )
    features = kf.build_features(cases, payments, promises, contacts)
    return features.join(kf.build_target(cases, payments), on=["case_id", "as_of"], how="left")
