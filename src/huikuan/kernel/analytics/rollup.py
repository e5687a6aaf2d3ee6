"""Daily rollups of the fact frames: what a chart reads instead of one row per case.

A trend over 90 days of a million cases sums 90 million case rows; the same trend over the rollups sums a
few thousand rows. The rollups keep the facts' column names, so the KPI functions that do not need a case
(promise-kept rate, contact rates and the heatmap, the collectors' contacts) run on them unchanged.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from huikuan.kernel.analytics.kpis import roll_transitions

PORTFOLIO_KEYS = ("day", "team_id", "assignee_id", "bucket", "product", "arm")
MONEY_SUMS = (
    "payments", "paid_fen", "waived_fen", "promises_settled", "promises_kept", "promises_partly", "promises_broken",
    "settled_fen", "kept_paid_fen",
)  # fmt: skip
PORTFOLIO_COLUMNS = (*PORTFOLIO_KEYS, "cases", "balance_fen", *MONEY_SUMS)
CONTACT_KEYS = ("day", "team_id", "user_id", "channel", "hour", "weekday")
CONTACT_SUMS = ("attempts", "reached", "rpc", "promises", "promised_fen")
CONTACT_COLUMNS = (*CONTACT_KEYS, *CONTACT_SUMS)
NO_TEAM = 0
NOBODY = 0
UNKNOWN = ""


def _attributes(case_days: pl.DataFrame) -> pl.DataFrame:
    return case_days.select(
        "day",
        "case_id",
        pl.col("team_id").fill_null(NO_TEAM),
        pl.col("assignee_id").fill_null(NOBODY),
        "bucket",
        "product",
        "arm",
    )


def portfolio_rollup(case_days: pl.DataFrame, money_days: pl.DataFrame) -> pl.DataFrame:
    """Cases, balance and money per day × team × assignee × bucket × product × arm.

    Money of a case that was not open that day (paid after it closed) counts under team and assignee 0 and
    empty bucket, product and arm, so the rollup's money adds up to the facts'.

    >>> from datetime import date
    >>> cases = pl.DataFrame({"day": [date(2026, 3, 2)] * 2, "case_id": [1, 2], "team_id": [5, 5],
    ...                       "assignee_id": [7, 7], "bucket": ["M1", "M1"], "product": ["consumer_loan"] * 2,
    ...                       "arm": ["", ""], "balance_fen": [100, 300]})
    >>> money = pl.DataFrame({"day": [date(2026, 3, 2)], "case_id": [2], **{c: [1] for c in MONEY_SUMS}})
    >>> portfolio_rollup(cases, money).select("team_id", "cases", "balance_fen", "paid_fen").rows()
    [(5, 2, 400, 1)]
    """
    attributes = _attributes(case_days)
    open_cases = (
        case_days.select("day", "case_id", "balance_fen")
        .join(attributes, on=["day", "case_id"])
        .group_by(PORTFOLIO_KEYS)
        .agg(pl.len().cast(pl.Int64).alias("cases"), pl.col("balance_fen").sum())
    )
    money = (
        money_days.join(attributes, on=["day", "case_id"], how="left")
        .with_columns(
            pl.col("team_id").fill_null(NO_TEAM),
            pl.col("assignee_id").fill_null(NOBODY),
            *(pl.col(c).fill_null(UNKNOWN) for c in ("bucket", "product", "arm")),
        )
        .group_by(PORTFOLIO_KEYS)
        .agg(pl.col(c).sum() for c in MONEY_SUMS)
    )
    joined = open_cases.join(money, on=list(PORTFOLIO_KEYS), how="full", coalesce=True)
    return (
        joined.with_columns(pl.col(c).fill_null(0) for c in ("cases", "balance_fen", *MONEY_SUMS))
        .select(PORTFOLIO_COLUMNS)
        .sort(PORTFOLIO_KEYS)
    )


def contact_rollup(case_days: pl.DataFrame, contact_days: pl.DataFrame) -> pl.DataFrame:
    """Contacts per day × team × person × channel × hour (weekday alongside).

    >>> from datetime import date
    >>> cases = pl.DataFrame({"day": [date(2026, 3, 2)], "case_id": [1], "team_id": [5], "assignee_id": [7],
    ...                       "bucket": ["M1"], "product": ["consumer_loan"], "arm": [""]})
    >>> contacts = pl.DataFrame({"day": [date(2026, 3, 2)] * 2, "case_id": [1, 2], "user_id": [7, 7],
    ...                          "channel": ["call"] * 2, "hour": [10, 10], "weekday": [0, 0],
    ...                          **{c: [1, 1] for c in CONTACT_SUMS}})
    >>> contact_rollup(cases, contacts).select("team_id", "user_id", "attempts").rows()
    [(0, 7, 1), (5, 7, 1)]
    """
    teams = _attributes(case_days).select("day", "case_id", "team_id")
    return (
        contact_days.join(teams, on=["day", "case_id"], how="left")
        .with_columns(pl.col("team_id").fill_null(NO_TEAM))
        .group_by(CONTACT_KEYS)
        .agg(pl.col(c).sum() for c in CONTACT_SUMS)
        .select(CONTACT_COLUMNS)
        .sort(CONTACT_KEYS)
    )


# Coarser rollups of the two above, each what a chart reads for a wider scope: the portfolio per team (no
# collector), per collector (no bucket, product or arm); contacts per team (no person), per person and channel
# (no hour). A trend of the whole book over 30 days then sums a few thousand rows, not a hundred thousand.
COARSE = {
    "analytics_teamday": ("portfolio", ("day", "team_id", "bucket", "product", "arm")),
    "analytics_collectorday": ("portfolio", ("day", "team_id", "assignee_id")),
    "analytics_teamhour": ("contact", ("day", "team_id", "channel", "hour", "weekday")),
    "analytics_collectorchannel": ("contact", ("day", "team_id", "user_id", "channel")),
}


def coarse_rollups(portfolio: pl.DataFrame, contacts: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """The COARSE tables from a day's portfolio and contact rollups: the same sums over fewer keys.

    >>> from datetime import date
    >>> day = date(2026, 3, 2)
    >>> portfolio = pl.DataFrame({"day": [day] * 2, "team_id": [5, 5], "assignee_id": [7, 8], "bucket": ["M1"] * 2,
    ...                           "product": ["consumer_loan"] * 2, "arm": ["", ""], "cases": [2, 3],
    ...                           "balance_fen": [100, 300], **{c: [0, 1] for c in MONEY_SUMS}})
    >>> contacts = pl.DataFrame({"day": [day], "team_id": [5], "user_id": [7], "channel": ["call"], "hour": [10],
    ...                          "weekday": [0], **{c: [1] for c in CONTACT_SUMS}})
    >>> coarse_rollups(portfolio, contacts)["analytics_teamday"].select("team_id", "cases", "paid_fen").rows()
    [(5, 5, 1)]
    """
    sources = {"portfolio": (portfolio, ("cases", "balance_fen", *MONEY_SUMS)), "contact": (contacts, CONTACT_SUMS)}
    out = {}
    for table, (source, keys) in COARSE.items():
        frame, sums = sources[source]
        out[table] = frame.group_by(keys).agg(pl.col(c).sum() for c in sums).select(*keys, *sums).sort(keys)
    return out


VINTAGE_KEYS = ("day", "vintage", "team_id", "assignee_id", "product", "bucket")
VINTAGE_SUMS = ("cases", "balance_fen", "placed", "placed_fen", "paid_fen")
VINTAGE_COLUMNS = (*VINTAGE_KEYS, *VINTAGE_SUMS)
VINTAGE_TEAM_KEYS = ("day", "vintage", "team_id", "product", "bucket")


def vintage_rollup(case_days: pl.DataFrame, money_days: pl.DataFrame) -> pl.DataFrame:
    """A day's cases, balance, placements and payments per placement month × team × assignee × product ×
    bucket: what ``kpis.vintage_recovery`` sums, so the chart reads a few thousand rows instead of the
    period's case rows (``vintage_from_rollup``). Money of a case not open that day counts under vintage "",
    team and assignee 0, empty product and bucket, as in the portfolio rollup.

    >>> from datetime import date
    >>> day = date(2026, 3, 4)
    >>> cases = pl.DataFrame({"day": [day] * 2, "case_id": [1, 3], "placed_on": [date(2026, 1, 5), day],
    ...                       "team_id": [5, 5], "assignee_id": [7, 7], "product": ["consumer_loan"] * 2,
    ...                       "bucket": ["M2", "M0"], "balance_fen": [100000, 20000]})
    >>> money = pl.DataFrame({"day": [day], "case_id": [1], "paid_fen": [30000]})
    >>> vintage_rollup(cases, money).select("vintage", "cases", "placed", "placed_fen", "paid_fen").rows()
    [('2026-01', 1, 0, 0, 30000), ('2026-03', 1, 1, 20000, 0)]
    """
    attributes = case_days.select(
        "day",
        "case_id",
        pl.col("placed_on").dt.strftime("%Y-%m").alias("vintage"),
        pl.col("team_id").fill_null(NO_TEAM),
        pl.col("assignee_id").fill_null(NOBODY),
        "product",
        "bucket",
    )
    placed_today = pl.col("day") == pl.col("placed_on")
    open_cases = (
        case_days.select("day", "case_id", "balance_fen", placed_today.alias("placed_today"))
        .join(attributes, on=["day", "case_id"])
        .group_by(VINTAGE_KEYS)
        .agg(
            pl.len().cast(pl.Int64).alias("cases"),
            pl.col("balance_fen").sum().cast(pl.Int64),
            pl.col("placed_today").sum().cast(pl.Int64).alias("placed"),
            pl.col("balance_fen").filter(pl.col("placed_today")).sum().cast(pl.Int64).alias("placed_fen"),
        )
    )
    money = (
        money_days.select("day", "case_id", "paid_fen")
        .join(attributes, on=["day", "case_id"], how="left")
        .with_columns(
            pl.col("vintage").fill_null(UNKNOWN),
            pl.col("team_id").fill_null(NO_TEAM),
            pl.col("assignee_id").fill_null(NOBODY),
            *(pl.col(c).fill_null(UNKNOWN) for c in ("product", "bucket")),
        )
        .group_by(VINTAGE_KEYS)
        .agg(pl.col("paid_fen").sum().cast(pl.Int64))
    )
    return (
        open_cases.join(money, on=list(VINTAGE_KEYS), how="full", coalesce=True)
        .with_columns(pl.col(c).fill_null(0).cast(pl.Int64) for c in VINTAGE_SUMS)
        .filter((pl.col("cases") > 0) | (pl.col("paid_fen") != 0))
        .select(VINTAGE_COLUMNS)
        .sort(VINTAGE_KEYS)
    )


def vintage_team_rollup(vintage: pl.DataFrame) -> pl.DataFrame:
    """The vintage rollup without the assignee: what the whole book's and a team's chart read."""
    return (
        vintage.group_by(VINTAGE_TEAM_KEYS)
        .agg(pl.col(c).sum() for c in VINTAGE_SUMS)
        .select(*VINTAGE_TEAM_KEYS, *VINTAGE_SUMS)
        .sort(VINTAGE_TEAM_KEYS)
    )


def vintage_from_rollup(rollup: pl.DataFrame, first: date) -> pl.DataFrame:
    """``kpis.vintage_recovery`` from the vintage rollup's rows of the period (any of its key sets): the
    cases and balance of ``first``, the placements of the later days, every day's payments."""
    later = pl.col("day") > first
    return (
        rollup.group_by("vintage")
        .agg(
            pl.when(later).then(pl.col("placed")).otherwise(pl.col("cases")).sum().cast(pl.Int64).alias("cases"),
            pl.when(later)
            .then(pl.col("placed_fen"))
            .otherwise(pl.col("balance_fen"))
            .sum()
            .cast(pl.Int64)
            .alias("balance_fen"),
            pl.col("paid_fen").sum().cast(pl.Int64).alias("recovered_fen"),
        )
        .filter((pl.col("cases") > 0) | (pl.col("recovered_fen") != 0))
        .with_columns(
            pl.when(pl.col("balance_fen") > 0)
            .then(pl.col("recovered_fen").cast(pl.Float64) / pl.col("balance_fen"))
            .otherwise(None)
            .alias("recovery_rate")
        )
        .select("vintage", "cases", "balance_fen", "recovered_fen", "recovery_rate")
        .sort("vintage")
    )


