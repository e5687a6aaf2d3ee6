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
MAX_ID = 2**63 - 1


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
    raw, target = request.POST.get("id", ""), request.POST.get("case", "")
    try:
        ids = [parse_int(raw, low=1, high=MAX_ID)] if raw else None
        case_id = parse_int(target, low=1, high=MAX_ID) if target else None
    except InputError:
        return redirect("workbench:notifications")  # nothing of the user's is named: nothing to mark
    mark_read(request.user, ids)
    if ids and case_id is not None:
        return redirect("web:case", case_id=case_id)
    return redirect("workbench:notifications")
