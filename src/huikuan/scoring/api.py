"""REST endpoints of the model registry and the cases' scores: the same reads and the same promotion as the
pages under /analytics/models/. Reading needs the strategy readers' role; promoting asks ``can_run_strategy``
(a refusal answers 403); a case's score is answered for the cases the user sees (404 otherwise)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.errors import HttpError

from huikuan.cases.access import visible_case_or_404
from huikuan.inputs import Id, errors
from huikuan.kernel.scoring.table import ScoringError
from huikuan.org.permissions import can_run_strategy, can_view_strategy
from huikuan.scoring.models import ModelVersion
from huikuan.scoring.queries import case_score
from huikuan.scoring.registry import find_version, promote_version
from huikuan.scoring.reports import report_json

router = Router(tags=["scoring"])


class VersionOut(Schema):
    number: int
    kind: str
    features: list[str]  # the feature names, in the model's order
    target: str
    window_start: date
    window_end: date
    metrics: dict[str, Any]
    sha256: str
    in_force: bool
    promoted_at: datetime | None
    psi_tonight: float | None
    trained_at: datetime
    trained_by: str | None


class ReasonOut(Schema):
    feature: str
    text: str
    points: float


class CaseScoreOut(Schema):
    case_id: int
    probability: float
    score: int
    band: str
    as_of: date
    version: int
    reasons: list[ReasonOut]


def _reader(request: HttpRequest) -> None:
    if not can_view_strategy(request.user):
        raise PermissionDenied


def _version(number: int) -> ModelVersion:
    version = find_version(number)
    if version is None:
        raise HttpError(404, _("There is no model version %(number)s.") % {"number": number})
    return version


def _out(v: ModelVersion) -> VersionOut:
    names = [f[0] if isinstance(f, list | tuple) else str(f) for f in v.features]
    return VersionOut(
        number=v.number, kind=v.kind, features=names, target=v.target, window_start=v.window_start,
        window_end=v.window_end, metrics=v.metrics, sha256=v.sha256, in_force=v.in_force,
        promoted_at=v.promoted_at, psi_tonight=v.psi_tonight, trained_at=v.trained_at,
        trained_by=v.trained_by.get_username() if v.trained_by else None,
    )  # fmt: skip


@router.get("/scoring/models", response={200: list[VersionOut], **errors(401, 403)})
def list_versions(request: HttpRequest) -> list[VersionOut]:
    """Every trained version, newest first, with its test-period metrics and whether it is in force."""
    _reader(request)
    return [_out(v) for v in ModelVersion.objects.select_related("trained_by").defer("file", "report")[:200]]


@router.get("/scoring/models/{number}", response={200: dict[str, Any], **errors(401, 403, 404, 422)})
def version_report(request: HttpRequest, number: Id) -> dict[str, Any]:
    """A version's validation report (AUC, KS, Brier, calibration, score distribution, PSI, points table)."""
    _reader(request)
    return report_json(_version(number))


@router.post("/scoring/models/{number}/promote", response={200: VersionOut, **errors(400, 401, 403, 404, 422)})
def promote(request: HttpRequest, number: Id) -> VersionOut:
    """Put a version in force from the next nightly run (audited: ``model.promote`` in the change log)."""
    version = _version(number)
    if not can_run_strategy(request.user):
        raise PermissionDenied(_("Your role may not change the strategy."))
    try:
        promote_version(version, request.user)
    except ScoringError as exc:
        raise HttpError(400, str(exc)) from exc
    version.refresh_from_db()
    return _out(version)


@router.get("/cases/{case_id}/score", response={200: CaseScoreOut, **errors(401, 404, 422)})
def score_of_case(request: HttpRequest, case_id: Id) -> CaseScoreOut:
    """The case's latest score, band and top reasons in the user's language; 404 while it has none."""
    case = visible_case_or_404(request.user, case_id)
    view = case_score(case.pk)
    if view is None:
        raise HttpError(404, _("This case has not been scored yet: no model is in force, or no run since."))
    return CaseScoreOut(
        case_id=case.pk, probability=view.probability, score=view.score, band=view.band, as_of=view.as_of,
        version=view.version,
        reasons=[ReasonOut(feature=r.feature, text=r.text, points=round(r.points, 1)) for r in view.reasons],
    )  # fmt: skip
