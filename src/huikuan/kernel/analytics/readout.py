"""The experiment readout: each arm's figures with 95% intervals, and each challenger against the baseline.

Proportions (promise-kept rate: kept ÷ settled promises; right-party contact rate: RPC ÷ call attempts) get
Wilson score intervals, their difference Newcombe's interval (the hybrid of the two Wilson intervals) and
the two-sided p-value of the pooled two-proportion z-test. Ratios of money (recovery rate: recovered ÷
balance at entry; contacts per 1,000 yuan recovered) get a percentile bootstrap over cases, seeded, so a
readout is the same every time it is computed; from LARGE_SAMPLE cases in an arm on, where the bootstrap
would resample millions of cases thousands of times and the ratio's sampling distribution is normal, the
delta method's interval instead (a test holds the two together at that size). A difference is called
significant when p < 0.05; until then the verdict is "not significant yet" with the cases each arm still
needs to detect the minimum effect (the planted one in a simulation, or the team's choice) with 80% power.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import polars as pl

Z95 = 1.959963984540054
Z80 = 0.8416212335729143
ALPHA = 0.05
NOT_YET = "not significant yet"
SIGNIFICANT = "significant"
PROPORTIONS = {"promise_kept": ("promises_kept", "promises_settled"), "rpc_rate": ("rpc", "attempts")}
RATIOS = {
    "recovery_rate": ("recovered_fen", "balance_fen", 1.0),
    "contacts_per_1000_yuan": ("attempts", "recovered_fen", 100_000.0),
}
READOUT_COLUMNS = ("arm", "balance_fen", "recovered_fen", "promises_settled", "promises_kept", "attempts", "rpc")


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval of a proportion (None for n = 0).

    Worked example: 8 of 10 → centre (8 + 1.92) / 13.84, half-width 1.96 × √(1.6 + 0.96) / 13.84:

    >>> [round(x, 4) for x in wilson(8, 10)]
    [0.4902, 0.9433]
    >>> wilson(0, 0) is None
    True
    """
    if n <= 0:
        return None
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe(s1: int, n1: int, s2: int, n2: int) -> tuple[float, float, float] | None:
    """Difference p2 − p1 with Newcombe's hybrid score interval (method 10).

    >>> [round(x, 4) for x in newcombe(40, 100, 55, 100)]
    [0.15, 0.0117, 0.2804]
    """
    first, second = wilson(s1, n1), wilson(s2, n2)
    if first is None or second is None:
        return None
    p1, p2 = s1 / n1, s2 / n2
    (l1, u1), (l2, u2) = first, second
    difference = p2 - p1
    low = difference - math.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2)
    high = difference + math.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2)
    return difference, low, high


