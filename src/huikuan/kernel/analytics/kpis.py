"""The KPIs a collection team runs on, as pure functions over the daily fact frames.

The frames have the columns of the fact tables (analytics.models: CaseDay, ContactDay, MoneyDay); money is
integer fen, rates are floats in [0, 1] (None, shown as "—", where the denominator is zero). Each function
has a worked example; tests/kernel/analytics/test_kpis.py computes the same figures by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import polars as pl

from huikuan.kernel.analytics.frames import BUCKET_ORDER

CALL_CHANNELS = ("call", "visit")
MESSAGE_CHANNELS = ("sms", "email", "letter")
CLOSED = "closed"


def _rate(numerator: str, denominator: str) -> pl.Expr:
    return (
        pl.when(pl.col(denominator) > 0).then(pl.col(numerator).cast(pl.Float64) / pl.col(denominator)).otherwise(None)
    )


def recovery_rate(case_days: pl.DataFrame, money_days: pl.DataFrame, by: str) -> pl.DataFrame:
    """Yuan recovered ÷ balance owed when the case entered the period, by ``by``.

    ``by`` is "vintage" (the month the case was placed, YYYY-MM), "bucket" or "team_id" — each case counted
    where it stood on its first day in ``case_days``; recovered is every payment of the case in
    ``money_days``.

    Worked example: case 1 (placed 2026-01-05, M1, owes 1,000.00) pays 300.00, case 2 (placed 2026-01-20,
    M2, owes 500.00) pays nothing, case 3 (placed 2026-02-01, M1, owes 200.00) pays 200.00. By vintage:
    2026-01 → 300 ÷ 1,500 = 0.2; 2026-02 → 200 ÷ 200 = 1.0. By bucket: M1 → 500 ÷ 1,200 ≈ 0.4167; M2 → 0.
    """
    first = case_days.sort("day").group_by("case_id", maintain_order=True).first()
    if by == "vintage":
        first = first.with_columns(pl.col("placed_on").dt.strftime("%Y-%m").alias("vintage"))
    paid = money_days.group_by("case_id").agg(pl.col("paid_fen").sum())
    return (
        first.join(paid, on="case_id", how="left")
        .group_by(by)
        .agg(
            pl.len().alias("cases"),
            pl.col("balance_fen").sum().alias("balance_fen"),
            pl.col("paid_fen").fill_null(0).sum().alias("recovered_fen"),
        )
        .with_columns(_rate("recovered_fen", "balance_fen").alias("recovery_rate"))
        .sort(by, nulls_last=True)
    )


def vintage_recovery(case_days: pl.DataFrame, money_days: pl.DataFrame, first: date) -> pl.DataFrame:
    """Recovery by placement month (vintage, YYYY-MM) over a period that starts on ``first``.

    Owed: the balance on ``first`` of the cases open that day, plus the balance on their placement day of the
    cases placed later in the period. Recovered: every payment in ``money_days``, under the vintage of the
    case on the day it paid ("" when the case was not open that day: money after a close). Each part counts
    where the case stood on its own day, so it sums from daily rollups (``rollup.vintage_rollup``) exactly;
    a case that closed before ``first`` and reopened in the period adds its payments, not its balance.

    Worked example, ``first`` 2026-03-01: case 1 (placed 2026-01-05, owes 1,000.00 on 03-01) pays 300.00 on
    03-02; case 2 (placed 2026-01-20, owes 500.00) pays nothing; case 3 (placed 2026-03-04, owes 200.00 that
    day) pays 200.00 on 03-05. 2026-01 → 300 ÷ 1,500 = 0.2; 2026-03 → 200 ÷ 200 = 1.0.
    """
    opened = case_days.with_columns(pl.col("placed_on").dt.strftime("%Y-%m").alias("vintage"))
    owed = opened.filter(
        (pl.col("day") == first) | ((pl.col("day") > first) & (pl.col("day") == pl.col("placed_on")))
    ).select("vintage", "balance_fen")
    paid = (
        money_days.select("day", "case_id", "paid_fen")
        .join(opened.select("day", "case_id", "vintage"), on=["day", "case_id"], how="left")
        .with_columns(pl.col("vintage").fill_null(""))
    )
    return (
        owed.group_by("vintage")
        .agg(pl.len().cast(pl.Int64).alias("cases"), pl.col("balance_fen").sum().cast(pl.Int64))
        .join(
            paid.group_by("vintage").agg(pl.col("paid_fen").sum().alias("recovered_fen")),
            on="vintage",
            how="full",
            coalesce=True,
        )
        .with_columns(pl.col("cases", "balance_fen", "recovered_fen").fill_null(0).cast(pl.Int64))
        .filter((pl.col("cases") > 0) | (pl.col("recovered_fen") != 0))
        .with_columns(_rate("recovered_fen", "balance_fen").alias("recovery_rate"))
        .select("vintage", "cases", "balance_fen", "recovered_fen", "recovery_rate")
        .sort("vintage")
    )


def promise_kept_rate(money_days: pl.DataFrame, by: Sequence[str] = ()) -> pl.DataFrame:
    """Promises kept ÷ promises settled (by count), and paid towards them ÷ promised (by amount).

    A promise is settled when its grace period ended (kept, partly kept or broken); partly kept counts as
    settled and not kept.

    Worked example: day 1 settles 3 promises (2 kept, 1 broken) of 100 + 100 + 300 yuan, with 200 paid;
    day 2 settles 1 promise, partly kept, 400 yuan with 100 paid. By count: 2 ÷ 4 = 0.5; by amount:
    (200 + 100) ÷ (500 + 400) = 1/3.
    """
    keys = list(by)
    columns = ("promises_settled", "promises_kept", "promises_partly", "promises_broken", "settled_fen",
               "kept_paid_fen")  # fmt: skip
    sums = [pl.col(c).sum() for c in columns]
    frame = money_days.group_by(keys).agg(sums) if keys else money_days.select(sums)
    frame = frame.with_columns(
        _rate("promises_kept", "promises_settled").alias("kept_rate"),
        _rate("kept_paid_fen", "settled_fen").alias("kept_rate_amount"),
    )
    return frame.sort(keys) if keys else frame


def contact_rates(contact_days: pl.DataFrame, by: Sequence[str] = ()) -> pl.DataFrame:
    """Contact rate (answered ÷ attempts) and right-party contact rate (debtor reached ÷ attempts) of
    calls and visits, by ``by`` (e.g. ("user_id",), ("weekday", "hour")).

    Worked example: 4 calls on Monday at 10 (2 answered, 1 by the debtor) and 2 calls on Monday at 19
    (none answered): at 10, contact rate 0.5 and RPC rate 0.25; at 19, both 0; overall 2 ÷ 6 and 1 ÷ 6.
    """
    calls = contact_days.filter(pl.col("channel").is_in(CALL_CHANNELS))
    keys = list(by)
    sums = [pl.col("attempts").sum(), pl.col("reached").sum(), pl.col("rpc").sum()]
    frame = calls.group_by(keys).agg(sums) if keys else calls.select(sums)
    frame = frame.with_columns(
        _rate("reached", "attempts").alias("contact_rate"), _rate("rpc", "attempts").alias("rpc_rate")
    )
    return frame.sort(keys) if keys else frame


def contact_heatmap(contact_days: pl.DataFrame) -> pl.DataFrame:
    """Right-party contact rate by weekday (0 = Monday) × local hour: ``contact_rates`` by both."""
    return contact_rates(contact_days, ("weekday", "hour"))


def roll_transitions(before: pl.DataFrame, after: pl.DataFrame) -> pl.DataFrame:
    """Cases by (from, to) bucket between two snapshots (case_id, bucket); a case gone from ``after`` went
    to "closed". Extra columns of ``before`` (a team) are kept as keys."""
    keys = [c for c in before.columns if c not in ("case_id", "bucket", "day")]
    return (
        before.rename({"bucket": "from"})
        .join(after.select("case_id", pl.col("bucket").alias("to")), on="case_id", how="left")
        .with_columns(pl.col("to").fill_null(CLOSED))
        .group_by(*keys, "from", "to")
        .agg(pl.len().cast(pl.Int64).alias("cases"))
    )


def roll_rates(case_days: pl.DataFrame, start: date, end: date) -> pl.DataFrame:
    """Where the cases of each bucket on ``start`` stand on ``end``: a row per starting bucket, a share per
    bucket and "closed" (no longer open on ``end``), and the cure rate (to M0 or closed).

    Worked example: on day 1, cases 1 and 2 are M1, case 3 is M2. On day 31, case 1 is M2 and case 3 M3;
    case 2 is gone (paid off). Row M1: M2 0.5, closed 0.5, cure rate 0.5; row M2: M3 1.0, cure rate 0.
    """
    before = case_days.filter(pl.col("day") == start).select("case_id", "bucket")
    after = case_days.filter(pl.col("day") == end).select("case_id", "bucket")
    return roll_matrix(roll_transitions(before, after))


def roll_matrix(transitions: pl.DataFrame) -> pl.DataFrame:
    """The roll-rate matrix from (from, to, cases) counts (``roll_transitions``, or their rollup summed over
    teams): a row per starting bucket, the share to each bucket and "closed", and the cure rate."""
    moves = transitions.group_by("from", "to").agg(pl.col("cases").sum().alias("n"))
    columns = [*BUCKET_ORDER, CLOSED]
    totals = moves.group_by("from").agg(pl.col("n").sum().alias("cases"))
    matrix = (
        moves.join(totals, on="from")
        .with_columns((pl.col("n") / pl.col("cases")).alias("share"))
        .pivot(on="to", index=["from", "cases"], values="share")
    )
    for column in columns:
        if column not in matrix.columns:
            matrix = matrix.with_columns(pl.lit(0.0).alias(column))
    order = {b: i for i, b in enumerate(BUCKET_ORDER)}
    return (
        matrix.with_columns(pl.col(c).fill_null(0.0) for c in columns)
        .with_columns((pl.col(BUCKET_ORDER[0]) + pl.col(CLOSED)).alias("cure_rate"))
        .with_columns(pl.col("from").replace_strict(order, default=len(order)).alias("_order"))
        .sort("_order")
        .select("from", pl.col("cases").cast(pl.Int64), *columns, "cure_rate")
    )


def leaderboard(case_days: pl.DataFrame, contact_days: pl.DataFrame, money_days: pl.DataFrame) -> pl.DataFrame:
    """Per collector: call attempts, right-party contacts, promises made and their yuan (fen), the kept rate
    of the promises that settled on their cases, and the yuan recovered on their cases.

    Promises are the collector's who recorded them; settled promises and payments are the collector's to
    whom the case was assigned that day.

    Worked example: collector 7 made 3 calls (1 RPC) and 1 promise of 200.00; on their case 1 a promise
    settled kept and 200.00 was paid; collector 8 made 1 call, no contact, and their case 2 had a promise
    broken. 7: attempts 3, rpc 1, promises 1, promised 20000 fen, kept rate 1.0, recovered 20000 fen;
    8: attempts 1, rpc 0, kept rate 0.0, recovered 0.
    """
    people = contact_days.filter(pl.col("user_id") > 0)
    made = people.group_by("user_id").agg(
        pl.col("attempts").filter(pl.col("channel").is_in(CALL_CHANNELS)).sum().alias("attempts"),
        pl.col("rpc").sum().alias("rpc"),
        pl.col("promises").sum().alias("promises"),
        pl.col("promised_fen").sum().alias("promised_fen"),
    )
    owners = case_days.select("day", "case_id", pl.col("assignee_id").alias("user_id")).filter(
        pl.col("user_id").is_not_null()
    )
    money = (
        money_days.join(owners, on=["day", "case_id"])
        .group_by("user_id")
        .agg(
            pl.col("promises_settled").sum(),
            pl.col("promises_kept").sum(),
            pl.col("paid_fen").sum().alias("recovered_fen"),
        )
    )
    return (
        made.join(money, on="user_id", how="full", coalesce=True)
        .with_columns(
            pl.col(
                "attempts", "rpc", "promises", "promised_fen", "promises_settled", "promises_kept", "recovered_fen"
            ).fill_null(0)
        )
        .with_columns(_rate("promises_kept", "promises_settled").alias("kept_rate"))
        .select("user_id", "attempts", "rpc", "promises", "promised_fen", "kept_rate", "recovered_fen")
        .sort(["recovered_fen", "user_id"], descending=[True, False])
    )


def attributed_payments(contact_days: pl.DataFrame, money_days: pl.DataFrame, window_days: int = 7) -> pl.DataFrame:
    """Each payment once for every channel that reached for its case (an attempt) on the day of the payment
    or in the ``window_days`` before it: (day, case_id, channel, paid_fen). ``channel_stats`` sums it by
    channel; the nightly facts roll it up by the case's team, collector, product and bucket.

    Worked example: case 1 gets an SMS on day 1 and a call on day 2 and pays 100.00 on day 3: two rows,
    (3, 1, sms, 10000) and (3, 1, call, 10000); a payment with no contact in the window gets none.
    """
    touches = contact_days.filter(pl.col("attempts") > 0).select("case_id", "channel", pl.col("day").alias("touched"))
    payments = money_days.filter(pl.col("paid_fen") > 0).select("case_id", "day", "paid_fen")
    return (
        payments.join(touches, on="case_id")
        .filter(
            (pl.col("touched") <= pl.col("day")) & (pl.col("touched") >= pl.col("day") - pl.duration(days=window_days))
        )
        .unique(["case_id", "day", "channel"])
        .select("day", "case_id", "channel", "paid_fen")
    )


def channel_stats(contact_days: pl.DataFrame, money_days: pl.DataFrame, window_days: int = 7) -> pl.DataFrame:
    """Per channel: attempts (calls made, messages sent), reached (answered, delivered), the reach rate, and
    yuan recovered per attempt (fen).

    A payment counts for every channel that reached for its case on the day of the payment or in the
    ``window_days`` before it (a payment after an SMS and a call counts for both).

    Worked example: case 1 gets an SMS (delivered) on day 1 and a call (no answer) on day 2, then pays
    100.00 on day 3; case 2 gets 2 SMS on day 1 (1 delivered) and never pays. SMS: 3 sent, 2 delivered,
    rate 2/3, 10000 ÷ 3 ≈ 3333.33 fen per message; call: 1 attempt, 0 reached, 10000 fen per call.
    """
    per_channel = (
        contact_days.filter(pl.col("attempts") > 0)
        .group_by("channel")
        .agg(pl.col("attempts").sum(), pl.col("reached").sum())
    )
    attributed = (
        attributed_payments(contact_days, money_days, window_days)
        .group_by("channel")
        .agg(pl.col("paid_fen").sum().alias("recovered_fen"))
    )
    return (
        per_channel.join(attributed, on="channel", how="left")
        .with_columns(pl.col("recovered_fen").fill_null(0))
        .with_columns(
            _rate("reached", "attempts").alias("reach_rate"),
            _rate("recovered_fen", "attempts").alias("recovered_fen_per_attempt"),
        )
        .sort("channel")
    )


def recovery_trend(portfolio_days: pl.DataFrame) -> pl.DataFrame:
    """Per day: cases and balance open, yuan recovered that day, the day's recovery rate (recovered ÷ balance
    open) and the period's cumulative yuan recovered. Over the portfolio rollup (or case facts with money).

    Worked example: day 1, 2 cases owe 1,000.00 in all and 50.00 comes back; day 2, 1 case owes 800.00 and
    200.00 comes back. Day 1: rate 0.05, cumulative 50.00; day 2: rate 0.25, cumulative 250.00.
    """
    return (
        portfolio_days.group_by("day")
        .agg(pl.col("cases").sum(), pl.col("balance_fen").sum(), pl.col("paid_fen").sum().alias("recovered_fen"))
        .sort("day")
        .with_columns(
            _rate("recovered_fen", "balance_fen").alias("recovery_rate"),
            pl.col("recovered_fen").cum_sum().alias("cumulative_fen"),
        )
    )


def leaderboard_from_rollups(contact_hours: pl.DataFrame, portfolio_days: pl.DataFrame) -> pl.DataFrame:
    """``leaderboard`` over the rollups: the contact rollup carries the person, the portfolio rollup the
    assignee with the money of their cases, so each rollup row stands for the cases it sums (a test holds
    it to ``leaderboard`` over the facts).

    Worked example (the one of ``leaderboard``, rolled up): 7's contact rows sum to 3 attempts, 1 RPC and 1
    promise of 200.00; 7's portfolio row has 1 promise settled, 1 kept and 200.00 paid: the same figures.
    """
    # A rollup row without money stands for cases with no money fact that day: the facts have no row for them.
    moved = pl.sum_horizontal("payments", "paid_fen", "waived_fen", "promises_settled") > 0
    rows = portfolio_days.filter(moved).with_row_index("case_id").with_columns(pl.col("case_id").cast(pl.Int64))
    owners = rows.select(
        "day", "case_id", pl.when(pl.col("assignee_id") > 0).then(pl.col("assignee_id")).alias("assignee_id")
    )
    money = rows.select("day", "case_id", "promises_settled", "promises_kept", "paid_fen")
    return leaderboard(owners, contact_hours, money)


def channel_table(contact_hours: pl.DataFrame, recovered: pl.DataFrame) -> pl.DataFrame:
    """``channel_stats`` from its two halves: attempts and reached per channel (the contact rollup) and the
    yuan recovered per channel (``channel_stats``'s attribution over the paying cases' contacts only, which
    is all the attribution reads).

    Worked example: SMS 3 sent, 2 delivered, 10,000 fen attributed: reach 2/3, ≈ 3,333.33 fen per message.
    """
    per_channel = (
        contact_hours.filter(pl.col("attempts") > 0)
        .group_by("channel")
        .agg(pl.col("attempts").sum(), pl.col("reached").sum())
    )
    return (
        per_channel.join(recovered.select("channel", "recovered_fen"), on="channel", how="left")
        .with_columns(pl.col("recovered_fen").fill_null(0))
        .with_columns(
            _rate("reached", "attempts").alias("reach_rate"),
            _rate("recovered_fen", "attempts").alias("recovered_fen_per_attempt"),
        )
        .sort("channel")
    )
