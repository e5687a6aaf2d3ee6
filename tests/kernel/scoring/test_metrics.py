"""AUC, KS, Brier, calibration and PSI against hand-worked figures and their invariants."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from huikuan.kernel.scoring import metrics

outcomes_and_scores = st.integers(4, 60).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 1), min_size=n, max_size=n).filter(lambda y: 0 < sum(y) < len(y)),
        st.lists(st.floats(0, 1, allow_nan=False), min_size=n, max_size=n),
    )
)


def test_auc_counts_the_pairs_a_payer_wins_with_ties_as_half() -> None:
    # Payers 0.35, 0.8 against non-payers 0.1, 0.4: 0.35 beats 0.1 only, 0.8 beats both → 3 of 4 pairs.
    assert metrics.auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75
    assert metrics.auc([0, 1], [0.5, 0.5]) == 0.5


def test_ks_is_the_widest_gap_between_the_two_cumulative_distributions() -> None:
    # Sorted: 0(n) 0.2(p) 0.3(n) 0.9(p): after 0.3 the non-payers' CDF is 1, the payers' 0.5 → 0.5.
    assert metrics.ks([0, 1, 0, 1], [0.0, 0.2, 0.3, 0.9]) == 0.5


def test_brier_and_calibration_error_by_hand() -> None:
    assert math.isclose(metrics.brier([0, 1, 1], [0.1, 0.7, 1.0]), (0.01 + 0.09 + 0.0) / 3)
    # One group: mean prediction 0.5 against an observed rate 0.25.
    assert math.isclose(metrics.calibration_error([1, 0, 0, 0], [0.5, 0.5, 0.5, 0.5], bins=1), 0.25)


def test_psi_by_hand_and_of_a_population_against_itself() -> None:
    # (0.3 − 0.5)·ln(0.3/0.5) + (0.7 − 0.5)·ln(0.7/0.5)
    expected = -0.2 * math.log(0.6) + 0.2 * math.log(1.4)
    assert math.isclose(metrics.psi_from_shares(np.array([0.5, 0.5]), np.array([0.3, 0.7])), expected)
    values = np.random.default_rng(3).normal(size=2000)
    assert metrics.psi(values, values) == 0.0
    assert metrics.psi(values, values + 1.0) > 0.25


@settings(max_examples=60, deadline=None)
@given(outcomes_and_scores)
def test_reversing_the_score_mirrors_auc_and_keeps_ks(data: tuple[list[int], list[float]]) -> None:
    y, s = data
    a = metrics.auc(y, s)
    assert 0.0 <= a <= 1.0
    assert math.isclose(metrics.auc(y, [-v for v in s]), 1 - a, abs_tol=1e-12)
    assert math.isclose(metrics.ks(y, [-v for v in s]), metrics.ks(y, s), abs_tol=1e-12)
    # Scaling (exact in binary) keeps the order, so the ranking figures stay.
    assert math.isclose(metrics.auc(y, [v * 4 for v in s]), a, abs_tol=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-5, 5, allow_nan=False), min_size=20, max_size=200), st.floats(0.1, 3))
def test_psi_is_never_negative(values: list[float], shift: float) -> None:
    v = np.array(values)
    assert metrics.psi(v, v * shift) >= 0.0
