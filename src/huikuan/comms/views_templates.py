"""The message-template screens: list, versions and diff, a new version, preview with a case, activation.

Thin: each view asks the screen's capability (org.permissions), reads a read model or calls a use case of
``comms.templates`` (which asks again for what it changes), and renders.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from huikuan.comms.models import CommChannel, Purpose, Template, TemplateVersion, Tone, VersionStatus
from huikuan.comms.preview import preview
from huikuan.comms.templates import ActivationRefused, activate_version, create_version, screen_version
from huikuan.comms.views_data import (
    SCREEN_CATEGORIES,
    SCREEN_SEVERITIES,
    TemplateFilters,
    starting_point,
    template_rows,
    version_diff,
    visible_case,
)
from huikuan.inputs import message
from huikuan.kernel.comms.render import VARIABLES, TemplateError
from huikuan.kernel.comms.sms import sms_length
from huikuan.kernel.inputs import InputError, clean_text, parse_int
from huikuan.org.permissions import can_manage_templates, can_view_templates


def _viewer(request: HttpRequest) -> None:
    if not can_view_templates(request.user):
        raise PermissionDenied


def _editor(request: HttpRequest) -> None:
    if not can_manage_templates(request.user):
        raise PermissionDenied


def _flags(flags: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {**f, "label": SCREEN_CATEGORIES.get(f["category"], f["category"]),
         "severity_label": SCREEN_SEVERITIES.get(f["severity"], f["severity"])}
        for f in flags
    ]  # fmt: skip


@login_required
def template_list(request: HttpRequest) -> HttpResponse:
    _viewer(request)
    filters = TemplateFilters(
        channel=request.GET.get("channel", "") if request.GET.get("channel") in CommChannel.values else "",
        purpose=request.GET.get("purpose", "") if request.GET.get("purpose") in Purpose.values else "",
        tone=request.GET.get("tone", "") if request.GET.get("tone") in Tone.values else "",
        language=request.GET.get("language", "") if request.GET.get("language") in dict(settings.LANGUAGES) else "",
    )
    return render(
        request,
        "comms/screen/list.html",
        {
            "rows": template_rows(filters),
            "filters": filters,
            "channels": CommChannel.choices,
            "purposes": Purpose.choices,
            "tones": Tone.choices,
            "languages": settings.LANGUAGES,
        },
    )


@login_required
def template_detail(request: HttpRequest, template_id: int) -> HttpResponse:
    _viewer(request)
    template = get_object_or_404(Template, pk=template_id)
    versions = list(template.versions.select_related("created_by", "activated_by").order_by("-number"))
    by_number = {v.number: v for v in versions}
    active = next((v for v in versions if v.status == VersionStatus.ACTIVE), None)
    diff = None
    if len(versions) > 1:
        # By default: what the newest version changes against the one in force (or the one before it).
        newest = versions[0]
        default_old = active if active is not None and active is not newest else versions[1]
        old = by_number.get(_number(request.GET.get("a")), default_old)
        new = by_number.get(_number(request.GET.get("b")), newest)
        diff = version_diff(old, new)
    return render(
        request,
        "comms/screen/detail.html",
        {"template": template, "versions": versions, "active": active, "diff": diff,
         "can_edit": can_manage_templates(request.user)},
    )  # fmt: skip


def _number(raw: str | None) -> int:
    """A version number from the query string; 0 (none) for anything that is not one."""
    try:
        return parse_int(raw or "", low=1, high=10**6)
    except InputError:
        return 0


@login_required
def new_version(request: HttpRequest, template_id: int) -> HttpResponse:
    _editor(request)
    template = get_object_or_404(Template, pk=template_id)
    base = starting_point(template, _number(request.GET.get("from")) or None)
    form = {"subject": base.subject, "body": base.body, "html": base.html} if base else {}
    error = ""
    if request.method == "POST":
        form = {name: request.POST.get(name, "") for name in ("subject", "body", "html")}
        try:
            subject = clean_text(form["subject"], max_length=200)
            body = clean_text(form["body"], max_length=20000, multiline=True)
            html = clean_text(form["html"], max_length=200000, multiline=True)
            version = create_version(request.user, template, subject=subject, body=body, html=html)
        except InputError as exc:
            error = message(exc)
        except TemplateError as exc:
            error = str(exc)
        else:
            return redirect("comms:template-version", template.pk, version.number)
    return render(
        request,
        "comms/screen/new.html",
        {"template": template, "base": base, "form": form, "error": error, "variables": VARIABLES,
         "sms": sms_length(form.get("body", "")) if template.channel == CommChannel.SMS else None},
        status=400 if error else 200,
    )  # fmt: skip


def _version(template_id: int, number: int) -> TemplateVersion:
    return get_object_or_404(
        TemplateVersion.objects.select_related("template", "created_by", "activated_by"),
        template_id=template_id,
        number=number,
    )


def _version_page(request: HttpRequest, version: TemplateVersion, **extra: Any) -> HttpResponse:
    # A draft is screened afresh on every look (the lexicon may have changed since it was saved); a version
    # that was in force shows what the screener said when it was activated.
    flags = screen_version(version) if version.status == VersionStatus.DRAFT else version.screening
    context = {
        "template": version.template,
        "version": version,
        "flags": _flags(extra.pop("flags", None) or flags),
        "can_edit": can_manage_templates(request.user),
        "sms": sms_length(version.body) if version.template.channel == CommChannel.SMS else None,
        **extra,
    }
    return render(request, "comms/screen/version.html", context)


@login_required
def version_detail(request: HttpRequest, template_id: int, number: int) -> HttpResponse:
    _viewer(request)
    return _version_page(request, _version(template_id, number))


@login_required
@require_POST
def activate(request: HttpRequest, template_id: int, number: int) -> HttpResponse:
    _editor(request)
    version = _version(template_id, number)
    try:
        activate_version(request.user, version)
    except ActivationRefused as refused:
        version.refresh_from_db()
        return _version_page(request, version, refused=True, flags=refused.flags)
    return redirect("comms:template", template_id)


@login_required
def preview_with_case(request: HttpRequest, template_id: int, number: int) -> HttpResponse:
    _viewer(request)
    version = _version(template_id, number)
    query = request.GET.get("case", "")
    case = visible_case(request.user, query)
    if case is None:
        # The same answer for a case that does not exist and one outside the user's visibility.
        return render(request, "comms/screen/_preview.html", {"missing_case": True, "query": query}, status=404)
    shown = preview(version, case, masked=True)
    return render(request, "comms/screen/_preview.html", {"case": case, "shown": shown, "version": version})


@login_required
@require_POST
def sms_count(request: HttpRequest) -> HttpResponse:
    _viewer(request)
    return render(request, "comms/screen/_sms_count.html", {"sms": sms_length(request.POST.get("body", ""))})
