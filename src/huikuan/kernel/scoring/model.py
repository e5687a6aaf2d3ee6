"""The two model kinds, their training, scoring, reason codes and their one file format.

*Scorecard* (C卡): each feature binned (``binning``), its bins replaced by their WOE, a logistic regression
over the WOE columns; features that carry next to no information (IV < 0.02) are left out, and so is a
feature whose coefficient comes out negative (a collinear feature would otherwise give points that run
against its own bins), one at a time until none is. Points are scaled so that ``BASE_SCORE`` (600) is even
odds of paying and every ``PDO`` (20) points double the odds: score = offset + factor · log-odds with
factor = PDO / ln 2 and offset = BASE_SCORE − factor · ln(BASE_ODDS); a bin's points are
factor · coefficient · WOE plus an equal share of offset + factor · intercept, so the points of a case's
bins add up to its score.

*GBM*: LightGBM over the numbers as they are (missing as missing) and the categories as codes, stopped
early on the validation split. Its score uses the same scaling of its raw log-odds.

Both are calibrated (``calibration.choose``) on the validation split; the probability the system uses is
the calibrated one, the score is the raw one's points (what a scorecard reader adds up).

Reason codes: for a scorecard, each feature's points for the case minus the feature's average points over
the training rows; for the GBM, the feature's SHAP contribution to the log-odds times the same factor.
The most negative ones are what held the case's score down.

The file is JSON (no pickle: loading a file must not run code), with its format, kind, features and a
fingerprint of the feature set; ``load`` refuses a file whose fingerprint does not match its features,
and ``check_features`` refuses a frame that lacks one.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from typing import Any

import lightgbm as lgb
import numpy as np
import numpy.typing as npt
import polars as pl
from sklearn.linear_model import LogisticRegression

from huikuan.kernel.scoring import metrics
from huikuan.kernel.scoring.bands import BANDS
from huikuan.kernel.scoring.binning import Binning, bin_categorical, bin_numeric
from huikuan.kernel.scoring.calibration import Calibrator, choose
from huikuan.kernel.scoring.table import (
    CATEGORICAL,
    NUMERIC,
    Feature,
    ScoringError,
    check_classes,
    check_features,
    numeric_array,
    text_values,
)

Array = npt.NDArray[np.float64]
FORMAT = "huikuan-scoring/1"
SCORECARD, GBM = "scorecard", "gbm"
KINDS = (SCORECARD, GBM)
BASE_SCORE, BASE_ODDS, PDO = 600.0, 1.0, 20.0
FACTOR = PDO / math.log(2)
OFFSET = BASE_SCORE - FACTOR * math.log(BASE_ODDS)
MIN_IV = 0.02
MAX_CATEGORIES = 64


def band(probability: Array) -> npt.NDArray[np.str_]:
    out = np.full(len(probability), "E", dtype="<U1")
    for key, low in reversed(BANDS):
        out[probability >= low] = key
    return out


def fingerprint(features: list[Feature]) -> str:
    text = "\n".join(f"{f.name}\t{f.kind}" for f in features)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class ScoringModel:
    kind: str
    features: list[Feature]
    calibrator: Calibrator
    binnings: dict[str, Binning] = field(default_factory=dict)
    coefficients: dict[str, float] = field(default_factory=dict)
    intercept: float = 0.0
    mean_points: dict[str, float] = field(default_factory=dict)
    booster: lgb.Booster | None = None
    categories: dict[str, list[str]] = field(default_factory=dict)
    mean_contribution: dict[str, float] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)

    # --- scoring -------------------------------------------------------------------------------------
    def raw(self, frame: pl.DataFrame) -> Array:
        """Uncalibrated log-odds of paying."""
        check_features(frame, self.features)
        if self.kind == SCORECARD:
            total = np.full(frame.height, self.intercept)
            for name, coef in self.coefficients.items():
                total += coef * self.binnings[name].transform(self._values(frame, name))
            return total
        assert self.booster is not None
        return np.asarray(self.booster.predict(self.matrix(frame), raw_score=True), dtype=np.float64)

    def probability(self, frame: pl.DataFrame) -> Array:
        return self.calibrator.probability(self.raw(frame))

    def score(self, raw: Array) -> Array:
        return OFFSET + FACTOR * raw

    def _values(self, frame: pl.DataFrame, name: str) -> Any:
        kind = next(f.kind for f in self.features if f.name == name)
        return numeric_array(frame, name) if kind == NUMERIC else text_values(frame, name)

    def matrix(self, frame: pl.DataFrame) -> Array:
        """The GBM's input: numbers as they are, categories as their training codes (unseen: missing)."""
        columns = []
        for f in self.features:
            if f.kind == NUMERIC:
                columns.append(numeric_array(frame, f.name))
            else:
                codes = {v: float(i) for i, v in enumerate(self.categories[f.name])}
                column = frame.get_column(f.name).cast(pl.Utf8)
                columns.append(
                    column.replace_strict(codes, default=None, return_dtype=pl.Float64).to_numpy().astype(np.float64)
                )
        return np.column_stack(columns) if columns else np.empty((frame.height, 0))

    def contributions(self, frame: pl.DataFrame) -> tuple[list[str], Array]:
        """Per row and feature, points against the training average (negative: held the score down)."""
        if self.kind == SCORECARD:
            names = list(self.coefficients)
            table = np.column_stack(
                [
                    FACTOR * self.coefficients[n] * self.binnings[n].transform(self._values(frame, n))
                    - self.mean_points[n]
                    for n in names
                ]
            )
            return names, table
        assert self.booster is not None
        shap = np.asarray(self.booster.predict(self.matrix(frame), pred_contrib=True, num_threads=1), dtype=np.float64)[
            :, :-1
        ]
        names = [f.name for f in self.features]
        means = np.array([self.mean_contribution.get(n, 0.0) for n in names])
        return names, FACTOR * (shap - means)

    def points_table(self) -> list[dict[str, Any]]:
        """The scorecard's attributes and their points (empty for a GBM)."""
        rows: list[dict[str, Any]] = []
        share = (OFFSET + FACTOR * self.intercept) / max(len(self.coefficients), 1)
        for name, coef in self.coefficients.items():
            b = self.binnings[name]
            bins = [*b.bins, *([b.missing] if b.missing else [])]
            for item in bins:
                rows.append(
                    {
                        "feature": name,
                        "attribute": item.label,
                        "count": item.count,
                        "rate": round(item.rate, 4),
                        "woe": round(item.woe, 4),
                        "points": round(FACTOR * coef * item.woe + share, 1),
                    }
                )
        return rows

    # --- the file ------------------------------------------------------------------------------------
    def to_json(self) -> str:
        data: dict[str, Any] = {
            "format": FORMAT,
            "kind": self.kind,
            "features": [[f.name, f.kind] for f in self.features],
            "fingerprint": fingerprint(self.features),
            "calibrator": self.calibrator.to_dict(),
            "scaling": {"base_score": BASE_SCORE, "base_odds": BASE_ODDS, "pdo": PDO},
            "info": self.info,
        }
        if self.kind == SCORECARD:
            data |= {
                "binnings": {n: b.to_dict() for n, b in self.binnings.items()},
                "coefficients": self.coefficients,
                "intercept": self.intercept,
                "mean_points": self.mean_points,
            }
        else:
            assert self.booster is not None
            data |= {
                "booster": self.booster.model_to_string(),
                "categories": self.categories,
                "mean_contribution": self.mean_contribution,
            }
        return json.dumps(data, ensure_ascii=False, sort_keys=True)


