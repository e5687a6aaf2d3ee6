"""The scoring features and target of a case as of a day: one Polars builder for training and for scoring.

Inputs are frames of what happened (``CASES_SCHEMA`` — one row per case and as-of day, the case as it stood
at the start of that day — and the event frames ``PAYMENTS``, ``PROMISES``, ``CONTACTS``); the output is one
row per (case, as_of) with ``FEATURES``. Every event counts only when it happened before the as-of day
(``day < as_of``), so no feature looks ahead: the nightly run and a training snapshot of the same day
compute the same numbers, and a test holds them equal. A promise's outcome counts only once its due day
plus the grace the settlement allows is past (``SETTLED_AFTER``): before then the state stored today may
have been decided after the as-of day.

Target (``target``): the payments on the case in the 30 days from the as-of day (``as_of ≤ day <
as_of + 30``) add up to at least ``TARGET_SHARE`` (10%) of the balance at the start of the day.

Many as-of days go through one call (a training window), each row judged against its own day: events are
joined to the rows by case and filtered by the row's day, all as column expressions.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from huikuan.kernel.analytics.frames import bucket_expr
from huikuan.kernel.scoring.table import CATEGORICAL, NUMERIC, Feature

TARGET_DAYS = 30
TARGET_SHARE = 0.10
SETTLED_AFTER = 4  # the settlement's grace (3 days) and the night it runs

CASES_SCHEMA: dict[str, pl.DataType] = {
    "case_id": pl.Int64(),
    "as_of": pl.Date(),
    "oldest_due": pl.Date(),
    "balance_fen": pl.Int64(),
    "principal_fen": pl.Int64(),
    "penalty_fen": pl.Int64(),
    "product": pl.Utf8(),
    "open_date": pl.Date(),
    "cured_episodes": pl.Int32(),
}
PAYMENTS_SCHEMA: dict[str, pl.DataType] = {"case_id": pl.Int64(), "day": pl.Date(), "amount_fen": pl.Int64()}
PROMISES_SCHEMA: dict[str, pl.DataType] = {
    "case_id": pl.Int64(),
    "made": pl.Date(),
    "due_date": pl.Date(),
    "state": pl.Utf8(),
}
CONTACTS_SCHEMA: dict[str, pl.DataType] = {
    "case_id": pl.Int64(),
    "day": pl.Date(),
    "channel": pl.Utf8(),
    "party": pl.Utf8(),
    "outcome": pl.Utf8(),
    "failed": pl.Boolean(),
}

FEATURES: list[Feature] = [
    Feature("dpd", NUMERIC),
    Feature("bucket", CATEGORICAL),
    Feature("balance_yuan", NUMERIC),
    Feature("principal_share", NUMERIC),
    Feature("penalty_share", NUMERIC),
    Feature("product", CATEGORICAL),
    Feature("months_on_book", NUMERIC),
    Feature("payments_30d", NUMERIC),
    Feature("payments_90d", NUMERIC),
    Feature("paid_share_90d", NUMERIC),
    Feature("payment_months_90d", NUMERIC),
    Feature("days_since_payment", NUMERIC),
    Feature("promises_made_30d", NUMERIC),
    Feature("promises_kept_90d", NUMERIC),
    Feature("promises_broken_90d", NUMERIC),
    Feature("promises_broken_30d", NUMERIC),
    Feature("attempts_7d", NUMERIC),
    Feature("attempts_30d", NUMERIC),
    Feature("rpc_7d", NUMERIC),
    Feature("rpc_30d", NUMERIC),
    Feature("failed_30d", NUMERIC),
    Feature("last_outcome", CATEGORICAL),
    Feature("refusals_30d", NUMERIC),
    Feature("hardship_90d", NUMERIC),
    Feature("cured_episodes", NUMERIC),
]
FEATURE_NAMES = [f.name for f in FEATURES]
ATTEMPT_CHANNELS = ("call", "visit")


def _since(days: int) -> pl.Expr:
    return pl.col("day") >= pl.col("as_of") - pl.duration(days=days)


def _count(condition: pl.Expr, name: str) -> pl.Expr:
    return condition.cast(pl.Int32).sum().alias(name)


def _events(keys: pl.DataFrame, events: pl.DataFrame) -> pl.DataFrame:
    """Each (case, as_of) row's events strictly before its day."""
    return keys.join(events, on="case_id", how="inner").filter(pl.col("day") < pl.col("as_of"))


