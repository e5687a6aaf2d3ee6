"""The two model kinds on a known relation: they rank, they calibrate, their file round-trips, bad input is refused."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest

from huikuan.kernel.scoring import model as km
from huikuan.kernel.scoring.calibration import ISOTONIC, PLATT, choose
from huikuan.kernel.scoring.metrics import calibration_error
from huikuan.kernel.scoring.table import (
    CATEGORICAL,
    NUMERIC,
    Feature,
    ScoringError,
    infer_features,
    target_array,
)


def credit_table(n: int = 6000, seed: int = 4) -> pl.DataFrame:
    """A credit-like table: an id, a number with gaps, a number written as text, a category, a constant."""
    rng = np.random.default_rng(seed)
    income = rng.lognormal(8, 0.5, n)
    debt = rng.uniform(0, 1, n)
    region = rng.choice(["north", "south", "east", "west"], n)
    logit = -0.5 + 0.8 * (np.log(income) - 8) / 0.5 - 1.5 * debt + np.where(region == "south", 0.7, 0.0)
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int)
    income_with_gaps = np.where(rng.uniform(size=n) < 0.1, np.nan, income)
    return pl.DataFrame(
        {
            "customer_id": np.arange(1, n + 1),
            "income": income_with_gaps,
            "debt_ratio": [f"{v:,.4f}" for v in debt],
            "region": region,
            "country": ["CN"] * n,
            "paid": y,
        }
    )


@pytest.mark.parametrize("kind", km.KINDS)
def test_a_model_ranks_calibrates_and_survives_its_file(kind: str) -> None:
    frame, features, dropped = infer_features(credit_table(), "paid")
    assert dropped == {"customer_id": "identifier", "country": "constant"}
    assert {f.name: f.kind for f in features} == {"income": NUMERIC, "debt_ratio": NUMERIC, "region": CATEGORICAL}
    y = target_array(frame, "paid")
    split = km.random_split(frame.height, seed=1, valid=0.25, test=0.25)
    model = km.train(frame, y, features, kind, split)
    test = frame[split.test]
    figures = km.evaluate(model, test, y[split.test])
    assert figures["auc"] > 0.7 and figures["calibration_error"] < 0.05
    again = km.load(model.to_json())
    assert np.allclose(again.probability(test), model.probability(test))
    names, points = again.contributions(test.head(5))
    assert points.shape == (5, len(names))
    if kind == km.SCORECARD:
        # The points of a case's attributes add up to its score.
        table = {(r["feature"], r["attribute"]): r["points"] for r in model.points_table()}
        assert {f for f, _ in table} == set(model.coefficients)
        row = test.head(1)
        total = sum(
            km.FACTOR * c * model.binnings[n].transform(model._values(row, n))[0] for n, c in model.coefficients.items()
        )
        assert np.isclose(model.score(model.raw(row))[0], total + km.OFFSET + km.FACTOR * model.intercept)


def test_a_score_doubles_the_odds_every_20_points_from_600_at_even_odds() -> None:
    assert km.OFFSET == 600.0
    raw = np.array([0.0, np.log(2), np.log(4)])
    assert np.allclose(
        km.ScoringModel(km.SCORECARD, [], choose(raw, np.array([0, 1, 1]))[0]).score(raw), [600, 620, 640]
    )


def test_calibration_picks_the_method_with_the_lower_held_out_brier() -> None:
    rng = np.random.default_rng(5)
    raw = rng.normal(size=4000)
    # A logistic truth: Platt's own shape.
    y = (rng.uniform(size=4000) < 1 / (1 + np.exp(-(0.7 * raw - 0.3)))).astype(float)
    calibrator, scores = choose(raw, y)
    assert calibrator.method == min(scores, key=lambda m: scores[m]) and set(scores) == {PLATT, ISOTONIC}
    # A step truth: isotonic's shape.
    y_step = (rng.uniform(size=4000) < np.where(raw > 0.5, 0.8, 0.1)).astype(float)
    step, step_scores = choose(raw, y_step)
    assert step.method == ISOTONIC and step_scores[ISOTONIC] < step_scores[PLATT]
    assert calibration_error(y_step, step.probability(raw)) < 0.03


def test_a_target_that_is_not_zero_or_one_is_refused_with_the_row() -> None:
    frame = pl.DataFrame({"x": [1, 2, 3], "y": [0, 2, 1]})
    with pytest.raises(ScoringError, match=r"row 2 has 2"):
        target_array(frame, "y")
    with pytest.raises(ScoringError, match="not in the file"):
        target_array(frame, "bad")


def test_too_few_payers_or_non_payers_are_refused() -> None:
    frame, features, _ = infer_features(credit_table(400), "paid")
    y = np.zeros(frame.height)
    y[:10] = 1
    with pytest.raises(ScoringError, match="too few of one outcome"):
        km.train(frame, y, features, km.GBM, km.random_split(frame.height))


def test_a_constant_feature_is_refused_unless_left_out_on_purpose() -> None:
    frame = credit_table(2000)
    y = target_array(frame, "paid")
    features = [Feature("income", NUMERIC), Feature("country", CATEGORICAL)]
    split = km.random_split(frame.height)
    with pytest.raises(ScoringError, match="constant in the training rows, so no evidence: country"):
        km.train(frame, y, features, km.SCORECARD, split)
    model = km.train(frame, y, features, km.SCORECARD, split, drop_constant=True)
    assert [f.name for f in model.features] == ["income"] and model.info["dropped_constant"] == ["country"]


def test_a_feature_missing_at_scoring_and_a_file_of_another_feature_set_are_refused() -> None:
    frame, features, _ = infer_features(credit_table(2000), "paid")
    model = km.train(frame, target_array(frame, "paid"), features, km.GBM, km.random_split(frame.height))
    with pytest.raises(ScoringError, match="features missing from the input: region"):
        model.probability(frame.drop("region"))
    data = json.loads(model.to_json())
    data["features"][0][0] = "salary"
    with pytest.raises(ScoringError, match="does not match its fingerprint"):
        km.load(json.dumps(data))
    data["fingerprint"] = km.fingerprint([Feature(n, k) for n, k in data["features"]])
    data["features"] = data["features"][:-1]
    data["fingerprint"] = km.fingerprint([Feature(n, k) for n, k in data["features"]])
    with pytest.raises(ScoringError, match="another feature set"):
        km.load(json.dumps(data))
    with pytest.raises(ScoringError, match="not a scoring model file"):
        km.load(b"\x89PNG")
