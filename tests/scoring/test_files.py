"""`huikuan scoring train-file` / `evaluate-file` on CSV files like the public credit data sets: an index
column, identifiers, "NA", numbers written with separators, text categories, a constant column."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from huikuan.scoring.files import main

ROOT = Path(__file__).resolve().parents[2]


def credit_csv(path: Path, rows: int, seed: int, *, drop: str | None = None) -> Path:
    rng = np.random.default_rng(seed)
    age = rng.integers(20, 70, rows)
    debt = rng.uniform(0, 2, rows)
    purpose = rng.choice(["car", "furniture", "education", "business"], rows)
    logit = -1.0 + 0.04 * (age - 40) - 1.2 * debt + np.where(purpose == "business", -0.8, 0.3)
    bad = (rng.uniform(size=rows) < 1 / (1 + np.exp(logit))).astype(int)
    columns = {
        "": [str(i) for i in range(rows)],
        "SK_ID_CURR": [str(100000 + i) for i in range(rows)],
        "age": [str(a) if rng.uniform() > 0.05 else "NA" for a in age],
        "DebtRatio": [f'"{d * 1000:,.2f}"' for d in debt],
        "purpose": list(purpose),
        "country": ["CN"] * rows,
        "SeriousDlqin2yrs": [str(b) for b in bad],
    }
    names = [n for n in columns if n != drop]
    lines = [",".join(names)] + [",".join(columns[n][i] for n in names) for i in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("kind", ["scorecard", "gbm"])
def test_a_model_trained_on_one_file_is_evaluated_on_another_as_one_json_line(
    tmp_path: Path, kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    train, test = credit_csv(tmp_path / "train.csv", 4000, 1), credit_csv(tmp_path / "test.csv", 1500, 2)
    model = tmp_path / "model.json"
    args = ["train-file", str(train), "--target", "SeriousDlqin2yrs", "--kind", kind, "--model-out", str(model)]
    assert main(args) == 0
    summary = json.loads(capsys.readouterr().err)
    assert summary["dropped"] == {"": "identifier", "SK_ID_CURR": "identifier", "country": "constant"}
    assert summary["features"] == 3
    assert main(["evaluate-file", str(model), str(test), "--target", "SeriousDlqin2yrs"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1
    figures = json.loads(out[0])
    assert set(figures) >= {"auc", "ks", "brier", "rows"} and figures["rows"] == 1500
    assert figures["auc"] > 0.7 and 0 < figures["brier"] < 0.25 and figures["ks"] > 0.25


def test_bad_input_exits_with_one_line_saying_what(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    train = credit_csv(tmp_path / "train.csv", 600, 3)
    model = tmp_path / "m.json"
    assert main(["train-file", str(train), "--target", "age", "--model-out", str(model)]) == 2
    assert "must be 0 or 1" in capsys.readouterr().err and not model.exists()
    assert main(["train-file", str(train), "--target", "SeriousDlqin2yrs", "--model-out", str(model)]) == 0
    capsys.readouterr()
    lacking = credit_csv(tmp_path / "lacking.csv", 300, 4, drop="purpose")
    assert main(["evaluate-file", str(model), str(lacking), "--target", "SeriousDlqin2yrs"]) == 2
    assert "features missing from the input: purpose" in capsys.readouterr().err
    assert main(["evaluate-file", str(train), str(lacking), "--target", "SeriousDlqin2yrs"]) == 2
    assert "not a scoring model file" in capsys.readouterr().err


def test_the_command_runs_without_django_settings_or_a_database(tmp_path: Path) -> None:
    train = credit_csv(tmp_path / "train.csv", 800, 5)
    model = tmp_path / "m.json"
    env = {k: v for k, v in os.environ.items() if k not in {"HUIKUAN_DEMO", "DJANGO_SETTINGS_MODULE", "DATABASE_URL"}}
    huikuan = [sys.executable, "-c", "from huikuan.cli import main; main()"]
    trained = subprocess.run(
        [*huikuan, "scoring", "train-file", str(train), "--target", "SeriousDlqin2yrs", "--model-out", str(model)],
        env=env, capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert trained.returncode == 0, trained.stderr
    evaluated = subprocess.run(
        [*huikuan, "scoring", "evaluate-file", str(model), str(train), "--target", "SeriousDlqin2yrs"],
        env=env, capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert evaluated.returncode == 0 and json.loads(evaluated.stdout)["rows"] == 800
