"""Calibration: turning a model's raw log-odds into probabilities that mean what they say.

Two methods, chosen on the validation split: Platt (a logistic curve over the raw log-odds, two numbers,
smooth, good when the model's ranking is already close to a logistic shape) and isotonic (a monotonic step
function, flexible, needs more rows). Each is fitted on one half of the validation rows and judged by the
Brier score on the other half, both ways round; the lower mean wins and is refitted on all of them. Judging
on the rows a method was fitted on would always crown isotonic, which can follow noise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from huikuan.kernel.scoring.metrics import brier

Array = npt.NDArray[np.float64]
PLATT, ISOTONIC = "platt", "isotonic"


def sigmoid(x: Array) -> Array:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -40, 40)))


@dataclass(frozen=True)
class Calibrator:
    method: str
    # Platt: [slope, intercept]; isotonic: the step function's knots.
    a: float = 1.0
    b: float = 0.0
    xs: tuple[float, ...] = ()
    ys: tuple[float, ...] = ()

    def probability(self, raw: Array) -> Array:
        if self.method == PLATT:
            return sigmoid(self.a * raw + self.b)
        return np.interp(raw, np.asarray(self.xs), np.asarray(self.ys))

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "a": self.a, "b": self.b, "xs": list(self.xs), "ys": list(self.ys)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Calibrator:
        if data.get("method") not in (PLATT, ISOTONIC):
            raise ValueError(f"unknown calibration method {data.get('method')!r}")
        return cls(data["method"], float(data["a"]), float(data["b"]), tuple(data["xs"]), tuple(data["ys"]))


def fit_platt(raw: Array, y: Array) -> Calibrator:
    model = LogisticRegression(C=1e6, max_iter=1000)
    model.fit(raw.reshape(-1, 1), y.astype(int))
    return Calibrator(PLATT, a=float(model.coef_[0][0]), b=float(model.intercept_[0]))


def fit_isotonic(raw: Array, y: Array) -> Calibrator:
    model = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0)
    model.fit(raw, y)
    return Calibrator(
        ISOTONIC, xs=tuple(float(v) for v in model.X_thresholds_), ys=tuple(float(v) for v in model.y_thresholds_)
    )


FITTERS = {PLATT: fit_platt, ISOTONIC: fit_isotonic}


def choose(raw: npt.ArrayLike, y: npt.ArrayLike, seed: int = 0) -> tuple[Calibrator, dict[str, float]]:
    """The better of Platt and isotonic on the validation rows (two-fold), refitted on all of them.

    Returns the calibrator and each method's held-out Brier score.
    """
    r = np.asarray(raw, dtype=np.float64)
    t = np.asarray(y, dtype=np.float64)
    order = np.random.default_rng(seed).permutation(len(r))
    halves = np.array_split(order, 2)
    scores: dict[str, float] = {}
    for method, fit in FITTERS.items():
        errors = []
        for fit_rows, test_rows in ((halves[0], halves[1]), (halves[1], halves[0])):
            if len(np.unique(t[fit_rows])) < 2 or len(test_rows) == 0:
                continue
            errors.append(brier(t[test_rows], fit(r[fit_rows], t[fit_rows]).probability(r[test_rows])))
        scores[method] = float(np.mean(errors)) if errors else float("inf")
    best = min(scores, key=lambda m: (scores[m], m != PLATT))
    return FITTERS[best](r, t), scores
