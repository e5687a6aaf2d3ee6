"""The readout's statistics: intervals by hand, and honest error rates on simulated experiments.

The simulated experiments use the simulator's debtor model (kernel.simulation) directly: each case's
promise is kept with its persona's probability, plus the planted effect in the challenger arm.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from huikuan.kernel import simulation as model
from huikuan.kernel.analytics import readout
from huikuan.kernel.analytics.readout import NOT_YET, SIGNIFICANT


def test_wilson_interval_by_hand() -> None:
    # 45 of 100: p = 0.45, z² = 3.8415; centre (0.45 + 0.019207) / 1.038415; half-width
    # 1.96 × √(0.002475 + 0.00009604) / 1.038415.
    low, high = readout.wilson(45, 100) or (0, 0)
    centre = (0.45 + 3.841459 / 200) / 1.03841459
    half = 1.959964 * math.sqrt(0.45 * 0.55 / 100 + 3.841459 / 40000) / 1.03841459
    assert (low, high) == (pytest.approx(centre - half, abs=1e-6), pytest.approx(centre + half, abs=1e-6))
    assert readout.wilson(0, 10) == (0.0, pytest.approx(0.2775, abs=1e-4))


def test_p_value_and_sample_size_by_hand() -> None:
    # Equal proportions: z = 0, p = 1.
    assert readout.two_proportion_p(30, 100, 30, 100) == pytest.approx(1.0)
    # 0.2 vs 0.3 over 200 each: pooled 0.25, se √(0.1875 × 0.01) = 0.0433; z = 2.3094; p = 0.0209.
    assert readout.two_proportion_p(40, 200, 60, 200) == pytest.approx(0.0209, abs=1e-4)
    assert readout.sample_size(0.2, 0.1) == 294


def cases_frame(rows: list[tuple[str, int, int, int, int, int, int]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=list(readout.READOUT_COLUMNS), orient="row")


def test_the_readout_gives_each_arm_its_figures_and_the_challenger_its_difference() -> None:
    cases = cases_frame(
        [("champion", 100_000, 10_000, 1, 0, 5, 1)] * 50 + [("challenger", 100_000, 20_000, 1, 1, 5, 2)] * 50
    )
    figures, comparisons = readout.readout(cases, minimum_effect=0.05)
    kept = {f.arm: f for f in figures if f.metric == "promise_kept"}
    assert (kept["champion"].value, kept["challenger"].value) == (0.0, 1.0)
    recovery = {f.arm: f for f in figures if f.metric == "recovery_rate"}
    assert recovery["challenger"].value == pytest.approx(0.2)
    # Identical cases: every resample has the same ratio, so the interval is a point.
    assert (recovery["challenger"].low, recovery["challenger"].high) == (pytest.approx(0.2), pytest.approx(0.2))
    by_metric = {c.metric: c for c in comparisons}
    assert by_metric["promise_kept"].difference == 1.0
    assert by_metric["promise_kept"].verdict == SIGNIFICANT
    assert by_metric["recovery_rate"].difference == pytest.approx(0.1)
    assert by_metric["rpc_rate"].difference == pytest.approx(0.2)
    # 5 attempts per 100 yuan vs per 200 yuan: 50 and 25 contacts per 1,000 yuan.
    assert by_metric["contacts_per_1000_yuan"].difference == pytest.approx(-25.0)


def test_a_small_difference_is_not_significant_yet_and_says_how_many_cases_it_needs() -> None:
    cases = cases_frame([("champion", 1, 0, 10, 5, 0, 0), ("challenger", 1, 0, 10, 6, 0, 0)])
    _, comparisons = readout.readout(cases, minimum_effect=0.05)
    kept = next(c for c in comparisons if c.metric == "promise_kept")
    assert kept.verdict == NOT_YET
    assert kept.needed_per_arm == readout.sample_size(0.5, 0.05) == 1565


def simulated_experiment(seed: int, per_arm: int, effect: float) -> pl.DataFrame:
    """One promise per case; kept with the debtor's kept probability (+ effect for the challenger)."""
    rows = []
    for case in range(2 * per_arm):
        arm = "challenger" if case % 2 else "champion"
        p = model.persona(seed, case)
        kept = model.draw(seed, "keep", case) < model.keep_probability(p, effect if arm == "challenger" else 0.0)
        rows.append((arm, 1, 0, 1, int(kept), 0, 0))
    return cases_frame(rows)


