"""The QA register: every blocked or warned contact and every flagged text, with a review state."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_POST

from huikuan.compliance.actions import review
from huikuan.compliance.models import ContactDecision, ReviewState, TextFlag
from huikuan.inputs import message
from huikuan.kernel.inputs import InputError, clean_text
from huikuan.org.permissions import can_view_qa_register
from huikuan.org.visibility import case_filter


def _allowed(request: HttpRequest) -> None:
    """The register's pages; who may review an item is the review action's to say."""
    if not can_view_qa_register(request.user):
        raise PermissionDenied


@login_required
def register(request: HttpRequest) -> HttpResponse:
    _allowed(request)
    kind = "flags" if request.GET.get("kind") == "flags" else "decisions"
    state = request.GET.get("state", ReviewState.OPEN)
    scope = case_filter(request.user, "case__")
    if state in ReviewState.values:
        scope &= Q(review_state=state)
    rows: QuerySet[TextFlag] | QuerySet[ContactDecision]
    if kind == "flags":
        rows = TextFlag.objects.filter(scope)
        if request.GET.get("category"):
            rows = rows.filter(category=request.GET["category"])
    else:
        rows = ContactDecision.objects.filter(scope)
        if request.GET.get("blocked"):
            rows = rows.filter(allowed=False)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "compliance/register.html",
        {"page": page, "kind": kind, "state": state, "states": ReviewState.choices},
    )


@login_required
@require_POST
def review_item(request: HttpRequest, kind: str, item_id: int) -> HttpResponse:
    _allowed(request)
    scope = case_filter(request.user, "case__")
    item: TextFlag | ContactDecision = (
        get_object_or_404(TextFlag.objects.filter(scope), pk=item_id)
        if kind == "flags"
        else get_object_or_404(ContactDecision.objects.filter(scope), pk=item_id)
    )
    state = request.POST.get("state", "")
    if state not in (ReviewState.CONFIRMED, ReviewState.DISMISSED):
        return HttpResponseBadRequest("state")
    try:
        review(item, request.user, state, clean_text(request.POST.get("note", ""), max_length=300))
    except InputError as exc:
        return HttpResponseBadRequest(message(exc))
    except ValueError as exc:
        return HttpResponseBadRequest(str(exc))
    return render(request, "compliance/_review_state.html", {"item": item})
