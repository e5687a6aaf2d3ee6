"""The models' pages under /analytics/models/: the registry, a version's validation report (page, JSON, XLSX)
and the promote button. Reading needs the strategy readers' role; promoting is the registry's action."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from huikuan.kernel.scoring.metrics import PSI_WARNING
from huikuan.kernel.scoring.table import ScoringError
from huikuan.org.permissions import can_run_strategy, can_view_strategy
from huikuan.scoring.models import ModelVersion
from huikuan.scoring.registry import find_version, promote_version
from huikuan.scoring.reports import calibration_curve, report_json, report_xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _readable(request: HttpRequest) -> None:
    if not can_view_strategy(request.user):
        raise PermissionDenied


def _version(number: int) -> ModelVersion:
    version = find_version(number)
    if version is None:
        raise Http404(_("There is no model version %(number)s.") % {"number": number})
    return version


@login_required
def models(request: HttpRequest) -> HttpResponse:
    _readable(request)
    versions = list(ModelVersion.objects.select_related("trained_by").defer("file", "report")[:50])
    return render(request, "scoring/models.html", {"versions": versions, "psi_warning": PSI_WARNING})


@login_required
def version_page(request: HttpRequest, number: int) -> HttpResponse:
    _readable(request)
    version = _version(number)
    report = version.report
    psi = sorted(report.get("feature_psi", {}).items(), key=lambda kv: -(kv[1] or 0))
    bands = report.get("score_distribution", {})
    distribution = [
        (
            b["from"],
            b["share"],
            *[(bands.get(p) or [{}] * len(bands["train"]))[i].get("share") for p in ("test", "latest")],
        )
        for i, b in enumerate(bands.get("train", []))
    ]
    return render(
        request,
        "scoring/version.html",
        {
            "version": version,
            "report": report,
            "feature_psi": psi,
            "distribution": distribution,
            "psi_warning": PSI_WARNING,
            "can_promote": can_run_strategy(request.user) and not version.in_force,
            "curve": calibration_curve(report),
        },
    )


@login_required
def version_json(request: HttpRequest, number: int) -> JsonResponse:
    _readable(request)
    return JsonResponse(report_json(_version(number)), json_dumps_params={"ensure_ascii": False})


@login_required
def version_xlsx(request: HttpRequest, number: int) -> HttpResponse:
    _readable(request)
    response = HttpResponse(report_xlsx(_version(number)), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="model-{int(number)}-report.xlsx"'
    return response


@login_required
@require_POST
def promote(request: HttpRequest, number: int) -> HttpResponse:
    version = _version(number)
    if not can_run_strategy(request.user):
        raise PermissionDenied(_("Your role may not change the strategy."))
    try:
        promote_version(version, request.user)
    except ScoringError as exc:
        return render(request, "scoring/refused.html", {"version": version, "reason": str(exc)}, status=400)
    messages.success(request, _("Model version %(number)s is in force.") % {"number": number})
    return redirect("scoring:version", number=number)