def build_features(
    cases: pl.DataFrame, payments: pl.DataFrame, promises: pl.DataFrame, contacts: pl.DataFrame
) -> pl.DataFrame:
    """One row per (case_id, as_of) with FEATURES, sorted by as_of and case."""
    keys = cases.select("case_id", "as_of")
    paid = (
        _events(keys, payments)
        .group_by("case_id", "as_of")
        .agg(
            _count(_since(30), "payments_30d"),
            _count(_since(90), "payments_90d"),
            pl.col("amount_fen").filter(_since(90)).sum().alias("paid_90d_fen"),
            # Regularity: in how many of the last three 30-day periods something came in.
            ((pl.col("as_of") - pl.col("day")).dt.total_days() // 30)
            .filter(_since(90))
            .n_unique()
            .alias("payment_months_90d"),
            pl.col("day").max().alias("last_payment"),
        )
    )
    settled = (pl.col("due_date") + pl.duration(days=SETTLED_AFTER)) < pl.col("as_of")
    promised = (
        keys.join(promises.rename({"made": "day"}), on="case_id", how="inner")
        .filter(pl.col("day") < pl.col("as_of"))
        .group_by("case_id", "as_of")
        .agg(
            _count(_since(30), "promises_made_30d"),
            _count(_since(90) & settled & (pl.col("state") == "kept"), "promises_kept_90d"),
            _count(_since(90) & settled & (pl.col("state") == "broken"), "promises_broken_90d"),
            _count(_since(30) & settled & (pl.col("state") == "broken"), "promises_broken_30d"),
        )
    )
    attempt = pl.col("channel").is_in(ATTEMPT_CHANNELS)
    rpc = attempt & (pl.col("party") == "debtor")
    contacted = (
        # Sorted by day (stable: the input's order within a day, the time of the contact) so "last" is the latest.
        _events(keys, contacts)
        .sort("day", maintain_order=True)
        .group_by("case_id", "as_of")
        .agg(
            _count(_since(7) & attempt, "attempts_7d"),
            _count(_since(30) & attempt, "attempts_30d"),
            _count(_since(7) & rpc, "rpc_7d"),
            _count(_since(30) & rpc, "rpc_30d"),
            _count(_since(30) & attempt & pl.col("failed"), "failed_30d"),
            _count(_since(30) & (pl.col("outcome") == "refusal"), "refusals_30d"),
            _count(_since(90) & (pl.col("outcome") == "hardship"), "hardship_90d"),
            pl.col("outcome").filter(attempt).last().alias("last_outcome"),
        )
    )
    frame = cases.join(paid, on=["case_id", "as_of"], how="left")
    frame = frame.join(promised, on=["case_id", "as_of"], how="left").join(
        contacted, on=["case_id", "as_of"], how="left"
    )
    counts = [
        "payments_30d", "payments_90d", "payment_months_90d", "promises_made_30d", "promises_kept_90d",
        "promises_broken_90d", "promises_broken_30d", "attempts_7d", "attempts_30d", "rpc_7d", "rpc_30d",
        "failed_30d", "refusals_30d", "hardship_90d",
    ]  # fmt: skip
    balance = pl.col("balance_fen").cast(pl.Float64)
    frame = frame.with_columns(
        *[pl.col(c).fill_null(0).cast(pl.Float64) for c in counts],
        (pl.col("as_of") - pl.col("oldest_due")).dt.total_days().cast(pl.Float64).alias("dpd"),
        (balance / 100).alias("balance_yuan"),
        (pl.col("principal_fen") / balance).alias("principal_share"),
        (pl.col("penalty_fen") / balance).alias("penalty_share"),
        ((pl.col("as_of") - pl.col("open_date")).dt.total_days() / 30.4).floor().alias("months_on_book"),
        (pl.col("paid_90d_fen").fill_null(0) / (balance + pl.col("paid_90d_fen").fill_null(0))).alias("paid_share_90d"),
        (pl.col("as_of") - pl.col("last_payment")).dt.total_days().cast(pl.Float64).alias("days_since_payment"),
        pl.col("last_outcome").fill_null("none"),
        pl.col("product").fill_null("unknown"),
        pl.col("cured_episodes").fill_null(0).cast(pl.Float64),
    )
    frame = frame.with_columns(bucket_expr("dpd").alias("bucket"))
    return frame.select("case_id", "as_of", *FEATURE_NAMES).sort("as_of", "case_id")


def build_target(cases: pl.DataFrame, payments: pl.DataFrame, share: float = TARGET_SHARE) -> pl.DataFrame:
    """case_id, as_of, target (1: paid ≥ ``share`` of the day's balance within TARGET_DAYS) and the amount."""
    window = (
        cases.select("case_id", "as_of")
        .join(payments, on="case_id", how="inner")
        .filter((pl.col("day") >= pl.col("as_of")) & (pl.col("day") < pl.col("as_of") + pl.duration(days=TARGET_DAYS)))
        .group_by("case_id", "as_of")
        .agg(pl.col("amount_fen").sum().alias("paid_fen"))
    )
    return (
        cases.select("case_id", "as_of", "balance_fen")
        .join(window, on=["case_id", "as_of"], how="left")
        .with_columns(pl.col("paid_fen").fill_null(0))
        .with_columns(
            (pl.col("paid_fen").cast(pl.Float64) >= share * pl.col("balance_fen").cast(pl.Float64))
            .cast(pl.Int8)
            .alias("target")
        )
        .select("case_id", "as_of", "target", "paid_fen")
        .sort("as_of", "case_id")
    )


def complete(as_of: date, last_day: date) -> bool:
    """Whether an as-of day's target window has ended by ``last_day`` (the last day with history)."""
    return (last_day - as_of).days >= TARGET_DAYS