def load(text: str | bytes) -> ScoringModel:
    """A model from its file; a file of another format, kind or feature set is refused."""
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ScoringError(f"not a scoring model file: {exc}") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ScoringError(f"not a scoring model file of format {FORMAT}")
    if data.get("kind") not in KINDS:
        raise ScoringError(f"unknown model kind {data.get('kind')!r}")
    features = [Feature(str(n), str(k)) for n, k in data["features"]]
    if data.get("fingerprint") != fingerprint(features):
        raise ScoringError("the model file's feature set does not match its fingerprint: refused")
    model = ScoringModel(data["kind"], features, Calibrator.from_dict(data["calibrator"]), info=data.get("info", {}))
    names = {f.name for f in features}
    if model.kind == SCORECARD:
        model.binnings = {n: Binning.from_dict(b) for n, b in data["binnings"].items()}
        model.coefficients = {n: float(c) for n, c in data["coefficients"].items()}
        model.intercept = float(data["intercept"])
        model.mean_points = {n: float(c) for n, c in data["mean_points"].items()}
        if not set(model.coefficients) <= names or set(model.binnings) != set(model.coefficients):
            raise ScoringError("the scorecard's attributes name features outside its feature set: refused")
    else:
        model.booster = lgb.Booster(model_str=data["booster"])
        model.categories = data["categories"]
        model.mean_contribution = data.get("mean_contribution", {})
        if model.booster.feature_name() != [_safe_name(i) for i in range(len(features))]:
            raise ScoringError("the GBM's trees were grown on another feature set: refused")
    return model


