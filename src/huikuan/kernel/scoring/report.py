"""A model's validation report as plain data: the same dict is the page, the JSON and the XLSX.

Sections: the split (rows and payers' rate per part), metrics on the test part (AUC, KS, Brier, calibration
error), the calibration table (deciles of the calibrated probability), the score distribution (20-point
bands of the training, test and latest populations), PSI of the score and of each feature between the
training rows and the latest population, the scorecard's points table, the calibration choice.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from huikuan.kernel.scoring import metrics
from huikuan.kernel.scoring.model import ScoringModel, evaluate
from huikuan.kernel.scoring.table import NUMERIC, numeric_array

Array = npt.NDArray[np.float64]
SCORE_STEP = 20


def clean(value: Any) -> Any:
    """NaN and infinities as None, so the report is valid JSON."""
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else round(value, 6)
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    return value


def feature_psi(model: ScoringModel, reference: pl.DataFrame, current: pl.DataFrame) -> dict[str, float]:
    """PSI of each feature: deciles for numbers (missing apart), the categories' shares for text."""
    out: dict[str, float] = {}
    for f in model.features:
        if f.kind == NUMERIC:
            out[f.name] = metrics.psi(numeric_array(reference, f.name), numeric_array(current, f.name))
        else:
            ref = reference.get_column(f.name).cast(pl.Utf8).fill_null("(missing)")
            cur = current.get_column(f.name).cast(pl.Utf8).fill_null("(missing)")
            values = sorted(set(ref.unique().to_list()) | set(cur.unique().to_list()))
            ref_counts = dict(ref.value_counts().iter_rows())
            cur_counts = dict(cur.value_counts().iter_rows())
            e = np.array([ref_counts.get(v, 0) for v in values], dtype=np.float64) / max(ref.len(), 1)
            a = np.array([cur_counts.get(v, 0) for v in values], dtype=np.float64) / max(cur.len(), 1)
            out[f.name] = metrics.psi_from_shares(e, a)
    return out


def score_bands(scores: Array, low: float, high: float) -> list[dict[str, Any]]:
    edges = np.arange(low, high + SCORE_STEP, SCORE_STEP)
    counts = np.bincount(
        np.clip(np.searchsorted(edges, scores, side="right") - 1, 0, len(edges) - 1), minlength=len(edges)
    )
    total = max(len(scores), 1)
    return [{"from": int(e), "count": int(c), "share": float(c) / total} for e, c in zip(edges, counts, strict=True)]


def build(
    model: ScoringModel,
    frames: dict[str, pl.DataFrame],
    targets: dict[str, Array],
    latest: pl.DataFrame | None,
) -> dict[str, Any]:
    """``frames``/``targets``: the train, valid and test parts. ``latest``: the population scored now."""
    test = frames["test"]
    y_test = targets["test"]
    raw_test = model.raw(test)
    p_test = model.calibrator.probability(raw_test)
    train_scores = model.score(model.raw(frames["train"]))
    test_scores = model.score(raw_test)
    latest_scores = model.score(model.raw(latest)) if latest is not None and latest.height else np.array([])
    every = np.r_[train_scores, test_scores, latest_scores]
    low = float(np.floor(np.percentile(every, 1) / SCORE_STEP) * SCORE_STEP)
    high = float(np.ceil(np.percentile(every, 99) / SCORE_STEP) * SCORE_STEP)
    edges = metrics.score_edges(train_scores)
    report: dict[str, Any] = {
        "kind": model.kind,
        "split": {
            part: {"rows": len(targets[part]), "rate": float(np.mean(targets[part])) if len(targets[part]) else None}
            for part in ("train", "valid", "test")
        },
        "metrics": evaluate(model, test, y_test),
        "calibration": {
            "method": model.calibrator.method,
            "held_out_brier": model.info.get("calibration_brier", {}),
            "table": [_row(r) for r in metrics.calibration_table(y_test, p_test)],
        },
        "score_distribution": {
            "train": score_bands(train_scores, low, high),
            "test": score_bands(test_scores, low, high),
            "latest": score_bands(latest_scores, low, high) if len(latest_scores) else [],
        },
        # The reference the nightly PSI compares tonight's scores with: the training rows' deciles.
        "score_reference": {"edges": edges.tolist(), "shares": metrics.shares(train_scores, edges).tolist()},
        "psi": None,
        "feature_psi": {},
        "points": model.points_table(),
        "features": [[f.name, f.kind] for f in model.features],
        "iv": model.info.get("iv", {}),
        "importance": model.info.get("importance", {}),
        "dropped_constant": model.info.get("dropped_constant", []),
    }
    if latest is not None and latest.height:
        report["psi"] = metrics.psi_from_shares(
            np.asarray(report["score_reference"]["shares"]), metrics.shares(latest_scores, edges)
        )
        report["feature_psi"] = feature_psi(model, frames["train"], latest)
    return clean(report)


def _row(row: metrics.CalibrationRow) -> dict[str, Any]:
    return {"low": row.low, "high": row.high, "count": row.count, "predicted": row.predicted, "observed": row.observed}


def tonight_psi(reference: dict[str, Any], scores: Array) -> float:
    """PSI of tonight's scores against the training reference stored in the report."""
    edges = np.asarray(reference["edges"], dtype=np.float64)
    return metrics.psi_from_shares(np.asarray(reference["shares"], dtype=np.float64), metrics.shares(scores, edges))
