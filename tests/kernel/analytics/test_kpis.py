"""Every KPI on a hand-built fixture equals the figure computed by hand (the docstrings' worked examples)."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from huikuan.kernel import delinquency
from huikuan.kernel.analytics import kpis
from huikuan.kernel.analytics.frames import bucket_expr, stage_expr

D1 = date(2026, 3, 2)  # a Monday


def case_days(rows: list[dict[str, object]]) -> pl.DataFrame:
    defaults = {"day": D1, "placed_on": D1, "bucket": "M1", "balance_fen": 0, "team_id": 1, "assignee_id": None}
    return pl.DataFrame([{**defaults, **r} for r in rows])


def money_days(rows: list[dict[str, object]]) -> pl.DataFrame:
    zero = {c: 0 for c in ("payments", "paid_fen", "waived_fen", "promises_settled", "promises_kept",
                           "promises_partly", "promises_broken", "settled_fen", "kept_paid_fen")}  # fmt: skip
    return pl.DataFrame([{"day": D1, **zero, **r} for r in rows])


def contact_days(rows: list[dict[str, object]]) -> pl.DataFrame:
    zero = {"user_id": 0, "channel": "call", "hour": 10, "weekday": 0, "attempts": 0, "reached": 0, "rpc": 0,
            "promises": 0, "promised_fen": 0}  # fmt: skip
    return pl.DataFrame([{"day": D1, **zero, **r} for r in rows])


def test_recovery_rate_by_vintage_and_bucket_is_recovered_over_the_balance_at_entry() -> None:
    cases = case_days([
        {"case_id": 1, "placed_on": date(2026, 1, 5), "bucket": "M1", "balance_fen": 100_000},
        {"case_id": 2, "placed_on": date(2026, 1, 20), "bucket": "M2", "balance_fen": 50_000},
        {"case_id": 3, "placed_on": date(2026, 2, 1), "bucket": "M1", "balance_fen": 20_000},
        # A later day of case 1: its entry (balance 1,000.00, M1) is what counts.
        {"case_id": 1, "day": D1 + timedelta(days=1), "bucket": "M2", "balance_fen": 70_000},
    ])  # fmt: skip
    money = money_days([{"case_id": 1, "paid_fen": 30_000}, {"case_id": 3, "paid_fen": 20_000}])
    vintage = kpis.recovery_rate(cases, money, "vintage")
    assert vintage.select("vintage", "recovered_fen", "balance_fen", "recovery_rate").rows() == [
        ("2026-01", 30_000, 150_000, 0.2),
        ("2026-02", 20_000, 20_000, 1.0),
    ]
    bucket = kpis.recovery_rate(cases, money, "bucket")
    assert bucket.select("bucket", "recovery_rate").rows() == [("M1", pytest.approx(50_000 / 120_000)), ("M2", 0.0)]
    team = kpis.recovery_rate(cases, money, "team_id")
    assert team.select("team_id", "cases", "recovery_rate").rows() == [(1, 3, pytest.approx(50_000 / 170_000))]


def test_vintage_recovery_owes_the_first_days_balance_and_the_later_placements() -> None:
    # The docstring's example: first day D1; case 3 is placed two days later.
    later = D1 + timedelta(days=2)
    cases = case_days([
        {"case_id": 1, "placed_on": date(2026, 1, 5), "balance_fen": 100_000},
        {"case_id": 2, "placed_on": date(2026, 1, 20), "balance_fen": 50_000},
        # Case 1 the next day (it paid): its balance then is not owed again.
        {"case_id": 1, "day": D1 + timedelta(days=1), "placed_on": date(2026, 1, 5), "balance_fen": 70_000},
        {"case_id": 3, "day": later, "placed_on": later, "balance_fen": 20_000},
        {"case_id": 3, "day": later + timedelta(days=1), "placed_on": later, "balance_fen": 20_000},
    ])  # fmt: skip
    money = money_days([
        {"case_id": 1, "day": D1 + timedelta(days=1), "paid_fen": 30_000},
        {"case_id": 3, "day": later + timedelta(days=1), "paid_fen": 20_000},
        # Paid by a case that was not open that day (after its close): counted, under no vintage.
        {"case_id": 9, "day": later, "paid_fen": 5_000},
    ])  # fmt: skip
    table = kpis.vintage_recovery(cases, money, D1)
    assert table.rows() == [
        ("", 0, 0, 5_000, None),
        ("2026-01", 2, 150_000, 30_000, 0.2),
        ("2026-03", 1, 20_000, 20_000, 1.0),
    ]


def test_promise_kept_rate_by_count_and_by_amount() -> None:
    money = money_days([
        {"case_id": 1, "promises_settled": 3, "promises_kept": 2, "promises_broken": 1, "settled_fen": 50_000,
         "kept_paid_fen": 20_000},
        {"case_id": 2, "day": D1 + timedelta(days=1), "promises_settled": 1, "promises_partly": 1,
         "settled_fen": 40_000, "kept_paid_fen": 10_000},
        {"case_id": 3, "paid_fen": 5_000},  # a payment, no promise settled: no weight
    ])  # fmt: skip
    overall = kpis.promise_kept_rate(money)
    assert overall.select("kept_rate", "kept_rate_amount").row(0) == (0.5, pytest.approx(1 / 3))
    by_day = kpis.promise_kept_rate(money, ("day",))
    assert by_day.select("day", "kept_rate").rows() == [(D1, 2 / 3), (D1 + timedelta(days=1), 0.0)]


def test_contact_and_right_party_rates_overall_and_by_weekday_and_hour() -> None:
    contacts = contact_days([
        {"case_id": 1, "hour": 10, "attempts": 4, "reached": 2, "rpc": 1},
        {"case_id": 2, "hour": 19, "attempts": 2},
        {"case_id": 3, "channel": "sms", "hour": 10, "attempts": 5, "reached": 5},  # messages are not contacts
    ])  # fmt: skip
    overall = kpis.contact_rates(contacts)
    assert overall.row(0, named=True) == {
        "attempts": 6, "reached": 2, "rpc": 1, "contact_rate": pytest.approx(2 / 6), "rpc_rate": pytest.approx(1 / 6)
    }  # fmt: skip
    heat = kpis.contact_heatmap(contacts)
    assert heat.select("weekday", "hour", "contact_rate", "rpc_rate").rows() == [(0, 10, 0.5, 0.25), (0, 19, 0.0, 0.0)]


def test_roll_rate_matrix_with_the_cure_rate() -> None:
    later = D1 + timedelta(days=30)
    cases = case_days([
        {"case_id": 1, "bucket": "M1"}, {"case_id": 2, "bucket": "M1"}, {"case_id": 3, "bucket": "M2"},
        {"case_id": 1, "day": later, "bucket": "M2"}, {"case_id": 3, "day": later, "bucket": "M3"},
    ])  # fmt: skip
    matrix = kpis.roll_rates(cases, D1, later)
    assert matrix.columns == ["from", "cases", "M0", "M1", "M2", "M3", "M3+", "closed", "cure_rate"]
    assert matrix.rows() == [
        ("M1", 2, 0.0, 0.0, 0.5, 0.0, 0.0, 0.5, 0.5),
        ("M2", 1, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0),
    ]


def test_collector_leaderboard() -> None:
    cases = case_days([{"case_id": 1, "assignee_id": 7}, {"case_id": 2, "assignee_id": 8}])
    contacts = contact_days([
        {"case_id": 1, "user_id": 7, "attempts": 3, "reached": 1, "rpc": 1},
        {"case_id": 1, "user_id": 7, "hour": 11, "promises": 1, "promised_fen": 20_000},
        {"case_id": 2, "user_id": 8, "attempts": 1},
        {"case_id": 2, "user_id": 0, "channel": "sms", "attempts": 1, "reached": 1},  # nobody's
    ])  # fmt: skip
    money = money_days([
        {"case_id": 1, "paid_fen": 20_000, "promises_settled": 1, "promises_kept": 1},
        {"case_id": 2, "promises_settled": 1, "promises_broken": 1},
    ])  # fmt: skip
    board = kpis.leaderboard(cases, contacts, money)
    assert board.rows() == [(7, 3, 1, 1, 20_000, 1.0, 20_000), (8, 1, 0, 0, 0, 0.0, 0)]


def test_channel_statistics_attribute_a_payment_to_every_channel_that_reached_for_it_before() -> None:
    d2, d3 = D1 + timedelta(days=1), D1 + timedelta(days=2)
    contacts = contact_days([
        {"case_id": 1, "channel": "sms", "attempts": 1, "reached": 1},
        {"case_id": 1, "day": d2, "channel": "call", "attempts": 1},
        {"case_id": 2, "channel": "sms", "attempts": 2, "reached": 1},
    ])  # fmt: skip
    money = money_days([{"case_id": 1, "day": d3, "payments": 1, "paid_fen": 10_000}])
    stats = kpis.channel_stats(contacts, money)
    assert stats.select("channel", "attempts", "reached", "reach_rate", "recovered_fen_per_attempt").rows() == [
        ("call", 1, 0, 0.0, 10_000.0),
        ("sms", 3, 2, pytest.approx(2 / 3), pytest.approx(10_000 / 3)),
    ]


def test_a_rate_over_nothing_is_none_not_zero() -> None:
    assert kpis.promise_kept_rate(money_days([{"case_id": 1}])).row(0, named=True)["kept_rate"] is None


@given(st.lists(st.integers(min_value=-5, max_value=800), min_size=1, max_size=50), st.booleans())
def test_the_polars_bucket_and_stage_agree_with_the_kernel(dpds: list[int], legal: bool) -> None:
    frame = pl.DataFrame({"dpd": dpds}).with_columns(
        bucket_expr("dpd").alias("bucket"), stage_expr("dpd", pl.lit(legal)).alias("stage")
    )
    assert frame["bucket"].to_list() == [delinquency.bucket(d).value for d in dpds]
    assert frame["stage"].to_list() == [delinquency.stage(d, legal=legal).value for d in dpds]


@given(
    st.lists(
        st.tuples(st.integers(1, 30), st.sampled_from([None, 1, 2]), st.sampled_from(["M1", "M2"]),
                  st.integers(0, 10_000)),
        min_size=1, max_size=30, unique_by=lambda r: r[0],
    ),
    st.lists(st.tuples(st.integers(1, 40), st.integers(0, 5_000), st.integers(0, 3)), max_size=30,
             unique_by=lambda r: r[0]),
)  # fmt: skip
def test_the_rollups_add_up_to_the_facts(
    cases: list[tuple[int, int | None, str, int]], money: list[tuple[int, int, int]]
) -> None:
    from huikuan.kernel.analytics.rollup import contact_rollup, portfolio_rollup

    case_frame = pl.DataFrame(
        [{"day": D1, "case_id": c, "team_id": t, "assignee_id": t, "bucket": b, "product": "consumer_loan", "arm": "",
          "balance_fen": f} for c, t, b, f in cases],
        schema_overrides={"team_id": pl.Int64, "assignee_id": pl.Int64},
    )  # fmt: skip
    # A case with no money at all (id 999, not open) stands in for an empty day: it adds nothing.
    money_frame = money_days(
        [{"case_id": c, "paid_fen": paid, "promises_settled": n} for c, paid, n in money] or [{"case_id": 999}]
    )
    rolled = portfolio_rollup(case_frame, money_frame)
    assert rolled["cases"].sum() == len(cases)
    assert rolled["balance_fen"].sum() == sum(f for *_, f in cases)
    assert rolled["paid_fen"].sum() == sum(p for _, p, _ in money)
    contacts = contact_days(
        [{"case_id": c, "user_id": 7, "attempts": 1 + c % 3} for c, *_ in money] or [{"case_id": 1}]
    )
    assert contact_rollup(case_frame, contacts)["attempts"].sum() == contacts["attempts"].sum()
