"""How good a repayment-probability model is: AUC, KS, Brier, calibration, PSI.

Pure NumPy over arrays of outcomes (0/1) and predicted probabilities (or scores: AUC and KS only need the
order). Each function states its definition in its docstring; the tests hold them to hand-computed figures
and to their invariants (AUC of a reversed score is 1 − AUC, PSI of a population against itself is 0).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]

# The usual reading of a PSI (population stability index) in risk teams: < 0.1 stable, 0.1–0.25 watch,
# > 0.25 the population has moved and the model should be looked at.
PSI_WARNING = 0.25
PSI_EPSILON = 1e-4


def _arrays(y: npt.ArrayLike, p: npt.ArrayLike) -> tuple[Array, Array]:
    ya = np.asarray(y, dtype=np.float64)
    pa = np.asarray(p, dtype=np.float64)
    if ya.shape != pa.shape:
        raise ValueError(f"outcomes and predictions differ in length: {ya.shape[0]} and {pa.shape[0]}")
    return ya, pa


def auc(y: npt.ArrayLike, score: npt.ArrayLike) -> float:
    """Area under the ROC curve: the chance that a random payer scores above a random non-payer (ties ½).

    >>> auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    """
    ya, sa = _arrays(y, score)
    positives = int(ya.sum())
    negatives = len(ya) - positives
    if positives == 0 or negatives == 0:
        return float("nan")
    # Mann–Whitney U from the average ranks (ties share their rank).
    order = np.argsort(sa, kind="mergesort")
    ranks = np.empty(len(sa), dtype=np.float64)
    sorted_scores = sa[order]
    _, first, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    average = first + (counts + 1) / 2.0
    ranks[order] = np.repeat(average, counts)
    u = ranks[ya == 1].sum() - positives * (positives + 1) / 2.0
    return float(u / (positives * negatives))


def ks(y: npt.ArrayLike, score: npt.ArrayLike) -> float:
    """Kolmogorov–Smirnov statistic: the largest gap between the payers' and non-payers' score CDFs.

    >>> ks([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.4])
    1.0
    """
    ya, sa = _arrays(y, score)
    positives = ya.sum()
    negatives = len(ya) - positives
    if positives == 0 or negatives == 0:
        return float("nan")
    order = np.argsort(sa, kind="mergesort")
    ys, ss = ya[order], sa[order]
    # Evaluate the CDFs only at the last row of each distinct score, so ties do not open a false gap.
    last = np.r_[ss[1:] != ss[:-1], True]
    cdf_pos = np.cumsum(ys)[last] / positives
    cdf_neg = np.cumsum(1 - ys)[last] / negatives
    return float(np.max(np.abs(cdf_pos - cdf_neg)))


def brier(y: npt.ArrayLike, p: npt.ArrayLike) -> float:
    """Mean squared error of the probabilities.

    >>> brier([0, 1], [0.2, 0.6])
    0.1
    """
    ya, pa = _arrays(y, p)
    return float(np.mean((pa - ya) ** 2))


@dataclass(frozen=True, slots=True)
class CalibrationRow:
    low: float
    high: float
    count: int
    predicted: float
    observed: float


def calibration_table(y: npt.ArrayLike, p: npt.ArrayLike, bins: int = 10) -> list[CalibrationRow]:
    """Equal-count groups of the predictions (deciles by default): mean predicted against observed rate."""
    ya, pa = _arrays(y, p)
    if len(ya) == 0:
        return []
    order = np.argsort(pa, kind="mergesort")
    rows = []
    for part in np.array_split(order, min(bins, len(order))):
        if len(part) == 0:
            continue
        rows.append(
            CalibrationRow(
                low=float(pa[part].min()),
                high=float(pa[part].max()),
                count=len(part),
                predicted=float(pa[part].mean()),
                observed=float(ya[part].mean()),
            )
        )
    return rows


def calibration_error(y: npt.ArrayLike, p: npt.ArrayLike, bins: int = 10) -> float:
    """Expected calibration error: the count-weighted mean |predicted − observed| over the groups.

    >>> calibration_error([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5], bins=1)
    0.0
    """
    table = calibration_table(y, p, bins)
    total = sum(r.count for r in table)
    return float(sum(r.count * abs(r.predicted - r.observed) for r in table) / total) if total else float("nan")


def psi_from_shares(expected: Array, actual: Array) -> float:
    """PSI = Σ (a − e) · ln(a / e) over bins of two distributions (shares summing to 1).

    Empty bins are floored at a tiny share so a bin that empties out counts heavily instead of dividing by 0.

    >>> round(psi_from_shares(np.array([0.5, 0.5]), np.array([0.5, 0.5])), 6)
    0.0
    """
    e = np.maximum(np.asarray(expected, dtype=np.float64), PSI_EPSILON)
    a = np.maximum(np.asarray(actual, dtype=np.float64), PSI_EPSILON)
    return float(np.sum((a - e) * np.log(a / e)))


def score_edges(reference: npt.ArrayLike, bins: int = 10) -> Array:
    """Inner cut points of a reference distribution (its deciles), shared by both populations of a PSI."""
    ref = np.asarray(reference, dtype=np.float64)
    ref = ref[~np.isnan(ref)]
    if len(ref) == 0:
        return np.array([], dtype=np.float64)
    return np.unique(np.quantile(ref, np.linspace(0, 1, bins + 1)[1:-1]))


def shares(values: npt.ArrayLike, edges: Array) -> Array:
    """Share of values in each bin cut at ``edges``, with missing values (NaN) as a last bin of their own."""
    v = np.asarray(values, dtype=np.float64)
    if len(v) == 0:
        return np.zeros(len(edges) + 2)
    missing = np.isnan(v)
    counts = np.bincount(np.searchsorted(edges, v[~missing], side="right"), minlength=len(edges) + 1)
    return np.r_[counts, missing.sum()].astype(np.float64) / len(v)


def psi(reference: npt.ArrayLike, current: npt.ArrayLike, bins: int = 10) -> float:
    """PSI of a numeric column: the reference's deciles, missing values as a bin of their own."""
    edges = score_edges(reference, bins)
    return psi_from_shares(shares(reference, edges), shares(current, edges))
