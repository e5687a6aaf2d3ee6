"""The models' pages, the score on the case page and the drift warning on the team page, through personas' eyes.

The model is trained on the kernel's simulated history (fast); the cases it scores are a generated portfolio
in the database, scored by the nightly step as the strategy run would.
"""

from __future__ import annotations

import io
from datetime import timedelta

import openpyxl
import polars as pl
import pytest
from django.utils import translation

from huikuan.audit.models import ChangeLog
from huikuan.cases.models import Case
from huikuan.kernel.scoring import features as kf
from huikuan.kernel.scoring import history
from huikuan.scoring.models import CaseScore, ModelVersion
from huikuan.scoring.nightly import score_open_cases
from huikuan.scoring.registry import promote_version
from huikuan.scoring.training import fit, save_version
from tests.conftest import AS_OF, Personas, client_for

SIM = history.simulate(1500, 100, seed=2)


def simulated_training_set() -> pl.DataFrame:
    cases = SIM.cases_as_of([SIM.start + timedelta(days=d) for d in range(20, 60, 4)])
    frame = kf.build_features(cases, SIM.payments, SIM.promises, SIM.contacts)
    return frame.join(kf.build_target(cases, SIM.payments), on=["case_id", "as_of"])


def trained(kind: str) -> ModelVersion:
    frame = simulated_training_set()
    model, report = fit(frame, kind, None, drop_constant=True)
    return save_version(model, report, SIM.start, SIM.last_day)


@pytest.fixture
def scored(small_portfolio: Personas) -> ModelVersion:
    version = trained("scorecard")
    promote_version(version, small_portfolio.lena)
    assert score_open_cases(AS_OF) is not None
    return version


def test_a_lead_reads_the_registry_and_a_version_report_as_page_json_and_workbook(
    scored: ModelVersion, personas: Personas
) -> None:
    lena = client_for(personas.lena)
    page = lena.get("/analytics/models/").content.decode()
    assert f'href="/analytics/models/{scored.number}/"' in page and 'data-testid="in-force"' in page
    report = lena.get(f"/analytics/models/{scored.number}/").content.decode()
    for section in ("metrics", "calibration", "calibration-curve", "distribution", "feature-psi", "points"):
        assert f'data-testid="{section}"' in report
    # The curve's points are the calibration table's (predicted, observed) on a 200-unit square, y upwards.
    first = scored.report["calibration"]["table"][0]
    assert f"{first['predicted'] * 200:.1f},{200 - first['observed'] * 200:.1f}" in report
    data = lena.get(f"/analytics/models/{scored.number}/report.json").json()
    assert data["metrics"]["auc"] == scored.metrics["auc"] and data["report"]["points"]
    response = lena.get(f"/analytics/models/{scored.number}/report.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    points = list(book["points"].iter_rows(values_only=True))
    assert points[0] == ("feature", "attribute", "count", "rate", "woe", "points") and len(points) > 3
    # A bin's label such as "-inf…" would start a formula: written escaped, as every exported text cell.
    assert all(not str(row[1]).startswith(("=", "-", "+", "@")) for row in points[1:])
    assert lena.get("/analytics/models/999/").status_code == 404


def test_a_collector_cannot_read_or_promote_models(scored: ModelVersion, personas: Personas) -> None:
    alice = client_for(personas.alice)
    assert alice.get("/analytics/models/").status_code == 403
    other = trained("scorecard")
    assert alice.post(f"/analytics/models/{other.number}/promote/").status_code == 403
    other.refresh_from_db()
    assert not other.in_force


def test_a_lead_promotes_a_version_from_its_page_and_the_change_is_logged(
    scored: ModelVersion, personas: Personas
) -> None:
    gbm = trained("gbm")
    lena = client_for(personas.lena)
    assert 'data-testid="promote"' in lena.get(f"/analytics/models/{gbm.number}/").content.decode()
    response = lena.post(f"/analytics/models/{gbm.number}/promote/")
    assert response.status_code == 302
    gbm.refresh_from_db()
    scored.refresh_from_db()
    assert gbm.in_force and not scored.in_force
    log = ChangeLog.objects.filter(action="model.promote", subject_id=str(gbm.pk)).get()
    assert log.user == personas.lena


def test_a_tampered_version_is_refused_on_its_page_with_the_reason(scored: ModelVersion, personas: Personas) -> None:
    other = trained("scorecard")
    ModelVersion.objects.filter(pk=other.pk).update(file=other.file + " ")
    response = client_for(personas.lena).post(f"/analytics/models/{other.number}/promote/")
    assert response.status_code == 400 and "SHA-256" in response.content.decode()
    assert ModelVersion.objects.get(in_force=True) == scored


@pytest.mark.parametrize(("language", "points_word"), [("zh-hans", "分"), ("en", "points")])
def test_the_case_page_shows_the_score_its_band_and_reasons_in_the_readers_language(
    scored: ModelVersion, personas: Personas, language: str, points_word: str
) -> None:
    row = CaseScore.objects.select_related("case").filter(case__assignee=personas.alice).first()
    assert row is not None
    client = client_for(personas.alice)
    client.cookies["django_language"] = language
    page = client.get(f"/cases/{row.case_id}/").content.decode()
    assert 'data-testid="case-score"' in page
    assert f'<span data-testid="score">{row.score}</span>' in page and f">{row.band}</span>" in page
    assert 'data-testid="score-reasons"' in page and points_word in page
    with translation.override(language):
        from huikuan.scoring.queries import case_score

        view = case_score(row.case_id)
    assert view is not None and all(r.text in page for r in view.reasons)


def test_the_team_page_warns_when_tonights_population_has_drifted(scored: ModelVersion, personas: Personas) -> None:
    lena = client_for(personas.lena)
    ModelVersion.objects.filter(pk=scored.pk).update(psi_tonight=0.1)
    assert 'data-testid="model-drift"' not in lena.get("/work/team/").content.decode()
    ModelVersion.objects.filter(pk=scored.pk).update(psi_tonight=0.31)
    assert 'data-testid="model-drift"' in lena.get("/work/team/").content.decode()


def test_every_open_case_is_scored_once(scored: ModelVersion) -> None:
    open_cases = Case.objects.filter(status__in=["open", "on_hold", "legal"]).count()
    assert 0 < CaseScore.objects.count() <= open_cases
    assert CaseScore.objects.filter(version=scored, as_of=AS_OF).count() == CaseScore.objects.count()


def test_without_a_model_the_case_page_shows_no_score(small_portfolio: Personas) -> None:
    case = Case.objects.filter(assignee=small_portfolio.alice).first()
    assert case is not None
    assert (
        'data-testid="case-score"' not in client_for(small_portfolio.alice).get(f"/cases/{case.pk}/").content.decode()
    )
    assert ModelVersion.objects.count() == 0
