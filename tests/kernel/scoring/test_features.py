"""The feature builder: values by hand, nothing after the as-of day counts, the target's 30 days after it."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from huikuan.kernel.scoring import features as kf

AS_OF = date(2026, 5, 1)


def one_case(balance_fen: int = 100_000, as_of: date = AS_OF) -> pl.DataFrame:
    return pl.DataFrame(
        [(7, as_of, date(2026, 3, 2), balance_fen, 80_000, 5_000, "credit_card", date(2025, 5, 1), 1)],
        schema=kf.CASES_SCHEMA,
        orient="row",
    )


def payments(*rows: tuple[date, int]) -> pl.DataFrame:
    return pl.DataFrame([(7, d, a) for d, a in rows], schema=kf.PAYMENTS_SCHEMA, orient="row")


def promises(*rows: tuple[date, date, str]) -> pl.DataFrame:
    return pl.DataFrame([(7, *r) for r in rows], schema=kf.PROMISES_SCHEMA, orient="row")


def contacts(*rows: tuple[date, str, str, str, bool]) -> pl.DataFrame:
    return pl.DataFrame([(7, *r) for r in rows], schema=kf.CONTACTS_SCHEMA, orient="row")


def days_ago(n: int) -> date:
    return AS_OF - timedelta(days=n)


def test_a_case_history_becomes_its_features() -> None:
    frame = kf.build_features(
        one_case(),
        payments((days_ago(5), 10_000), (days_ago(40), 5_000), (days_ago(100), 9_999)),
        promises(
            (days_ago(20), days_ago(15), "broken"),  # settled: counts
            (days_ago(3), days_ago(2), "broken"),  # due 2 days ago: inside the grace, not judged yet
            (days_ago(60), days_ago(55), "kept"),
        ),
        contacts(
            (days_ago(1), "call", "nobody", "no_answer", True),
            (days_ago(6), "call", "debtor", "promise", False),
            (days_ago(10), "sms", "nobody", "sent", False),
            (days_ago(20), "call", "debtor", "refusal", False),
        ),
    ).row(0, named=True)
    assert frame["dpd"] == (AS_OF - date(2026, 3, 2)).days == 60 and frame["bucket"] == "M2"
    assert frame["balance_yuan"] == 1000.0 and frame["principal_share"] == 0.8 and frame["penalty_share"] == 0.05
    assert frame["months_on_book"] == 12
    assert (frame["payments_30d"], frame["payments_90d"], frame["payment_months_90d"]) == (1, 2, 2)
    assert frame["paid_share_90d"] == 15_000 / 115_000 and frame["days_since_payment"] == 5
    assert frame["promises_made_30d"] == 2 and frame["promises_broken_30d"] == 1
    assert frame["promises_broken_90d"] == 1 and frame["promises_kept_90d"] == 1
    assert (frame["attempts_7d"], frame["attempts_30d"], frame["rpc_7d"], frame["rpc_30d"]) == (2, 3, 1, 2)
    assert frame["failed_30d"] == 1 and frame["refusals_30d"] == 1 and frame["last_outcome"] == "no_answer"
    assert frame["cured_episodes"] == 1


def test_a_case_without_history_has_zero_counts_and_no_last_payment() -> None:
    empty = kf.build_features(one_case(), payments(), promises(), contacts()).row(0, named=True)
    assert empty["payments_90d"] == 0 and empty["days_since_payment"] is None and empty["last_outcome"] == "none"


def test_the_target_is_ten_percent_of_the_balance_paid_within_30_days_from_the_as_of_day() -> None:
    case = one_case(balance_fen=100_000)
    assert kf.build_target(case, payments((AS_OF, 10_000))).item(0, "target") == 1
    assert kf.build_target(case, payments((AS_OF, 9_999))).item(0, "target") == 0
    # The day before belongs to the features, the 30th day after to the next window.
    assert (
        kf.build_target(case, payments((days_ago(1), 50_000), (AS_OF + timedelta(days=30), 50_000))).item(0, "target")
        == 0
    )
    assert kf.build_target(case, payments((AS_OF + timedelta(days=29), 6_000), (AS_OF, 4_000))).item(0, "target") == 1


event_day = st.integers(-120, 40).map(lambda n: AS_OF + timedelta(days=n))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(event_day, st.integers(1, 50_000)), max_size=8),
    st.lists(st.tuples(event_day, st.integers(0, 8), st.sampled_from(["kept", "broken", "pending"])), max_size=6),
    st.lists(st.tuples(event_day, st.sampled_from(["call", "sms", "visit"]), st.booleans()), max_size=10),
)
def test_nothing_on_or_after_the_as_of_day_changes_the_features(
    pays: list[tuple[date, int]],
    proms: list[tuple[date, int, str]],
    calls: list[tuple[date, str, bool]],
) -> None:
    p = payments(*pays)
    q = promises(*[(d, d + timedelta(days=k), s) for d, k, s in proms])
    c = contacts(
        *[(d, ch, "debtor" if ok else "nobody", "promise" if ok else "no_answer", not ok) for d, ch, ok in calls]
    )
    full = kf.build_features(one_case(), p, q, c)
    before = kf.build_features(
        one_case(),
        p.filter(pl.col("day") < AS_OF),
        q.filter(pl.col("made") < AS_OF),
        c.filter(pl.col("day") < AS_OF),
    )
    assert_frame_equal(full, before)


def test_many_as_of_days_in_one_call_are_each_their_own_day() -> None:
    history = payments((days_ago(10), 1_000), (days_ago(2), 1_000))
    both = kf.build_features(pl.concat([one_case(as_of=days_ago(5)), one_case()]), history, promises(), contacts())
    alone = kf.build_features(one_case(as_of=days_ago(5)), history, promises(), contacts())
    assert both.get_column("payments_30d").to_list() == [1, 2]
    assert_frame_equal(both.head(1), alone)
