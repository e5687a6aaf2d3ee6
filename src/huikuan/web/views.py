"""Thin views: they read the request, call a read model or an action, and render."""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import F, Q
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404, render
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from huikuan import clock
from huikuan.cases.access import reveal_contact_point, visible_case_or_404
from huikuan.cases.models import CaseStatus
from huikuan.cases.search import matched_by, search_cases
from huikuan.cases.views_data import load_case, visible_cases
from huikuan.inputs import message, parse_choice
from huikuan.kernel import pii
from huikuan.kernel.identifiers import has_control
from huikuan.kernel.inputs import InputError, clean_text
from huikuan.kernel.search import MAX_QUERY, SearchError, parse_query
from huikuan.org.permissions import can_lead_team, can_reveal_pii
from huikuan.org.visibility import case_filter
from huikuan.portfolio.models import ContactPoint
from huikuan.workbench.actions import team_collectors
from huikuan.workbench.dealing import unassigned_cases

SEARCH_PROBLEMS = {
    "control": gettext_lazy("The search text has a control character; type it again."),
    "too_long": gettext_lazy("The search text is too long: at most 100 characters."),
}


def login_locked_out(request: HttpRequest, original_response: Any = None, credentials: Any = None) -> HttpResponse:
    """django-axes' answer to a locked-out name: the login page saying why and for how long (429)."""
    context = {
        "locked_out": True,
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "minutes": math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60),
        "next": request.POST.get("next", "") if request.method == "POST" else "",
    }
    return render(request, "web/login.html", context, status=429)


# The case list's "who holds it" filter: the codes, and what a lead uses to find the team's unassigned cases.
OWNERS = (("mine", gettext_lazy("Mine")), ("none", gettext_lazy("Unassigned")))


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    """The cases this user may see, searched by what is stored (kernel.search) and shown masked."""
    # Oldest debt first; cases owing nothing (closed, paid off: no due date) last on both databases (SQLite
    # sorts NULL first: the demo's collector saw a page of closed cases before any open one).
    cases = visible_cases(request.user).order_by(F("oldest_due_date").asc(nulls_last=True), "id")
    problems: list[str] = []
    status = parse_choice(request.GET.get("status", ""), CaseStatus.choices)
    owner = parse_choice(request.GET.get("owner", ""), OWNERS)
    if status is None or owner is None:
        problems.append(_("That filter names no status or holder; choose from the lists."))
    if status:
        cases = cases.filter(status=status)
    if owner == "mine":
        cases = cases.filter(assignee_id=request.user.pk)
    elif owner == "none":
        cases = cases.filter(assignee__isnull=True)
    raw = request.GET.get("q", "")
    try:
        terms = parse_query(raw)
    except SearchError as exc:
        problems.append(str(SEARCH_PROBLEMS[exc.code]))
        terms = parse_query("")
    if not terms.empty:
        cases = search_cases(cases, terms)
    page = Paginator(cases, 50).get_page(request.GET.get("page"))
    today = clock.today()
    # The team's lead assigns its cases here (an administrator, who leads no team, in the admin).
    lead = can_lead_team(request.user) and getattr(request.user, "team_id", None) is not None
    found = matched_by(page, terms)
    rows = [
        (case, case.dpd(today), case.bucket(today).value, case.stage(today).value, found.get(case.pk, []))
        for case in page
    ]
    # Echoed into the box as typed (escaped by the template), unless it cannot be searched at all.
    # A whole ID number is echoed masked (submitted again, it searches by its tail).
    query = "" if has_control(raw) else raw.strip()[:MAX_QUERY]
    if terms.id_number:
        query = pii.mask_id_number(terms.id_number)
    return render(
        request,
        "web/case_list.html",
        {
            "page": page,
            "rows": rows,
            "status": status or "",
            "owner": owner or "",
            "q": query,
            "statuses": CaseStatus.choices,
            "owners": OWNERS,
            "problems": problems,
            "searched": not terms.empty,
            "can_assign": lead,
            "collectors": team_collectors(request.user) if lead else [],
            "unassigned": unassigned_cases(request.user).count() if lead else 0,
        },
        status=400 if problems else 200,
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


def favicon(request: HttpRequest) -> HttpResponse:
    # The static name is resolved per request: in production it is the manifest's hashed name, which exists
    # only once collectstatic has run (never at import time).
    return HttpResponsePermanentRedirect(static("web/favicon.svg"))


# The error pages (config.urls' handler400/403/404/500): styled and in the user's language. They depend on
# nothing of the request but its language: another team's case and a missing one get the same bytes (the
# case oracle test), and the 500 page renders without the user or the database.


def _error_page(request: HttpRequest, status: int, title: str, message: str, detail: str = "") -> HttpResponse:
    context = {"status": status, "title": title, "message": message, "detail": detail}
    return render(request, "web/error.html", context, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(
        request,
        400,
        _("Bad request"),
        _("The request could not be understood. Go back, check what you entered and try again."),
    )


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # The actions' refusals (org.permissions.require) say why in the user's language: shown as they are.
    detail = str(exception) if exception is not None and str(exception) else ""
    return _error_page(request, 403, _("Not allowed"), _("Your role may not open this page or do this."), detail)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _error_page(
        request,
        403,
        _("Not allowed"),
        _("The form was sent from a page that has expired. Open the page again and repeat what you did."),
    )


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(
        request,
        404,
        _("Page not found"),
        _("There is no such page, or the case is not one you may see."),
    )


def server_error(request: HttpRequest) -> HttpResponse:
    return _error_page(
        request,
        500,
        _("Something went wrong"),
        _(
            "The server could not finish this request. Nothing was saved by it; try again in a moment, "
            "and tell your administrator if it happens again."
        ),
    )
