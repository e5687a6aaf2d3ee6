"""The model registry and the cases' scores through the REST API (issue 19, item 6): the same reads, roles
and audited promotion as the pages."""

from __future__ import annotations

from huikuan.audit.models import ChangeLog
from huikuan.scoring.models import CaseScore, ModelVersion
from tests.conftest import Personas, client_for
from tests.scoring.test_pages import scored, trained

__all__ = ["scored"]


def test_a_lead_lists_the_versions_and_reads_a_report(scored: ModelVersion, personas: Personas) -> None:
    lena = client_for(personas.lena)
    listed = lena.get("/api/scoring/models")
    assert listed.status_code == 200
    (row,) = [v for v in listed.json() if v["number"] == scored.number]
    assert row["in_force"] and row["kind"] == "scorecard" and row["sha256"] == scored.sha256
    assert row["metrics"]["auc"] == scored.metrics["auc"]
    report = lena.get(f"/api/scoring/models/{scored.number}")
    assert report.status_code == 200 and report.json()["report"]["points"]
    assert lena.get("/api/scoring/models/999").status_code == 404


def test_a_collector_may_neither_read_nor_promote(scored: ModelVersion, personas: Personas) -> None:
    alice = client_for(personas.alice)
    assert alice.get("/api/scoring/models").status_code == 403
    other = trained("scorecard")
    assert alice.post(f"/api/scoring/models/{other.number}/promote").status_code == 403
    other.refresh_from_db()
    assert not other.in_force


def test_a_lead_promotes_through_the_api_audited_and_a_tampered_file_is_refused(
    scored: ModelVersion, personas: Personas
) -> None:
    lena = client_for(personas.lena)
    other = trained("scorecard")
    answer = lena.post(f"/api/scoring/models/{other.number}/promote")
    assert answer.status_code == 200 and answer.json()["in_force"]
    assert ChangeLog.objects.filter(action="model.promote", subject_id=str(other.pk), user=personas.lena).exists()
    third = trained("scorecard")
    ModelVersion.objects.filter(pk=third.pk).update(file=third.file + " ")
    refused = lena.post(f"/api/scoring/models/{third.number}/promote")
    assert refused.status_code == 400 and "SHA-256" in refused.json()["detail"]
    assert ModelVersion.objects.get(in_force=True) == other


def test_a_cases_score_for_those_who_see_the_case(scored: ModelVersion, personas: Personas) -> None:
    row = CaseScore.objects.select_related("case").filter(case__assignee=personas.alice).first()
    assert row is not None
    mine = client_for(personas.alice).get(f"/api/cases/{row.case_id}/score")
    assert mine.status_code == 200
    body = mine.json()
    assert (body["score"], body["band"], body["version"]) == (row.score, row.band, scored.number)
    assert abs(body["probability"] - row.probability) < 1e-9 and len(body["reasons"]) == 3
    # Another team's collector: the same 404 as a case that does not exist.
    assert client_for(personas.carol).get(f"/api/cases/{row.case_id}/score").status_code == 404
    assert client_for(personas.alice).get("/api/cases/99999999/score").status_code == 404
