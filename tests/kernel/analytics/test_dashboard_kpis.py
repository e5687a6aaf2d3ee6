"""The dashboards' KPIs over the rollups: the worked examples by hand, and each held to the KPI over the facts
it stands for on random facts (the rollups are what a chart reads; the facts are the definition)."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from huikuan.kernel.analytics import kpis
from huikuan.kernel.analytics.rollup import contact_rollup, portfolio_rollup, roll_rollup
from tests.kernel.analytics.test_kpis import D1, contact_days, money_days

D2 = D1 + timedelta(days=1)


def test_the_recovery_trend_is_each_days_recovered_over_its_balance_with_the_running_total() -> None:
    frame = pl.DataFrame(
        {
            "day": [D1, D1, D2],
            "cases": [1, 1, 1],
            "balance_fen": [60_000, 40_000, 80_000],
            "paid_fen": [5_000, 0, 20_000],
        }
    )
    trend = kpis.recovery_trend(frame)
    assert trend.select("day", "cases", "recovered_fen", "recovery_rate", "cumulative_fen").rows() == [
        (D1, 2, 5_000, 0.05, 5_000),
        (D2, 1, 20_000, 0.25, 25_000),
    ]


def test_the_channel_table_from_its_halves() -> None:
    hours = pl.DataFrame({"channel": ["sms", "sms"], "attempts": [2, 1], "reached": [1, 1]})
    table = kpis.channel_table(hours, pl.DataFrame({"channel": ["sms"], "recovered_fen": [10_000]}))
    row = table.row(0, named=True)
    assert (row["attempts"], row["reached"], row["recovered_fen"]) == (3, 2, 10_000)
    assert abs(row["reach_rate"] - 2 / 3) < 1e-12 and abs(row["recovered_fen_per_attempt"] - 10_000 / 3) < 1e-9


CASES = st.lists(
    st.tuples(st.integers(1, 25), st.sampled_from([None, 7, 8]), st.sampled_from([0, 1])),
    min_size=1, max_size=25, unique_by=lambda r: (r[0], r[2]),
)  # fmt: skip
CONTACTS = st.lists(
    st.tuples(st.integers(1, 30), st.sampled_from([0, 7, 8, 9]), st.sampled_from(["call", "sms", "visit"]),
              st.integers(0, 3), st.integers(0, 2), st.integers(0, 1), st.sampled_from([0, 1])),
    max_size=30,
)  # fmt: skip
# A money fact exists only where money moved (a payment, a waiver, a promise settled).
MONEY = st.lists(
    st.tuples(st.integers(1, 30), st.integers(0, 9_000), st.integers(0, 2), st.integers(0, 2), st.sampled_from([0, 1]))
    .filter(lambda r: r[1] > 0 or r[2] > 0),
    max_size=20, unique_by=lambda r: (r[0], r[4]),
)  # fmt: skip


def _facts(cases: list, contacts: list, money: list) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    case_frame = pl.DataFrame(
        [{"day": D1 + timedelta(days=d), "case_id": c, "team_id": 1, "assignee_id": who, "bucket": "M1",
          "product": "consumer_loan", "arm": "", "balance_fen": 100 * c} for c, who, d in cases],
        schema_overrides={"assignee_id": pl.Int64},
    )  # fmt: skip
    contact_frame = contact_days(
        [{"day": D1 + timedelta(days=d), "case_id": c, "user_id": u, "channel": ch, "attempts": a,
          "reached": min(r, a), "rpc": min(rp, r, a), "promises": 1 if a else 0, "promised_fen": 100 * a}
         for c, u, ch, a, r, rp, d in contacts] or [{"case_id": 1}]
    ).unique(["day", "case_id", "user_id", "channel", "hour"])  # fmt: skip
    money_frame = money_days(
        [{"day": D1 + timedelta(days=d), "case_id": c, "paid_fen": paid, "payments": 1 if paid else 0,
          "promises_settled": s, "promises_kept": min(k, s)} for c, paid, s, k, d in money] or [{"case_id": 999}]
    )  # fmt: skip
    return case_frame, contact_frame, money_frame


def _by_user(frame: pl.DataFrame) -> list[tuple[object, ...]]:
    return sorted(frame.with_columns(pl.col("kept_rate").round(12)).rows(), key=lambda r: r[0])


@given(CASES, CONTACTS, MONEY)
def test_the_leaderboard_over_the_rollups_is_the_leaderboard_over_the_facts(
    cases: list, contacts: list, money: list
) -> None:
    case_frame, contact_frame, money_frame = _facts(cases, contacts, money)
    facts = kpis.leaderboard(case_frame, contact_frame, money_frame)
    rolled = kpis.leaderboard_from_rollups(
        contact_rollup(case_frame, contact_frame), portfolio_rollup(case_frame, money_frame)
    )
    assert _by_user(rolled) == _by_user(facts)


@given(CONTACTS, MONEY)
def test_the_channel_table_over_the_paying_cases_is_channel_stats_over_all_the_facts(
    contacts: list, money: list
) -> None:
    _cases, contact_frame, money_frame = _facts([(1, None, 0)], contacts, money)
    whole = kpis.channel_stats(contact_frame, money_frame)
    paying = money_frame.filter(pl.col("paid_fen") > 0)
    touches = contact_frame.filter(pl.col("case_id").is_in(paying["case_id"].implode()))
    attributed = kpis.channel_stats(touches, paying).select("channel", "recovered_fen")
    halves = kpis.channel_table(contact_frame.select("channel", "attempts", "reached"), attributed)
    assert halves.rows() == whole.rows()


@given(CASES, st.lists(st.tuples(st.integers(1, 25), st.sampled_from(["M1", "M2", "M3"])), max_size=25,
                       unique_by=lambda r: r[0]))  # fmt: skip
def test_the_roll_rollup_by_assignee_and_product_sums_to_the_roll_rates(cases: list, later: list) -> None:
    before = pl.DataFrame(
        [{"case_id": c, "team_id": 1, "assignee_id": who, "product": "consumer_loan" if c % 2 else "credit_card",
          "bucket": "M1" if c % 3 else "M2"} for c, who, _d in {c[0]: c for c in cases}.values()],
        schema_overrides={"assignee_id": pl.Int64},
    )  # fmt: skip
    end = D1 + timedelta(days=30)
    after = pl.DataFrame({"day": [end] * len(later), "case_id": [c for c, _ in later], "bucket": [b for _, b in later]},
                         schema={"day": pl.Date, "case_id": pl.Int64, "bucket": pl.Utf8})  # fmt: skip
    if after.is_empty():
        return
    rolled = roll_rollup(before, after)
    assert rolled["cases"].sum() == before.height
    case_days = pl.concat([before.select(pl.lit(D1).alias("day"), "case_id", "bucket"), after])
    transitions = rolled.rename({"from_bucket": "from", "to_bucket": "to"})
    assert kpis.roll_matrix(transitions).equals(kpis.roll_rates(case_days, D1, end))
    # One collector's rows are that collector's cases alone.
    sevens = rolled.filter(pl.col("assignee_id") == 7)["cases"].sum()
    assert sevens == before.filter(pl.col("assignee_id") == 7).height
    assert date(2026, 4, 1) == end


@given(CASES, CONTACTS, MONEY)
def test_the_channel_rollup_sums_to_channel_stats_recovered(cases: list, contacts: list, money: list) -> None:
    from huikuan.kernel.analytics.rollup import channel_rollup

    case_frame, contact_frame, money_frame = _facts(cases, contacts, money)
    rolled = channel_rollup(case_frame, kpis.attributed_payments(contact_frame, money_frame))
    by_channel = dict(rolled.group_by("channel").agg(pl.col("recovered_fen").sum()).rows())
    whole = kpis.channel_stats(contact_frame, money_frame)
    assert {c: r for c, r in whole.select("channel", "recovered_fen").rows() if r} == {
        c: r for c, r in by_channel.items() if r
    }


@given(CASES, CONTACTS, MONEY)
def test_the_coarse_rollups_keep_every_sum(cases: list, contacts: list, money: list) -> None:
    from huikuan.kernel.analytics.rollup import coarse_rollups

    case_frame, contact_frame, money_frame = _facts(cases, contacts, money)
    portfolio = portfolio_rollup(case_frame, money_frame)
    by_hour = contact_rollup(case_frame, contact_frame)
    for table, frame in coarse_rollups(portfolio, by_hour).items():
        source = portfolio if "day" in frame.columns and "cases" in frame.columns else by_hour
        for column in ("cases", "paid_fen", "promises_settled") if source is portfolio else ("attempts", "rpc"):
            assert frame[column].sum() == source[column].sum(), (table, column)


PLACED = st.lists(
    st.tuples(st.integers(1, 12), st.sampled_from([None, 7, 8]), st.integers(0, 3), st.integers(-40, 3),
              st.sampled_from(["M0", "M1", "M2"]), st.integers(0, 50_000)),
    min_size=1, max_size=30, unique_by=lambda r: (r[0], r[2]),
)  # fmt: skip
PAID = st.lists(
    st.tuples(st.integers(1, 14), st.integers(0, 3), st.integers(1, 9_000)), max_size=20,
    unique_by=lambda r: (r[0], r[1]),
)  # fmt: skip


@given(PLACED, PAID, st.integers(0, 2), st.sampled_from([None, 1, 2]))
def test_the_vintage_rollup_sums_to_the_vintage_recovery_of_the_facts(
    cases: list, paid: list, start: int, team: int | None
) -> None:
    from huikuan.kernel.analytics.rollup import vintage_from_rollup, vintage_rollup, vintage_team_rollup

    # A case's placement day is fixed; a day offset of its row at or after it (a row before would be a case not
    # yet placed). Cases 1-12; money of cases 13-14 was paid while they were not open.
    placed = {c: D1 + timedelta(days=p) for c, _, _, p, _, _ in cases}
    case_frame = pl.DataFrame(
        [{"day": D1 + timedelta(days=d), "case_id": c, "placed_on": placed[c], "team_id": 1 + c % 2,
          "assignee_id": who, "product": "consumer_loan", "bucket": b, "balance_fen": bal}
         for c, who, d, _, b, bal in cases if D1 + timedelta(days=d) >= placed[c]],
        schema={"day": pl.Date, "case_id": pl.Int64, "placed_on": pl.Date, "team_id": pl.Int64,
                "assignee_id": pl.Int64, "product": pl.Utf8, "bucket": pl.Utf8, "balance_fen": pl.Int64},
    )  # fmt: skip
    money_frame = pl.DataFrame(
        [{"day": D1 + timedelta(days=d), "case_id": c, "paid_fen": fen} for c, d, fen in paid],
        schema={"day": pl.Date, "case_id": pl.Int64, "paid_fen": pl.Int64},
    )
    first = D1 + timedelta(days=start)
    case_frame = case_frame.filter(pl.col("day") >= first)
    money_frame = money_frame.filter(pl.col("day") >= first)
    rollup = pl.concat(
        [vintage_rollup(case_frame.filter(pl.col("day") == day), money_frame.filter(pl.col("day") == day))
         for day in sorted(set(case_frame["day"].to_list()) | set(money_frame["day"].to_list()))]
        or [vintage_rollup(case_frame, money_frame)]
    )  # fmt: skip
    if team is not None:
        # A filter applies where each part stood on its own day: the facts' payments by the case's team that day.
        teams = case_frame.select("day", "case_id", "team_id")
        money_frame = money_frame.join(teams, on=["day", "case_id"], how="left").filter(pl.col("team_id") == team)
        case_frame = case_frame.filter(pl.col("team_id") == team)
        rollup = rollup.filter(pl.col("team_id") == team)
    expected = kpis.vintage_recovery(case_frame, money_frame.select("day", "case_id", "paid_fen"), first)
    assert vintage_from_rollup(rollup, first).equals(expected)
    assert vintage_from_rollup(vintage_team_rollup(rollup), first).equals(expected)