def two_proportion_p(s1: int, n1: int, s2: int, n2: int) -> float | None:
    """Two-sided p-value of the pooled two-proportion z-test.

    >>> round(two_proportion_p(40, 100, 55, 100), 4)  # z = 0.15 / √(0.475 × 0.525 × 0.02) = 2.1239
    0.0337
    """
    if n1 <= 0 or n2 <= 0:
        return None
    pooled = (s1 + s2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return 1.0
    z = (s2 / n2 - s1 / n1) / se
    return math.erfc(abs(z) / math.sqrt(2))


def sample_size(p1: float, effect: float) -> int | None:
    """Cases per arm to detect p1 → p1 + effect (two-sided 5%, power 80%).

    >>> sample_size(0.5, 0.05)  # (1.96 √(2 × 0.2494) + 0.8416 √(0.25 + 0.2475))² / 0.0025
    1565
    """
    p2 = p1 + effect
    if effect == 0 or not 0 < p2 < 1 or not 0 < p1 < 1:
        return None
    mean = (p1 + p2) / 2
    root = Z95 * math.sqrt(2 * mean * (1 - mean)) + Z80 * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    return math.ceil(root * root / (effect * effect))


RESAMPLE_CHUNK = 8_000_000  # indices drawn at once (64 MB): a million cases × 2,000 rounds would be 16 GB


def _resampled(num: np.ndarray, den: np.ndarray, rng: np.random.Generator, rounds: int) -> np.ndarray:
    """The ratio of sums over ``rounds`` resamples of the cases, with replacement.

    The rounds are drawn a block at a time, so memory stays bounded whatever the number of cases; the
    generator is read in the same order as one draw of every round would read it.
    """
    n = len(den)
    block = max(1, RESAMPLE_CHUNK // max(n, 1))
    ratios = np.empty(rounds, dtype=np.float64)
    for start in range(0, rounds, block):
        stop = min(rounds, start + block)
        index = rng.integers(0, n, size=(stop - start, n))
        with np.errstate(divide="ignore", invalid="ignore"):
            ratios[start:stop] = num[index].sum(axis=1) / den[index].sum(axis=1)
    return ratios


LARGE_SAMPLE = 20_000


def delta_ratio(num: np.ndarray, den: np.ndarray) -> tuple[float, float]:
    """A ratio of sums over cases and its standard error by the delta method: R = Σnum ÷ Σden, and
    R̂ − R ≈ Σ(num − R·den) ÷ Σden, so Var(R̂) ≈ n · s²(num − R·den) ÷ (Σden)².

    >>> delta_ratio(np.array([1.0, 3.0]), np.array([2.0, 2.0]))
    (1.0, 0.5)
    """
    total = float(den.sum())
    ratio = float(num.sum()) / total
    residual = num - ratio * den
    return ratio, math.sqrt(len(den) * float(residual.var(ddof=1)) / (total * total))


def bootstrap_ratio(num: np.ndarray, den: np.ndarray, seed: int = 0, rounds: int = 2000) -> tuple[float, float] | None:
    """95% percentile interval of a ratio of sums over cases (None without cases or denominator); the delta
    method's from LARGE_SAMPLE cases on."""
    if len(den) == 0 or den.sum() <= 0:
        return None
    if len(den) >= LARGE_SAMPLE:
        ratio, error = delta_ratio(num, den)
        return ratio - Z95 * error, ratio + Z95 * error
    draws = _resampled(num, den, np.random.default_rng(seed), rounds)
    draws = draws[np.isfinite(draws)]
    low, high = np.percentile(draws, [2.5, 97.5])
    return float(low), float(high)


def bootstrap_ratio_difference(
    baseline: tuple[np.ndarray, np.ndarray], arm: tuple[np.ndarray, np.ndarray], seed: int = 0, rounds: int = 2000
) -> tuple[float, float, float, float] | None:
    """Difference of ratios of sums (arm − baseline) over cases: (difference, 2.5%, 97.5%, two-sided p).

    Cases are resampled with replacement within each arm; p is twice the smaller share of resampled
    differences on either side of zero. From LARGE_SAMPLE cases in each arm on, the delta method's normal
    interval and p instead.
    """
    (bn, bd), (an, ad) = baseline, arm
    if len(bd) == 0 or len(ad) == 0 or bd.sum() <= 0 or ad.sum() <= 0:
        return None
    if len(bd) >= LARGE_SAMPLE and len(ad) >= LARGE_SAMPLE:
        # Independent arms: the variances add; p from the normal distribution of the difference.
        (arm_ratio, arm_error), (base_ratio, base_error) = delta_ratio(an, ad), delta_ratio(bn, bd)
        difference, error = arm_ratio - base_ratio, math.hypot(arm_error, base_error)
        if error == 0:
            return difference, difference, difference, 1.0 if difference == 0 else 0.0
        p = math.erfc(abs(difference) / error / math.sqrt(2))
        return difference, difference - Z95 * error, difference + Z95 * error, p
    rng = np.random.default_rng(seed)
    arm_draws, baseline_draws = _resampled(an, ad, rng, rounds), _resampled(bn, bd, rng, rounds)
    with np.errstate(invalid="ignore"):  # a resample with no denominator is infinite; dropped below
        draws = arm_draws - baseline_draws
    draws = draws[np.isfinite(draws)]
    if draws.size == 0:
        return None
    difference = float(an.sum() / ad.sum() - bn.sum() / bd.sum())
    low, high = np.percentile(draws, [2.5, 97.5])
    p = min(1.0, 2 * min(float((draws <= 0).mean()), float((draws >= 0).mean())))
    return difference, float(low), float(high), p


@dataclass(frozen=True)
class ArmFigure:
    arm: str
    metric: str
    value: float | None
    low: float | None
    high: float | None
    n: int


@dataclass(frozen=True)
class Comparison:
    metric: str
    baseline: str
    arm: str
    difference: float | None
    low: float | None
    high: float | None
    p_value: float | None
    needed_per_arm: int | None
    verdict: str


def _verdict(p: float | None) -> str:
    return SIGNIFICANT if p is not None and p < ALPHA else NOT_YET


def readout(
    cases: pl.DataFrame, baseline: str = "champion", minimum_effect: float | None = None, seed: int = 0
) -> tuple[list[ArmFigure], list[Comparison]]:
    """Figures per arm and comparisons of every other arm with ``baseline``, from one row per case
    (READOUT_COLUMNS: its arm, balance at entry, yuan recovered, promises settled and kept, call attempts
    and right-party contacts). ``minimum_effect`` is on the promise-kept rate (the planted effect)."""
    sums = cases.group_by("arm").agg(pl.col(c).sum() for c in READOUT_COLUMNS[1:]).sort("arm")
    by_arm = {row["arm"]: row for row in sums.iter_rows(named=True)}
    figures: list[ArmFigure] = []
    for arm, row in by_arm.items():
        for metric, (num, den) in PROPORTIONS.items():
            score = wilson(row[num], row[den])
            value = row[num] / row[den] if row[den] else None
            low, high = score if score is not None else (None, None)
            figures.append(ArmFigure(arm, metric, value, low, high, row[den]))
        frame = cases.filter(pl.col("arm") == arm)
        for metric, (num, den, scale) in RATIOS.items():
            value = row[num] / row[den] * scale if row[den] else None
            interval = bootstrap_ratio(*_pair(frame, num, den), seed) if value is not None else None
            low, high = (interval[0] * scale, interval[1] * scale) if interval else (None, None)
            figures.append(ArmFigure(arm, metric, value, low, high, frame.height))
    comparisons: list[Comparison] = []
    if baseline not in by_arm:
        return figures, comparisons
    base = by_arm[baseline]
    for arm, row in by_arm.items():
        if arm == baseline:
            continue
        for metric, (num, den) in PROPORTIONS.items():
            diff = newcombe(base[num], base[den], row[num], row[den])
            p = two_proportion_p(base[num], base[den], row[num], row[den])
            needed = None
            if metric == "promise_kept" and minimum_effect and base[den]:
                needed = sample_size(base[num] / base[den], minimum_effect)
            difference, low, high = diff if diff is not None else (None, None, None)
            comparisons.append(Comparison(metric, baseline, arm, difference, low, high, p, needed, _verdict(p)))
        base_frame, frame = cases.filter(pl.col("arm") == baseline), cases.filter(pl.col("arm") == arm)
        for metric, (num, den, scale) in RATIOS.items():
            boot = bootstrap_ratio_difference(_pair(base_frame, num, den), _pair(frame, num, den), seed)
            if boot is None:
                comparisons.append(Comparison(metric, baseline, arm, None, None, None, None, None, NOT_YET))
                continue
            difference, low, high, p = boot
            comparisons.append(
                Comparison(metric, baseline, arm, difference * scale, low * scale, high * scale, p, None, _verdict(p))
            )
    return figures, comparisons


def _pair(frame: pl.DataFrame, num: str, den: str) -> tuple[np.ndarray, np.ndarray]:
    return (
        frame.get_column(num).cast(pl.Float64).to_numpy(),
        frame.get_column(den).cast(pl.Float64).to_numpy(),
    )