def test_a_a_over_200_seeds_calls_about_five_percent_significant() -> None:
    significant = 0
    for seed in range(200):
        _, comparisons = readout.readout(simulated_experiment(seed, 150, 0.0))
        kept = next(c for c in comparisons if c.metric == "promise_kept")
        significant += kept.verdict == SIGNIFICANT
    rate = significant / 200
    low, high = readout.wilson(significant, 200) or (0, 1)
    print(f"A/A: {significant} of 200 significant ({rate:.3f}, 95% CI {low:.3f}–{high:.3f})")
    assert low <= 0.05 <= high


def test_a_planted_effect_is_found_and_its_interval_covers_it() -> None:
    _, comparisons = readout.readout(simulated_experiment(11, 5000, 0.05), minimum_effect=0.05)
    kept = next(c for c in comparisons if c.metric == "promise_kept")
    assert kept.verdict == SIGNIFICANT
    assert kept.low is not None and kept.high is not None
    assert kept.low <= 0.05 <= kept.high


def test_the_bootstrap_is_the_same_for_the_same_seed() -> None:
    rng = np.random.default_rng(3)
    num, den = rng.integers(0, 100, 200).astype(float), rng.integers(100, 200, 200).astype(float)
    assert readout.bootstrap_ratio(num, den, seed=4) == readout.bootstrap_ratio(num, den, seed=4)
    difference = readout.bootstrap_ratio_difference((num, den), (num * 1.5, den), seed=4)
    assert difference is not None
    assert difference[1] <= difference[0] <= difference[2]


def test_the_bootstrap_drawn_block_by_block_is_the_bootstrap_drawn_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # Bounded memory must not change the interval: blocks of 7 rounds read the generator as one draw does.
    rng = np.random.default_rng(3)
    num, den = rng.integers(0, 5_000, 300).astype(float), rng.integers(1, 9_000, 300).astype(float)
    whole = readout.bootstrap_ratio(num, den, seed=11, rounds=200)
    monkeypatch.setattr(readout, "RESAMPLE_CHUNK", 7 * 300)
    assert readout.bootstrap_ratio(num, den, seed=11, rounds=200) == whole


def test_from_a_large_sample_on_the_delta_method_gives_the_bootstraps_interval_and_p(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Skewed money (most cases pay nothing, some pay a lot), 25,000 cases an arm, a small true difference.
    rng = np.random.default_rng(5)
    arms = []
    for pay in (0.10, 0.11):
        den = rng.integers(1_000, 50_000, 25_000).astype(float)
        num = np.where(rng.random(25_000) < pay, den * rng.uniform(0.2, 1.0, 25_000), 0.0)
        arms.append((num, den))
    delta = readout.bootstrap_ratio(*arms[0])
    delta_diff = readout.bootstrap_ratio_difference(arms[0], arms[1])
    monkeypatch.setattr(readout, "LARGE_SAMPLE", 10**9)  # the bootstrap, 2,000 rounds
    boot = readout.bootstrap_ratio(*arms[0])
    boot_diff = readout.bootstrap_ratio_difference(arms[0], arms[1])
    assert delta and boot and delta_diff and boot_diff
    width = boot[1] - boot[0]
    assert abs(delta[0] - boot[0]) < 0.1 * width and abs(delta[1] - boot[1]) < 0.1 * width
    assert delta_diff[0] == pytest.approx(boot_diff[0])
    diff_width = boot_diff[2] - boot_diff[1]
    assert abs(delta_diff[1] - boot_diff[1]) < 0.1 * diff_width and abs(delta_diff[2] - boot_diff[2]) < 0.1 * diff_width
    # The bootstrap p is itself a 2,000-round estimate (its Monte Carlo error is about 0.02 here).
    assert abs(delta_diff[3] - boot_diff[3]) < 0.06
