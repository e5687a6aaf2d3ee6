"""Add or correct a phone number or an address of a case's debtor (cases.contact_points holds the rules)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from huikuan.cases.access import visible_case_or_404
from huikuan.cases.contact_points import ContactPointError, NewContact, add_contact_point
from huikuan.cases.models import Case
from huikuan.inputs import message
from huikuan.kernel.inputs import InputError, clean_text, parse_int
from huikuan.org.permissions import can_edit_contacts
from huikuan.portfolio.models import ContactKind, ContactPoint, Relation


def _entry(post: Any) -> tuple[NewContact | None, dict[str, str]]:
    errors: dict[str, str] = {}
    texts: dict[str, str] = {}
    for name, limit in (("value", 300), ("contact_name", 100), ("reason", 200)):
        try:
            texts[name] = clean_text(post.get(name, ""), max_length=limit)
        except InputError as exc:
            errors[name] = message(exc)
    if not texts.get("value") and "value" not in errors:
        errors["value"] = message(InputError("required"))
    if not texts.get("reason") and "reason" not in errors:
        errors["reason"] = message(InputError("required"))
    replaces = None
    if post.get("replaces", "").strip():
        try:
            replaces = parse_int(post.get("replaces", ""), low=1, high=2**63 - 1)
        except InputError as exc:
            errors["replaces"] = message(exc)
    if errors:
        return None, errors
    entry = NewContact(
        kind=post.get("kind", ""),
        value=texts["value"],
        relation=post.get("relation", Relation.SELF),
        contact_name=texts.get("contact_name", ""),
        reason=texts["reason"],
        replaces=replaces,
    )
    return entry, {}


def _page(request: HttpRequest, case: Case, status: int = 200, **extra: Any) -> HttpResponse:
    context: dict[str, Any] = {
        "case": case,
        "points": list(ContactPoint.objects.filter(debtor_id=case.debtor_id).order_by("kind", "pk")),
        "kinds": ContactKind.choices,
        "relations": Relation.choices,
        "form": {"kind": request.GET.get("kind", ContactKind.MOBILE), "replaces": request.GET.get("replaces", "")},
        "errors": {},
        **extra,
    }
    return render(request, "workbench/contacts.html", context, status=status)


@login_required
def contacts(request: HttpRequest, case_id: int) -> HttpResponse:
    case = visible_case_or_404(request.user, case_id)
    if not can_edit_contacts(request.user):
        raise PermissionDenied(_("Your role may not change contact details."))
    if request.method != "POST":
        return _page(request, case)
    entry, errors = _entry(request.POST)
    if entry is not None:
        try:
            point = add_contact_point(request.user, case, entry)
        except ContactPointError as exc:
            errors = exc.errors
        else:
            return redirect(reverse("web:case", args=[case.pk]) + f"?contact={point.pk}#contacts")
    return _page(request, case, 400, form=request.POST, errors=errors)
