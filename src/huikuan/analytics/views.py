"""The dashboards at /analytics/: figures with their tables, XLSX exports, drill-downs and the promote button.

The views only read the request and answer: who sees what is ``dashboard.scope_of`` (in the queries), the
figures are ``dashboard``'s, promoting an arm is ``strategy.actions.promote_arm`` (which checks and audits).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from huikuan import clock
from huikuan.analytics.dashboard import (
    Figure,
    FilterError,
    Filters,
    Scope,
    current_experiment,
    drill_cases,
    figure,
    figure_names,
    figures,
    parse_drill,
    parse_filters,
    scope_of,
)
from huikuan.kernel.analytics.frames import BUCKET_ORDER
from huikuan.org.models import Team
from huikuan.org.permissions import can_run_strategy
from huikuan.portfolio.models import Product
from huikuan.strategy.actions import UnknownArm, promote_arm
from huikuan.strategy.models import Experiment
from huikuan.tabular.writing import xlsx_bytes

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _bad_request(request: HttpRequest, error: FilterError) -> HttpResponse:
    return render(request, "analytics/error.html", {"error": error}, status=400)


def _teams(scope: Scope) -> list[Team]:
    if scope.everyone:
        return list(Team.objects.order_by("name"))
    if scope.team_id is not None:
        return list(Team.objects.filter(pk=scope.team_id))
    return []


def _read(request: HttpRequest) -> tuple[Scope, Filters]:
    scope = scope_of(request.user)
    return scope, parse_filters(request.GET, scope, clock.today())


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    try:
        scope, filters = _read(request)
        shown = figures(figure_names(scope), scope, filters)
    except FilterError as error:
        return _bad_request(request, error)
    experiment = current_experiment() if "experiment" in figure_names(scope) else None
    context: dict[str, Any] = {
        "scope": scope,
        "filters": filters,
        "query": urlencode(filters.query()),
        "figures": shown,
        "teams": _teams(scope),
        "products": Product.choices,
        "buckets": BUCKET_ORDER,
        "experiment": experiment,
        "may_promote": experiment is not None and experiment.active and can_run_strategy(request.user),
    }
    return render(request, "analytics/dashboard.html", context)


def _xlsx(fig: Figure, name: str) -> HttpResponse:
    rows: list[list[Any]] = [[fig.title], [label for _key, label in fig.columns], *fig.rows]
    if fig.extra.get("comparisons"):
        rows += [[], fig.extra["comparison_labels"], *fig.extra["comparisons"]]
    response = HttpResponse(xlsx_bytes(rows, sheet=name[:31]), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="huikuan-{name}.xlsx"'
    return response


@login_required
def export(request: HttpRequest, name: str) -> HttpResponse:
    """A figure's table as XLSX, with the page's filters (text cells escaped by ``tabular``)."""
    try:
        scope, filters = _read(request)
        fig = figure(name, scope, filters)
    except FilterError as error:
        return _bad_request(request, error)
    return _xlsx(fig, f"{name}-{filters.first.isoformat()}-{filters.last.isoformat()}")


@login_required
def cases(request: HttpRequest) -> HttpResponse:
    """The cases behind a figure (a day, a roll-rate row, a collector), in the user's scope."""
    try:
        scope, filters = _read(request)
        drill = parse_drill(request.GET, filters)
        fig = drill_cases(scope, filters, drill)
    except FilterError as error:
        return _bad_request(request, error)
    if request.GET.get("format") == "xlsx":
        return _xlsx(fig, f"cases-{drill.kind}-{drill.day.isoformat()}")
    query = request.GET.copy()
    query["format"] = "xlsx"
    return render(
        request, "analytics/cases.html", {"figure": fig, "query": urlencode(filters.query()), "xlsx": query.urlencode()}
    )


@login_required
@require_POST
def promote(request: HttpRequest, experiment_id: int) -> HttpResponse:
    """Make an arm's policy the champion: ``promote_arm`` checks the capability and writes the change log."""
    experiment = get_object_or_404(Experiment, pk=experiment_id)
    arm = (request.POST.get("arm") or "").strip()
    try:
        version = promote_arm(experiment, arm, request.user)
    except UnknownArm as error:
        return render(request, "analytics/error.html", {"error": FilterError("arm", str(error))}, status=400)
    messages.success(
        request, _("%(arm)s is the champion now: policy %(label)s.") % {"arm": arm, "label": version.label}
    )
    return redirect("analytics:dashboard")
