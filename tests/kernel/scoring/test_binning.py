"""Binning: monotonic WOE for numbers, rates in order for categories, missing values apart, unseen values neutral."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from huikuan.kernel.scoring.binning import Binning, bin_categorical, bin_numeric, woe


def test_a_rising_relation_gives_rising_monotonic_woe_and_missing_values_their_own_bin() -> None:
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 100, 5000)
    y = (rng.uniform(size=5000) < 0.1 + 0.006 * x).astype(float)
    x[:400] = np.nan
    b = bin_numeric("x", x, y)
    woes = b.woes()
    assert b.trend == "rising" and len(woes) >= 3
    assert all(np.diff(woes) > 0)
    assert b.missing is not None and b.missing.count == 400
    assert sum(item.count for item in b.bins) == 4600
    assert b.iv > 0.1
    # Transform: each value gets its bin's WOE; NaN the missing bin's.
    assert b.transform([np.nan])[0] == b.missing.woe
    assert b.transform([0.0])[0] == woes[0] and b.transform([99.0])[0] == woes[-1]


def test_a_woe_is_the_log_of_payers_share_over_non_payers_share() -> None:
    # 30 of 100 payers and 10 of 100 non-payers in the bin (smoothed by half a case, 2 bins).
    assert np.isclose(woe(30, 10, 100, 100, 2), np.log((30.5 / 101) / (10.5 / 101)))


def test_categories_are_ordered_by_rate_rare_ones_pooled_and_unseen_ones_neutral() -> None:
    rng = np.random.default_rng(2)
    values = rng.choice(["a", "b", "c"], size=3000).tolist() + ["rare"] * 5
    rates = {"a": 0.1, "b": 0.4, "c": 0.7, "rare": 0.5}
    y = np.array([rng.uniform() < rates[v] for v in values], dtype=float)
    b = bin_categorical("cat", values, y)
    assert b.groups is not None and b.groups["a"] < b.groups["b"] < b.groups["c"]
    assert b.other_bin is not None and b.groups["rare"] == b.other_bin
    assert all(np.diff(b.woes()) > 0)
    # A value never seen in training falls into "other", which holds the rare ones.
    assert b.transform(["never seen"])[0] == b.woes()[b.other_bin]
    assert Binning.from_dict(b.to_dict()).transform(values[:50]).tolist() == b.transform(values[:50]).tolist()


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from([-1.0, 1.0]))
def test_numeric_bins_are_monotonic_and_hold_every_row(seed: int, direction: float) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(200, 2000))
    x = rng.normal(size=n)
    p = 1 / (1 + np.exp(-direction * x + rng.normal(scale=2, size=n)))
    y = (rng.uniform(size=n) < p).astype(float)
    b = bin_numeric("x", x, y)
    rates = [item.rate for item in b.bins]
    assert sum(item.count for item in b.bins) == n
    assert rates == sorted(rates) or rates == sorted(rates, reverse=True)
    assert len(b.bins) <= 8
    index = b.bin_index(x)
    assert index.min() >= 0 and index.max() == len(b.bins) - 1
