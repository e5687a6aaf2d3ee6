"""The read-only strategy page for team leads."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language

from huikuan.org.permissions import can_view_strategy
from huikuan.strategy.run import counts_table
from huikuan.strategy.views_data import last_runs, policy_in_force, policy_tables


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    if not can_view_strategy(request.user):
        raise PermissionDenied
    version = policy_in_force()
    language = "zh" if (get_language() or "zh").startswith("zh") else "en"
    tables = policy_tables(version.policy(), language) if version else []
    runs = [(run, counts_table(run.counts)) for run in last_runs()]
    return render(request, "strategy/overview.html", {"version": version, "tables": tables, "runs": runs})