CHANNEL_KEYS = ("day", "team_id", "assignee_id", "product", "bucket", "channel")
CHANNEL_COLUMNS = (*CHANNEL_KEYS, "recovered_fen")


def channel_rollup(case_days: pl.DataFrame, attributed: pl.DataFrame) -> pl.DataFrame:
    """Yuan recovered after each channel (``kpis.attributed_payments``) per day × team × assignee × product ×
    bucket of the paying case that day (0 and empty for a case not open that day, as the portfolio rollup):
    what the channel chart reads instead of every paying case's contacts of the week before.

    >>> from datetime import date
    >>> cases = pl.DataFrame({"day": [date(2026, 3, 4)], "case_id": [1], "team_id": [5], "assignee_id": [7],
    ...                       "bucket": ["M1"], "product": ["consumer_loan"], "arm": [""]})
    >>> paid = pl.DataFrame({"day": [date(2026, 3, 4)] * 3, "case_id": [1, 1, 2], "channel": ["sms", "call", "sms"],
    ...                      "paid_fen": [10000, 10000, 500]})
    >>> channel_rollup(cases, paid).select("team_id", "channel", "recovered_fen").rows()
    [(0, 'sms', 500), (5, 'call', 10000), (5, 'sms', 10000)]
    """
    attributes = _attributes(case_days).select("day", "case_id", "team_id", "assignee_id", "product", "bucket")
    return (
        attributed.join(attributes, on=["day", "case_id"], how="left")
        .with_columns(
            pl.col("team_id").fill_null(NO_TEAM),
            pl.col("assignee_id").fill_null(NOBODY),
            pl.col("product").fill_null(UNKNOWN),
            pl.col("bucket").fill_null(UNKNOWN),
        )
        .group_by(CHANNEL_KEYS)
        .agg(pl.col("paid_fen").sum().cast(pl.Int64).alias("recovered_fen"))
        .select(CHANNEL_COLUMNS)
        .sort(CHANNEL_KEYS)
    )


