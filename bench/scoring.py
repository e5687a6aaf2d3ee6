"""Scoring benchmark: the feature build, the nightly scoring and the training of both kinds at size, and both
kinds' quality on the simulator's debtors. Kernel only (no database): the database reads of the features are
the strategy snapshot's kind of aggregate query and are not timed here.

    PYTHONPATH=src .venv/bin/python bench/record.py bench/scoring.py --cases 1000000

Size part: ``--cases`` synthetic open cases with a hidden propensity q ~ Beta(2, 3) each and 90 days of
events drawn from it (about 2 payments, 1 promise and 6 contacts per case); the target is paid with
0.1 + 0.6·q. ``features_1m_s`` builds their features, ``train_1m_s_<kind>`` trains on them (60% fit, 20%
calibrate, 20% unused), ``score_1m_s`` scores them all with the scorecard (probabilities, scores, bands and
three reason codes each, as the nightly step does). Figures are for ``--cases`` (1,000,000 by default).

Quality part: the kernel's simulated history (``kernel.scoring.history``: 3,000 debtors, 150 days), trained on
snapshots of days 30–57 and judged on day 119's population and outcomes, as tests/kernel/scoring do.
Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import date, timedelta

import numpy as np
import polars as pl

from huikuan.kernel.scoring import features as kf
from huikuan.kernel.scoring import history
from huikuan.kernel.scoring import model as km
from huikuan.kernel.scoring.metrics import auc, calibration_error
from huikuan.kernel.scoring.reasons import reason_column

AS_OF = date(2026, 11, 20)


def _before(days: np.ndarray) -> np.ndarray:
    return np.datetime64(AS_OF, "D") - days.astype("timedelta64[D]")


def synthetic(cases: int, seed: int = 1) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    q = rng.beta(2, 3, cases)
    ids = np.arange(1, cases + 1)
    balance = (rng.lognormal(9, 1, cases) * 100).astype(np.int64) + 10_000
    frame = pl.DataFrame(
        {
            "case_id": ids,
            "as_of": np.full(cases, np.datetime64(AS_OF, "D")),
            "oldest_due": _before(rng.integers(1, 200, cases)),
            "balance_fen": balance,
            "principal_fen": (balance * rng.uniform(0.6, 0.95, cases)).astype(np.int64),
            "penalty_fen": (balance * rng.uniform(0, 0.1, cases)).astype(np.int64),
            "product": rng.choice(["credit_card", "consumer_loan", "online_loan"], cases),
            "open_date": _before(rng.integers(200, 1500, cases)),
            "cured_episodes": rng.poisson(0.3, cases).astype(np.int32),
        }
    ).select([pl.col(n).cast(t) for n, t in kf.CASES_SCHEMA.items()])

    def days_before(n: int) -> np.ndarray:
        return _before(rng.integers(1, 91, n))

    n_pay = rng.poisson(4 * q)
    pay_ids = np.repeat(ids, n_pay)
    payments = pl.DataFrame(
        {"case_id": pay_ids, "day": days_before(len(pay_ids)), "amount_fen": rng.integers(1_000, 200_000, len(pay_ids))}
    ).select([pl.col(n).cast(t) for n, t in kf.PAYMENTS_SCHEMA.items()])
    n_prom = rng.poisson(1, cases)
    prom_ids = np.repeat(ids, n_prom)
    kept = rng.uniform(size=len(prom_ids)) < np.repeat(0.3 + 0.6 * q, n_prom)
    made = days_before(len(prom_ids))
    promises = pl.DataFrame(
        {
            "case_id": prom_ids,
            "made": made,
            "due_date": made + rng.integers(1, 8, len(prom_ids)).astype("timedelta64[D]"),
            "state": np.where(kept, "kept", "broken"),
        }
    ).select([pl.col(n).cast(t) for n, t in kf.PROMISES_SCHEMA.items()])
    n_call = rng.poisson(6, cases)
    call_ids = np.repeat(ids, n_call)
    answered = rng.uniform(size=len(call_ids)) < np.repeat(0.15 + 0.45 * q, n_call)
    contacts = pl.DataFrame(
        {
            "case_id": call_ids,
            "day": days_before(len(call_ids)),
            "channel": rng.choice(["call", "call", "sms"], len(call_ids)),
            "party": np.where(answered, "debtor", "nobody"),
            "outcome": np.where(answered, rng.choice(["promise", "refusal", "hardship"], len(call_ids)), "no_answer"),
            "failed": ~answered,
        }
    ).select([pl.col(n).cast(t) for n, t in kf.CONTACTS_SCHEMA.items()])
    target = (rng.uniform(size=cases) < 0.1 + 0.6 * q).astype(np.float64)
    return frame, payments, promises, contacts, target


def size_figures(cases: int) -> dict[str, float | int]:
    frame, payments, promises, contacts, y = synthetic(cases)
    print(f"{cases} cases, {payments.height} payments, {promises.height} promises, {contacts.height} contacts")
    started = time.perf_counter()
    features = kf.build_features(frame, payments, promises, contacts)
    features_s = time.perf_counter() - started
    print(f"features: {features_s:.1f} s")
    split = km.random_split(features.height, seed=1, valid=0.2, test=0.2)
    out: dict[str, float | int] = {"cases": cases, "features_s": round(features_s, 2)}
    models = {}
    for kind in km.KINDS:
        started = time.perf_counter()
        models[kind] = km.train(features, y, kf.FEATURES, kind, split, drop_constant=True)
        out[f"train_s_{kind}"] = round(time.perf_counter() - started, 1)
        print(f"train {kind}: {out[f'train_s_{kind}']} s")
    card = models[km.SCORECARD]
    started = time.perf_counter()
    raw = card.raw(features)
    probability = card.calibrator.probability(raw)
    scores = np.rint(card.score(raw))
    bands = km.band(probability)
    reasons = reason_column(*card.contributions(features), features)
    score_s = time.perf_counter() - started
    assert len(reasons) == len(scores) == len(bands) == cases
    out["score_s"] = round(score_s, 2)
    print(f"score (scorecard, with reasons): {score_s:.1f} s")
    return out


def quality_figures() -> dict[str, float]:
    sim = history.simulate(3000, 150, seed=7)

    def snapshots(offsets: list[int]) -> pl.DataFrame:
        cases = sim.cases_as_of([sim.start + timedelta(days=d) for d in offsets])
        frame = kf.build_features(cases, sim.payments, sim.promises, sim.contacts)
        frame = frame.join(kf.build_target(cases, sim.payments), on=["case_id", "as_of"])
        return frame.join(sim.debtors.select("case_id", "propensity"), on="case_id")

    days = list(range(30, 60, 3))
    training, later = snapshots(days), snapshots([119])
    y = training.get_column("target").cast(pl.Float64).to_numpy()
    day = training.get_column("as_of").to_numpy()
    index = np.arange(training.height)
    cut = np.datetime64(sim.start + timedelta(days=days[6]))
    split = km.Split(index[day < cut], index[day >= cut], index[:0])
    later_y = later.get_column("target").cast(pl.Float64).to_numpy()
    out: dict[str, float] = {"auc_hidden_propensity": round(auc(later_y, later.get_column("propensity").to_numpy()), 4)}
    for kind in km.KINDS:
        model = km.train(training, y, kf.FEATURES, kind, split, drop_constant=True)
        figures = km.evaluate(model, later, later_y)
        out[f"auc_{kind}"] = round(figures["auc"], 4)
        out[f"ks_{kind}"] = round(figures["ks"], 4)
        out[f"calibration_error_{kind}"] = round(figures["calibration_error"], 4)
        out[f"calibration_error_held_out_{kind}"] = round(
            calibration_error(y[split.valid], model.probability(training[split.valid])), 4
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1_000_000)
    args = parser.parse_args()
    size = size_figures(args.cases)
    quality = quality_figures()
    million = args.cases == 1_000_000
    result = {
        "benchmark": "scoring",
        **size,
        "features_1m_s": size["features_s"] if million else None,
        "score_1m_s": size["score_s"] if million else None,
        "train_1m_s_scorecard": size["train_s_scorecard"] if million else None,
        "train_1m_s_gbm": size["train_s_gbm"] if million else None,
        **quality,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
