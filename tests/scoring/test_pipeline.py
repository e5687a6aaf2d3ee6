"""Training, promotion and nightly scoring on a history the portfolio simulator wrote through the real system.

One simulated history (160 debtors, 42 days: about a minute on the shared machine) serves the whole story,
so it is one test in chapters rather than many that would each simulate again.
"""

from __future__ import annotations

import io
import json
from datetime import date, timedelta
from io import StringIO
from typing import Any

import openpyxl
import polars as pl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation
from polars.testing import assert_frame_equal

from huikuan.analytics.setup import prepare
from huikuan.analytics.simulator import Simulator
from huikuan.audit.models import ChangeLog
from huikuan.kernel.scoring import features as kf
from huikuan.kernel.scoring.table import ScoringError
from huikuan.scoring import dataset
from huikuan.scoring.models import CaseScore, ModelVersion
from huikuan.scoring.nightly import score_open_cases
from huikuan.scoring.queries import case_score
from huikuan.scoring.registry import drift_warning, in_force, load_version, promote_version
from huikuan.scoring.reports import report_json, report_xlsx
from huikuan.scoring.training import snapshot_days, train_version

FIRST = date(2026, 3, 2)
DAYS = 42
AS_OF = FIRST + timedelta(days=DAYS)


@pytest.fixture
def history(db: Any) -> None:
    simulation = prepare(seed=11, days=DAYS, debtors=160, effects={}, first_day=FIRST)
    Simulator(simulation, calls_per_collector=8).run()


def test_models_are_trained_on_the_simulated_history_promoted_with_an_audit_and_score_every_open_case(
    history: None,
) -> None:
    # A feature that never varied in the window is refused by name unless left out on purpose; nothing is written.
    constant = [
        f.name
        for f in kf.FEATURES
        if dataset.training_set(snapshot_days(AS_OF).days).get_column(f.name).drop_nulls().n_unique() <= 1
    ]
    if constant:
        with pytest.raises(ScoringError, match=constant[0]):
            train_version("scorecard", AS_OF)
        assert ModelVersion.objects.count() == 0

    card = train_version("scorecard", AS_OF, drop_constant=True)
    gbm = train_version("gbm", AS_OF, drop_constant=True)
    for version in (card, gbm):
        m = version.metrics
        print(version, {k: round(v, 3) for k, v in m.items()}, "psi", version.report["psi"])
        assert m["rows"] > 0 and 0.0 <= m["brier"] <= 0.25 and m["auc"] > 0.55
        assert version.report["dropped_constant"] == constant
        assert version.window_start < version.window_end <= AS_OF - timedelta(days=kf.TARGET_DAYS)
        assert version.file_matches() and not version.in_force
    assert card.report["points"] and not gbm.report["points"]
    assert in_force() is None

    # Nothing in force: the nightly scoring does nothing.
    assert score_open_cases(AS_OF) is None and CaseScore.objects.count() == 0

    # The same case on the same day: the training row and the nightly row are the same numbers.
    day = card.window_end
    training = dataset.training_set([day]).drop("target", "paid_fen")
    nightly = dataset.features_as_of(day)
    common = nightly.join(training.select("case_id"), on="case_id").get_column("case_id")
    assert len(common) > 20
    assert_frame_equal(
        training.filter(pl.col("case_id").is_in(common.implode())).sort("case_id"),
        nightly.filter(pl.col("case_id").is_in(common.implode())).sort("case_id"),
    )

    # Promotion is audited; a second promotion stands the first down.
    promote_version(card)
    promote_version(gbm)
    card.refresh_from_db()
    assert not card.in_force and in_force() == gbm
    logs = ChangeLog.objects.filter(action="model.promote").order_by("id")
    assert [log.subject_id for log in logs] == [str(card.pk), str(gbm.pk)]
    assert logs.last().before["in_force"] == str(card)  # type: ignore[union-attr,index]

    # Every case in collection is scored in one go, with three reason codes in words.
    result = score_open_cases(AS_OF)
    assert result is not None and result.version == gbm
    assert CaseScore.objects.count() == result.cases == dataset.features_as_of(AS_OF).height
    scored = CaseScore.objects.order_by("case_id").first()
    assert scored is not None and 0 < scored.probability < 1 and scored.band in "ABCDE"
    with translation.override("en"):
        view = case_score(scored.case_id)
        assert view is not None and len(view.reasons) == 3
        assert all(r.text and r.points_text.endswith("points") for r in view.reasons)
    with translation.override("zh-hans"):
        zh = case_score(scored.case_id)
        assert zh is not None and all(r.points_text.endswith("分") for r in zh.reasons)
    gbm.refresh_from_db()
    assert gbm.psi_tonight is not None and gbm.psi_on == AS_OF

    # Drift beyond 0.25 raises the team page's warning.
    assert (drift_warning() is not None) == (gbm.psi_tonight > 0.25)
    ModelVersion.objects.filter(pk=gbm.pk).update(psi_tonight=0.4)
    assert drift_warning() == gbm

    # The report as JSON and as a workbook.
    data = report_json(card)
    assert data["metrics"] == card.metrics and data["report"]["calibration"]["table"]
    book = openpyxl.load_workbook(io.BytesIO(report_xlsx(card)))
    assert book.sheetnames == ["summary", "calibration", "score distribution", "feature psi", "points"]
    out = StringIO()
    call_command("scoring_report", str(card.number), stdout=out)
    assert json.loads(out.getvalue())["version"] == card.number

    # A tampered file, or one trained on another feature set, is refused at load and never promoted.
    ModelVersion.objects.filter(pk=card.pk).update(file=card.file.replace('"scorecard"', '"scorecard" '))
    card.refresh_from_db()
    with pytest.raises(ScoringError, match="SHA-256"):
        promote_version(card)
    foreign = ModelVersion.objects.get(pk=gbm.pk)
    foreign.features = [*foreign.features[:-1], ["age", "numeric"]]
    with pytest.raises(ScoringError, match="another feature set"):
        load_version(foreign)
    assert in_force() == gbm
    with pytest.raises(CommandError, match="no model version 99"):
        call_command("scoring_promote", "99", stdout=StringIO())

    # The commands: a refused training writes nothing; a trained version is promoted by number.
    before = ModelVersion.objects.count()
    if constant:
        with pytest.raises(CommandError, match="nothing trained: constant"):
            call_command("scoring_train", "--as-of", AS_OF.isoformat(), stdout=StringIO())
        assert ModelVersion.objects.count() == before
    out = StringIO()
    call_command("scoring_train", "--as-of", AS_OF.isoformat(), "--drop-constant", stdout=out)
    number = before + 1
    assert out.getvalue().startswith(f"model version {number} (scorecard)") and "AUC" in out.getvalue()
    call_command("scoring_promote", str(number), stdout=StringIO())
    assert in_force() == ModelVersion.objects.get(number=number)