ROLL_DAYS = 30
ROLL_KEYS = ("team_id", "assignee_id", "product")
ROLL_COLUMNS = ("day", *ROLL_KEYS, "from_bucket", "to_bucket", "cases")


def roll_rollup(before: pl.DataFrame, case_days: pl.DataFrame) -> pl.DataFrame:
    """Where the cases open ROLL_DAYS earlier (``before``: case_id, team_id, assignee_id, product, bucket) stand
    on the day of ``case_days``: cases per team, assignee and product (then) × from bucket × to bucket (or
    closed). The month's roll-rate matrix is ``kpis.roll_matrix`` over it, for the whole portfolio or for the
    team, collector or product a dashboard filters on.

    >>> from datetime import date
    >>> before = pl.DataFrame({"case_id": [1, 2], "team_id": [5, None], "assignee_id": [7, None],
    ...                        "product": ["consumer_loan"] * 2, "bucket": ["M1", "M1"]})
    >>> today = pl.DataFrame({"day": [date(2026, 4, 1)], "case_id": [1], "bucket": ["M2"]})
    >>> [row[1:] for row in roll_rollup(before, today).rows()]
    [(0, 0, 'consumer_loan', 'M1', 'closed', 1), (5, 7, 'consumer_loan', 'M1', 'M2', 1)]
    """
    if case_days.is_empty() or before.is_empty():
        return pl.DataFrame(schema={"day": pl.Date, "team_id": pl.Int64, "assignee_id": pl.Int64,
                                    "product": pl.Utf8, "from_bucket": pl.Utf8, "to_bucket": pl.Utf8,
                                    "cases": pl.Int64})  # fmt: skip
    day = case_days.get_column("day")[0]
    keys = before.select(
        "case_id",
        pl.col("team_id").fill_null(NO_TEAM).cast(pl.Int64),
        pl.col("assignee_id").fill_null(NOBODY).cast(pl.Int64),
        pl.col("product").fill_null(UNKNOWN),
        "bucket",
    )
    return (
        roll_transitions(keys, case_days.select("case_id", "bucket"))
        .rename({"from": "from_bucket", "to": "to_bucket"})
        .with_columns(pl.lit(day).alias("day"))
        .select(ROLL_COLUMNS)
        .sort(ROLL_COLUMNS[1:6])
    )
