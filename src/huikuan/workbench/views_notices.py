"""The user's notifications: the list (with what fell due swept in first), marking read."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from huikuan.kernel.inputs import InputError, parse_int
from huikuan.notifications.actions import mark_read, notifications_of
from huikuan.notifications.texts import describe
from huikuan.workbench.notices import notify_due

LISTED = 100


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    notify_due(user=request.user)
    shown = list(notifications_of(request.user)[:LISTED])
    return render(
        request,
        "workbench/notifications.html",
        {"notices": [(n, describe(n)) for n in shown], "unread": sum(1 for n in shown if n.read_at is None)},
    )


@login_required
@require_POST
def read(request: HttpRequest) -> HttpResponse:
    """Mark one notification read ("id"), or all of them; then back to the list, or on to its case."""
    raw = request.POST.get("id", "")
    try:
        ids = [parse_int(raw, low=1, high=2**63 - 1)] if raw else None
    except InputError:
        ids = []
    mark_read(request.user, ids)
    target = request.POST.get("case", "")
    if ids and target.isascii() and target.isdigit():
        return redirect("web:case", case_id=int(target))
    return redirect("workbench:notifications")
