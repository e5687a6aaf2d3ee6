"""`huikuan scoring train-file` and `evaluate-file`: the modelling on any CSV, without the database.

So the models can be checked on data from outside the system (public credit data sets): a CSV of numeric and
text columns with a 0/1 target. Identifiers and constant columns are left out and named on stderr; missing
values stay missing (their own bin, or the GBM's missing branch); text columns become categories. The
model is trained on a random 80% and calibrated on the other 20% (a CSV has no dates to split by). The
commands run before Django starts (``cli.main``), so they need no settings and no database.

Exit status 2 with one line on stderr for bad input (``ScoringError``), never a traceback.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

from huikuan.kernel.scoring import model as scoring_model
from huikuan.kernel.scoring.table import ScoringError, check_features, infer_features, read_csv, target_array


def _number(value: float) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else round(value, 6)


def train_file(args: argparse.Namespace) -> dict[str, object]:
    started = time.perf_counter()
    frame = read_csv(args.train)
    y = target_array(frame, args.target)
    frame, features, dropped = infer_features(frame, args.target)
    split = scoring_model.random_split(frame.height, seed=args.seed, valid=0.2)
    model = scoring_model.train(frame, y, features, args.kind, split, drop_constant=True, seed=args.seed)
    model.info |= {"target": args.target, "trained_on": Path(args.train).name, "rows": frame.height, "dropped": dropped}
    valid = scoring_model.evaluate(model, frame[split.valid], y[split.valid])
    model.info["validation"] = {k: _number(v) for k, v in valid.items()}
    Path(args.model_out).write_text(model.to_json(), encoding="utf-8")
    return {
        "kind": model.kind,
        "features": len(model.features),
        "dropped": dropped,
        "calibration": model.calibrator.method,
        "validation": model.info["validation"],
        "seconds": round(time.perf_counter() - started, 2),
        "model": str(args.model_out),
    }


def evaluate_file(args: argparse.Namespace) -> dict[str, object]:
    try:
        text = Path(args.model).read_bytes()
    except OSError as exc:
        raise ScoringError(f"{args.model}: cannot read the model file ({exc.strerror})") from exc
    model = scoring_model.load(text)
    frame = read_csv(args.test)
    y = target_array(frame, args.target)
    # Each feature read as the model knows it (numbers written as text are parsed), not re-inferred.
    check_features(frame, model.features)
    figures = scoring_model.evaluate(model, frame, y)
    return {
        "auc": _number(figures["auc"]),
        "ks": _number(figures["ks"]),
        "brier": _number(figures["brier"]),
        "calibration_error": _number(figures["calibration_error"]),
        "rows": figures["rows"],
    }


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="huikuan scoring", description="Train and evaluate a model on a CSV file.")
    sub = top.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train-file", help="train a model on a CSV with a 0/1 target column")
    t.add_argument("train", help="TRAIN.csv")
    t.add_argument("--target", required=True, help="the 0/1 column")
    t.add_argument("--kind", choices=scoring_model.KINDS, default=scoring_model.SCORECARD)
    t.add_argument("--model-out", required=True, help="where to write the model (JSON)")
    t.add_argument("--seed", type=int, default=0)
    e = sub.add_parser("evaluate-file", help="AUC, KS and Brier of a model file on a CSV, as one JSON line")
    e.add_argument("model", help="the model file written by train-file")
    e.add_argument("test", help="TEST.csv")
    e.add_argument("--target", required=True)
    return top


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    try:
        if args.command == "train-file":
            result = train_file(args)
            print(json.dumps(result, ensure_ascii=False), file=sys.stderr)
        else:
            print(json.dumps(evaluate_file(args)))
    except ScoringError as exc:
        print(f"huikuan scoring {args.command}: {exc}", file=sys.stderr)
        return 2
    return 0
