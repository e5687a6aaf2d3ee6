"""The nightly scoring: every case in collection scored by the model in force, in bulk, before the strategy.

Set-based from end to end: the features of all open cases in one builder call, the probabilities, scores,
bands and reason codes as array operations, the rows replaced in one transaction (COPY on PostgreSQL). No
model in force: nothing is scored and the strategy runs exactly as before (its rules proxy stands in).

A scorecard's cases keep their three reason codes: the features whose points moved the score most (signed;
negative held it down), with the case's value of the feature. A GBM's reason codes are SHAP values, about a
millisecond a case (hours for a million): they are worked out when a case page asks (``queries.case_score``).
The PSI of tonight's scores against the training reference is stored on the version; above 0.25 the team
page warns.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl
from django.db import transaction

from huikuan.db.bulkwrite import copy_frame
from huikuan.kernel.scoring.model import SCORECARD, band
from huikuan.kernel.scoring.reasons import reason_column
from huikuan.kernel.scoring.report import tonight_psi
from huikuan.kernel.scoring.table import ScoringError
from huikuan.scoring.dataset import features_as_of
from huikuan.scoring.models import CaseScore, ModelVersion
from huikuan.scoring.registry import in_force, load_version

log = logging.getLogger(__name__)
SCORE_TABLE = CaseScore._meta.db_table


@dataclass(frozen=True)
class NightlyScores:
    version: ModelVersion
    cases: int
    psi: float | None


def score_frame(version: ModelVersion, frame: pl.DataFrame) -> pl.DataFrame:
    """case_id, probability, score, band, reasons (JSON text; empty for a GBM) for a frame of features."""
    model = load_version(version)
    raw = model.raw(frame)
    probability = model.calibrator.probability(raw)
    base = pl.DataFrame(
        {
            "case_id": frame.get_column("case_id"),
            "probability": probability,
            "score": np.rint(model.score(raw)).astype(np.int64),
            "band": band(probability),
        }
    )
    if model.kind != SCORECARD:
        return base.with_columns(pl.lit("[]").alias("reasons"))
    return base.with_columns(reason_column(*model.contributions(frame), frame))


def nightly_scores(as_of: date) -> NightlyScores | None:
    """The nightly run's step: score, or — when the model in force cannot be used (its file refused, a
    feature missing) — log why and clear the scores, so the strategy falls back to its rules, never to
    yesterday's numbers or a half-written table."""
    try:
        return score_open_cases(as_of)
    except ScoringError as exc:
        log.error("nightly scoring skipped for %s: %s", as_of, exc)
        CaseScore.objects.all().delete()
        return None


def score_open_cases(as_of: date) -> NightlyScores | None:
    version = in_force()
    if version is None:
        return None
    frame = features_as_of(as_of)
    scored = score_frame(version, frame)
    psi = (
        tonight_psi(version.report["score_reference"], scored.get_column("score").cast(pl.Float64).to_numpy())
        if scored.height and version.report.get("score_reference")
        else None
    )
    rows = scored.with_columns(pl.lit(version.pk).alias("version_id"), pl.lit(as_of).alias("as_of")).select(
        "case_id", "version_id", "as_of", "probability", "score", "band", "reasons"
    )
    with transaction.atomic():
        CaseScore.objects.all().delete()
        copy_frame(SCORE_TABLE, rows)
        ModelVersion.objects.filter(pk=version.pk).update(psi_tonight=psi, psi_on=as_of)
    return NightlyScores(version, scored.height, psi)