def _safe_name(i: int) -> str:
    # LightGBM rejects some characters in feature names (JSON specials); the trees name positions.
    return f"f{i}"


# --- training ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Split:
    """Row indices: fit on ``train``, stop early and calibrate on ``valid``, report on ``test``."""

    train: npt.NDArray[np.int64]
    valid: npt.NDArray[np.int64]
    test: npt.NDArray[np.int64]


def random_split(rows: int, seed: int = 0, valid: float = 0.2, test: float = 0.0) -> Split:
    order = np.random.default_rng(seed).permutation(rows)
    n_valid, n_test = int(rows * valid), int(rows * test)
    return Split(
        np.sort(order[n_valid + n_test :]), np.sort(order[:n_valid]), np.sort(order[n_valid : n_valid + n_test])
    )


def train(
    frame: pl.DataFrame,
    y: Array,
    features: list[Feature],
    kind: str,
    split: Split,
    *,
    drop_constant: bool = False,
    seed: int = 0,
) -> ScoringModel:
    """Fit a model of ``kind``; bad input raises ScoringError before anything is fitted."""
    if kind not in KINDS:
        raise ScoringError(f"the model kind is one of {', '.join(KINDS)}, not {kind!r}")
    check_features(frame, features)
    if not features:
        raise ScoringError("no usable feature: every column is the target, an identifier, empty or constant")
    check_classes(y[split.train])
    check_classes(y[split.valid], minimum=5)
    train_frame = frame[split.train]
    constant = [f.name for f in features if train_frame.get_column(f.name).drop_nulls().n_unique() <= 1]
    if constant and not drop_constant:
        raise ScoringError(
            f"constant in the training rows, so no evidence: {', '.join(constant)}"
            " (leave it out, or drop constant features)"
        )
    features = [f for f in features if f.name not in constant]
    if not features:
        raise ScoringError("every feature is constant in the training rows")
    model = (
        _fit_scorecard(frame, y, features, split) if kind == SCORECARD else _fit_gbm(frame, y, features, split, seed)
    )
    raw_valid = model.raw(frame[split.valid])
    model.calibrator, held_out = choose(raw_valid, y[split.valid], seed)
    model.info["calibration_brier"] = held_out
    model.info["dropped_constant"] = constant
    return model


def _fit_scorecard(frame: pl.DataFrame, y: Array, features: list[Feature], split: Split) -> ScoringModel:
    part = frame[split.train]
    yt = y[split.train]
    binnings: dict[str, Binning] = {}
    for f in features:
        if f.kind == NUMERIC:
            binnings[f.name] = bin_numeric(f.name, numeric_array(part, f.name), yt)
        else:
            binnings[f.name] = bin_categorical(f.name, text_values(part, f.name), yt)
    model = ScoringModel(SCORECARD, features, Calibrator("platt"), binnings=binnings)
    chosen = [n for n, b in binnings.items() if b.iv >= MIN_IV and len(b.bins) + (b.missing is not None) > 1]
    if not chosen:
        # Nothing informative: keep the single best feature so the card still orders the cases.
        chosen = [max(binnings, key=lambda n: binnings[n].iv)]
    woe = {n: binnings[n].transform(model._values(part, n)) for n in chosen}
    while True:
        lr = LogisticRegression(C=1.0, max_iter=500)
        lr.fit(np.column_stack([woe[n] for n in chosen]), yt.astype(int))
        coefs = dict(zip(chosen, lr.coef_[0].tolist(), strict=True))
        negative = [n for n in chosen if coefs[n] < 0]
        if not negative or len(chosen) == 1:
            break
        chosen.remove(min(negative, key=lambda n: coefs[n]))
    model.coefficients = {n: max(coefs[n], 0.0) for n in chosen}
    model.intercept = float(lr.intercept_[0])
    model.mean_points = {n: float(FACTOR * model.coefficients[n] * woe[n].mean()) for n in chosen}
    model.info["iv"] = {n: round(b.iv, 4) for n, b in binnings.items()}
    # The card keeps the bins of the features it uses; the others' information values stay in the report.
    model.binnings = {n: binnings[n] for n in chosen}
    return model


