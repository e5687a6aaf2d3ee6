"""The user guide in the product: /help/ (by role, with search), "?" from every page, the first-login tour."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.views.decorators.http import require_POST

from huikuan import clock
from huikuan.inputs import message
from huikuan.kernel.inputs import InputError, clean_text
from huikuan.org.models import User
from huikuan.web import guide

MAX_QUERY = 100


def _lang() -> str:
    return guide.guide_language(get_language())


@login_required
def help_index(request: HttpRequest) -> HttpResponse:
    lang = _lang()
    mine = guide.guide_for_user(request.user)
    guides = guide.all_guides(lang)
    guides.sort(key=lambda g: g.role != mine)
    query, problem, hits = "", "", []
    if "q" in request.GET:
        try:
            query = clean_text(request.GET.get("q", ""), max_length=MAX_QUERY)
        except InputError as exc:
            problem = message(exc)
        hits = guide.search(query, lang) if query and not problem else []
    status = 400 if problem else 200
    return render(
        request,
        "web/help_index.html",
        {"guides": guides, "mine": mine, "q": query, "hits": hits, "searched": bool(query), "problem": problem},
        status=status,
    )


@login_required
def help_role(request: HttpRequest, role: str) -> HttpResponse:
    if role not in guide.ROLES:
        raise Http404(role)
    role_guide = guide.role_guide(role, _lang())
    sections = [(s, guide.render_markdown(s.source)) for s in role_guide.sections]
    return render(
        request,
        "web/help_role.html",
        {"guide": role_guide, "intro": guide.render_markdown(role_guide.intro), "sections": sections},
    )


@login_required
def help_for_page(request: HttpRequest, view_name: str) -> HttpResponse:
    """The "?" of a page: the section explaining it (the reader's role's guide first), else the guide's start."""
    found = guide.section_for_page(view_name, _lang(), guide.guide_for_user(request.user))
    if found is None:
        return HttpResponseRedirect(reverse("web:help"))
    role, anchor = found
    return HttpResponseRedirect(reverse("web:help-role", args=[role]) + f"#{anchor}")


@login_required
@require_POST
def dismiss_tour(request: HttpRequest) -> HttpResponse:
    """The tour is dismissed for good: it is remembered on the user, not in the session."""
    User.objects.filter(pk=request.user.pk or 0, tour_done_at__isnull=True).update(tour_done_at=clock.now())
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("workbench:queue")
    return HttpResponseRedirect(target)
