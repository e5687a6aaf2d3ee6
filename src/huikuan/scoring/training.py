"""Training a model version on the system's own history, with a time-based split.

Snapshot days run every ``STEP`` days back from the last day whose 30-day target window has ended by
``as_of``; each snapshot is every case owing at the start of that day. The earliest 60% of the snapshot
days train the model, the next 20% stop the GBM early and choose its calibration, the latest 20% are the
test period the metrics are reported on (train on earlier weeks, test on later ones). Training days whose
30-day outcome window reaches into the test period are left out (an embargo) while at least two remain. The
report's "latest population" is the cases in collection as of ``as_of`` itself.

Nothing is written unless every check passes (too few payers or non-payers, a constant feature: a
``ScoringError`` with the reason); a new version is never in force until promoted.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import polars as pl
from django.db import transaction
from django.db.models import Max

from huikuan import clock
from huikuan.kernel.scoring import features as kf
from huikuan.kernel.scoring import model as km
from huikuan.kernel.scoring import report as kr
from huikuan.kernel.scoring.table import ScoringError
from huikuan.scoring.dataset import features_as_of, training_set
from huikuan.scoring.models import ModelVersion

STEP = 3
SPAN = 90
MIN_SNAPSHOTS = 3


@dataclass(frozen=True)
class Window:
    days: list[date]

    @property
    def start(self) -> date:
        return self.days[0]

    @property
    def end(self) -> date:
        return self.days[-1]


def snapshot_days(as_of: date, span: int = SPAN, step: int = STEP) -> Window:
    last = as_of - timedelta(days=kf.TARGET_DAYS)
    days = sorted(last - timedelta(days=k) for k in range(0, span + 1, step))
    return Window(days)


def time_split(frame: pl.DataFrame) -> km.Split:
    days = sorted(frame.get_column("as_of").unique().to_list())
    if len(days) < MIN_SNAPSHOTS:
        raise ScoringError(
            f"the history has {len(days)} snapshot days with cases; at least {MIN_SNAPSHOTS} are needed "
            f"(each needs {kf.TARGET_DAYS} days of outcomes after it)"
        )
    n_train = max(1, round(len(days) * 0.6))
    n_valid = max(1, round(len(days) * 0.2))
    if n_train + n_valid >= len(days):
        n_train = len(days) - 1 - n_valid
    valid_from, test_from = days[n_train], days[n_train + n_valid]
    # Embargo: a training day whose 30-day outcome window reaches into the test period would share the test's
    # payments (the same debtor, the same money); such days are left out while at least two remain.
    clear = [d for d in days[:n_train] if d + timedelta(days=kf.TARGET_DAYS) <= test_from]
    train_until = clear[-1] + timedelta(days=1) if len(clear) >= 2 else valid_from
    as_of = frame.get_column("as_of")
    index = np.arange(frame.height)
    train = index[(as_of < train_until).to_numpy()]
    valid = index[((as_of >= valid_from) & (as_of < test_from)).to_numpy()]
    test = index[(as_of >= test_from).to_numpy()]
    return km.Split(train, valid, test)


def fit(
    frame: pl.DataFrame, kind: str, latest: pl.DataFrame | None, drop_constant: bool = False
) -> tuple[km.ScoringModel, dict[str, Any]]:
    """The model and its report from a training set (features, ``as_of`` and ``target`` columns)."""
    split = time_split(frame)
    y = frame.get_column("target").cast(pl.Float64).to_numpy()
    model = km.train(frame, y, kf.FEATURES, kind, split, drop_constant=drop_constant)
    parts = {"train": split.train, "valid": split.valid, "test": split.test}
    report = kr.build(model, {k: frame[v] for k, v in parts.items()}, {k: y[v] for k, v in parts.items()}, latest)
    return model, report


def train_version(
    kind: str, as_of: date | None = None, user: Any = None, *, drop_constant: bool = False
) -> ModelVersion:
    """A new version (not in force). A feature constant over the training rows is refused unless
    ``drop_constant`` (a young installation may have no hardship pleas yet): then it is left out and named in
    the report."""
    as_of = as_of or clock.today()
    window = snapshot_days(as_of)
    frame = training_set(window.days)
    frame = frame.filter(pl.col("case_id").is_not_null())
    if frame.height == 0:
        raise ScoringError(f"no case owed money on any snapshot day from {window.start} to {window.end}")
    present = sorted(frame.get_column("as_of").unique().to_list())
    latest = features_as_of(as_of)
    model, report = fit(frame, kind, latest, drop_constant)
    return save_version(model, report, present[0], present[-1], user)


def save_version(
    model: km.ScoringModel, report: dict[str, Any], start: date, end: date, user: Any = None
) -> ModelVersion:
    """The registry's row for a trained model: the next number, its file and the file's SHA-256."""
    model.info |= {"target": f"paid ≥ {kf.TARGET_SHARE:.0%} of the balance within {kf.TARGET_DAYS} days"}
    text = model.to_json()
    with transaction.atomic():
        number = (ModelVersion.objects.aggregate(n=Max("number"))["n"] or 0) + 1
        return ModelVersion.objects.create(
            number=number,
            kind=model.kind,
            features=[[f.name, f.kind] for f in model.features],
            target=model.info["target"],
            window_start=start,
            window_end=end,
            metrics=kr.clean(report["metrics"]),
            report=report,
            file=text,
            sha256=hashlib.sha256(text.encode()).hexdigest(),
            trained_by=user if getattr(user, "pk", None) else None,
            trained_at=clock.now(),
        )
