"""Thin views: they read the request, call a read model or an action, and render."""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_POST

from huikuan import clock
from huikuan.cases.access import reveal_contact_point, visible_case_or_404
from huikuan.cases.models import CaseStatus
from huikuan.cases.views_data import load_case, visible_cases
from huikuan.inputs import message
from huikuan.kernel.identifiers import normalise_reference
from huikuan.kernel.inputs import InputError, clean_text
from huikuan.org.permissions import can_reveal_pii
from huikuan.org.visibility import case_filter
from huikuan.portfolio.models import ContactPoint


def login_locked_out(request: HttpRequest, original_response: Any = None, credentials: Any = None) -> HttpResponse:
    """django-axes' answer to a locked-out name: the login page saying why and for how long (429)."""
    context = {
        "locked_out": True,
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "minutes": math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60),
        "next": request.POST.get("next", "") if request.method == "POST" else "",
    }
    return render(request, "web/login.html", context, status=429)


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    cases = visible_cases(request.user).order_by("oldest_due_date", "id")
    status = request.GET.get("status", "")
    if status in CaseStatus.values:
        cases = cases.filter(status=status)
    # Customer and contract numbers are stored folded to ASCII digits: a number typed in full width finds them.
    query = normalise_reference(request.GET.get("q", ""))[:200]
    if query:
        cases = cases.filter(
            Q(debtor__customer_no=query) | Q(debtor__accounts__contract_no=query) | Q(debtor__name=query)
        ).distinct()
    page = Paginator(cases, 50).get_page(request.GET.get("page"))
    today = clock.today()
    rows = [(case, case.dpd(today), case.bucket(today).value, case.stage(today).value) for case in page]
    return render(
        request,
        "web/case_list.html",
        {"page": page, "rows": rows, "status": status, "q": query, "statuses": CaseStatus.choices},
    )


@login_required
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    case = visible_case_or_404(request.user, case_id)
    view = load_case(case, clock.today())
    return render(request, "web/case_detail.html", {"v": view, "can_reveal": can_reveal_pii(request.user)})


@login_required
@require_POST
def reveal_contact(request: HttpRequest, point_id: int) -> HttpResponse:
    point = get_object_or_404(
        ContactPoint.objects.select_related("debtor"),
        Q(pk=point_id),
        case_filter(request.user, "debtor__case__"),
    )
    try:
        reason = clean_text(request.POST.get("reason", ""), max_length=200)
    except InputError as exc:
        return HttpResponseBadRequest(message(exc))
    try:
        value = reveal_contact_point(request.user, point, reason)
    except ValueError as exc:
        return HttpResponseBadRequest(str(exc))
    return render(request, "web/_revealed.html", {"value": value})