def _fit_gbm(frame: pl.DataFrame, y: Array, features: list[Feature], split: Split, seed: int) -> ScoringModel:
    part = frame[split.train]
    categories: dict[str, list[str]] = {}
    for f in features:
        if f.kind == CATEGORICAL:
            counts = part.get_column(f.name).cast(pl.Utf8).drop_nulls().value_counts(sort=True)
            categories[f.name] = counts.get_column(f.name).head(MAX_CATEGORIES).sort().to_list()
    model = ScoringModel(GBM, features, Calibrator("platt"), categories=categories)
    rows = len(split.train)
    params = {
        "objective": "binary",
        # Leaves of at least 0.2% of the rows (50 at least): the same debtor appears on many snapshot days,
        # and smaller leaves learn who they are instead of how people pay.
        "learning_rate": 0.06,
        "num_leaves": 15,
        "min_data_in_leaf": max(50, rows // 500),
        "feature_fraction": 0.8,
        "bagging_fraction": 0.8,
        "bagging_freq": 1,
        "lambda_l2": 5.0,
        "max_bin": 127,
        "cat_smooth": 10,
        # One thread: on a shared machine OpenMP's waiting threads made two threads twenty times slower
        # than one (measured: 27.7 s against 1.4 s for 9,000 rows at a load of 12).
        "num_threads": 1,
        "seed": seed,
        "deterministic": True,
        "verbose": -1,
    }
    categorical = [i for i, f in enumerate(features) if f.kind == CATEGORICAL]
    names = [_safe_name(i) for i in range(len(features))]
    train_set = lgb.Dataset(
        model.matrix(part),
        label=y[split.train],
        feature_name=names,
        categorical_feature=categorical,
        free_raw_data=True,
    )
    valid_set = lgb.Dataset(model.matrix(frame[split.valid]), label=y[split.valid], reference=train_set)
    model.booster = lgb.train(
        params,
        train_set,
        num_boost_round=300,
        valid_sets=[valid_set],
        callbacks=[lgb.early_stopping(30, verbose=False)],
    )
    # SHAP values cost about a millisecond a row: the training average comes from a sample.
    sample = part if part.height <= 5_000 else part.sample(5_000, seed=seed)
    shap = np.asarray(model.booster.predict(model.matrix(sample), pred_contrib=True, num_threads=1), dtype=np.float64)[
        :, :-1
    ]
    model.mean_contribution = {f.name: float(v) for f, v in zip(features, shap.mean(axis=0), strict=True)}
    model.info["importance"] = {
        f.name: float(v)
        for f, v in zip(features, model.booster.feature_importance(importance_type="gain"), strict=True)
    }
    return model


# --- evaluation --------------------------------------------------------------------------------------
def evaluate(model: ScoringModel, frame: pl.DataFrame, y: Array) -> dict[str, Any]:
    # The ranking figures on the raw log-odds (isotonic calibration ties neighbours), the rest calibrated.
    raw = model.raw(frame)
    p = model.calibrator.probability(raw)
    return {
        "rows": len(y),
        "auc": metrics.auc(y, raw),
        "ks": metrics.ks(y, raw),
        "brier": metrics.brier(y, p),
        "calibration_error": metrics.calibration_error(y, p),
        "rate": float(np.mean(y)) if len(y) else float("nan"),
    }
