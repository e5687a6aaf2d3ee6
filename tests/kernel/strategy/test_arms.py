from __future__ import annotations

from decimal import Decimal

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from huikuan.kernel.strategy.arms import ArmError, arm_for, assign_arms, case_position

SPLIT = [("champion", Decimal("0.8")), ("challenger", Decimal("0.2"))]


@given(st.integers(min_value=1, max_value=2**62), st.text(min_size=1, max_size=20))
def test_same_case_same_experiment_same_arm(case_id: int, key: str) -> None:
    assert arm_for(case_id, key, SPLIT) == arm_for(case_id, key, SPLIT)
    vector = assign_arms(pl.Series([case_id, case_id]), key, SPLIT).to_list()
    assert vector == [arm_for(case_id, key, SPLIT)] * 2


def test_positions_are_fixed_numbers_not_per_process_hashes() -> None:
    # Pinned values: if these change, every case would jump arm between nights.
    assert case_position(1, "exp-2026-11") == 7904666393611758932
    assert arm_for(1, "exp-2026-11", SPLIT) == "champion"


def test_shares_hold_on_100000_cases() -> None:
    arms = assign_arms(pl.Series(range(1, 100_001)), "exp-2026-11", SPLIT)
    share = int(arms.eq("challenger").sum()) / len(arms)
    # Binomial sd at n=100,000, p=0.2 is 0.00126; 4 sd is a one-in-15,000 false alarm.
    assert abs(share - 0.2) < 0.005
    three = [("a", Decimal("0.5")), ("b", Decimal("0.3")), ("c", Decimal("0.2"))]
    counts = dict(assign_arms(pl.Series(range(1, 100_001)), "other", three).value_counts().iter_rows())
    assert abs(counts["a"] / 100_000 - 0.5) < 0.0065
    assert abs(counts["b"] / 100_000 - 0.3) < 0.006
    assert abs(counts["c"] / 100_000 - 0.2) < 0.005


def test_different_experiments_split_independently() -> None:
    ids = pl.Series(range(1, 20_001))
    first = assign_arms(ids, "exp-a", SPLIT).eq("challenger")
    second = assign_arms(ids, "exp-b", SPLIT).eq("challenger")
    both = int((first & second).sum()) / len(ids)
    assert abs(both - 0.04) < 0.01


def test_vector_and_scalar_agree() -> None:
    ids = list(range(1, 3001))
    assert assign_arms(pl.Series(ids), "k", SPLIT).to_list() == [arm_for(i, "k", SPLIT) for i in ids]


@pytest.mark.parametrize(
    "arms",
    [
        [],
        [("a", Decimal("0.5"))],
        [("a", Decimal("0.5")), ("a", Decimal("0.5"))],
        [("a", Decimal("1.1")), ("b", Decimal("-0.1"))],
    ],
)
def test_shares_must_be_a_partition(arms: list[tuple[str, Decimal]]) -> None:
    with pytest.raises(ArmError):
        arm_for(1, "k", arms)
