"""The visit pages: the day's visits by district, the address revealed for a visit, the visit form.

The views parse the fields (kernel.inputs) and call the actions; the rules are ``fieldwork.actions`` and
``kernel.visits``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from huikuan import clock
from huikuan.cases.access import visible_case_or_404
from huikuan.cases.models import Case
from huikuan.fieldwork.actions import (
    VISIT,
    VisitEntry,
    VisitError,
    record_visit,
    reveal_visit_address,
    todays_visit_item,
    visit_address,
)
from huikuan.fieldwork.models import PersonMet, VisitAttachment, VisitOutcome
from huikuan.fieldwork.queries import visit_day, visits_of_case
from huikuan.inputs import max_amount, message
from huikuan.kernel.inputs import InputError, clean_text, parse_day, parse_int, parse_local_datetime, parse_money
from huikuan.org.models import Role, User
from huikuan.org.permissions import can_close_work_item
from huikuan.payments.models import PlanKind

T = TypeVar("T")
MAX_ID = 2**63 - 1


def _local(value: str) -> Any:
    """A datetime-local input (the collector's wall clock, the site's zone) as an aware instant."""
    return timezone.make_aware(parse_local_datetime(value))


def parse_visit(post: Any) -> tuple[VisitEntry | None, dict[str, str]]:
    """The visit form field by field; every wrong field named at once."""
    errors: dict[str, str] = {}

    def field(name: str, parse: Callable[[str], T], *, required: bool = False) -> T | None:
        raw = str(post.get(name, ""))
        if not raw.strip():
            if required:
                errors[name] = message(InputError("required"))
            return None
        try:
            return parse(raw)
        except InputError as exc:
            errors[name] = message(exc)
            return None

    arrived = field("arrived_at", _local, required=True)
    left = field("left_at", _local, required=True)
    second = field("second_collector", lambda v: parse_int(v, low=1, high=MAX_ID))
    notes = field("notes", lambda v: clean_text(v, max_length=20000, multiline=True)) or ""
    promise_amount = field("promise_amount", lambda v: parse_money(v, maximum=max_amount()))
    promise_date = field("promise_date", parse_day)
    plan_kind = field("plan_kind", lambda v: clean_text(v, max_length=30)) or ""
    reference = field("payment_reference", lambda v: clean_text(v, max_length=120)) or ""
    outcome = str(post.get("outcome", ""))
    if not outcome:
        errors["outcome"] = _("Choose the outcome of the visit.")
    if plan_kind and plan_kind not in PlanKind.values:
        errors["plan_kind"] = _("Choose a plan from the list.")
    if errors or arrived is None or left is None:
        return None, errors
    persons = frozenset(str(p) for p in post.getlist("persons_met")) if hasattr(post, "getlist") else frozenset()
    entry = VisitEntry(
        outcome=outcome,
        persons_met=persons,
        arrived_at=arrived,
        left_at=left,
        second_collector_id=second,
        notes=notes,
        promise_amount=promise_amount,
        promise_date=promise_date,
        plan_kind=plan_kind,
        payment_reference=reference,
    )
    return entry, {}


def companions_for(user: Any) -> list[User]:
    """Whom the form offers as the second collector: the active collectors and leads of the user's team (an
    administrator's: everyone's), the user excepted."""
    found = User.objects.filter(is_active=True, role__in=[Role.COLLECTOR, Role.TEAM_LEAD]).exclude(pk=user.pk)
    if getattr(user, "team_id", None):
        found = found.filter(team_id=user.team_id)
    return list(found.order_by("username"))


def _lang() -> str:
    return "en" if (translation.get_language() or "zh-hans").startswith("en") else "zh"


@login_required
def day(request: HttpRequest) -> HttpResponse:
    """The user's visits of the day, grouped by district; addresses masked until revealed for the visit."""
    now = clock.now()
    today = clock.today()
    return render(
        request,
        "fieldwork/day.html",
        {
            "today": today,
            "districts": visit_day(request.user, today, now, _lang()),
            "saved": request.GET.get("saved", ""),
        },
    )


@login_required
@require_POST
def reveal(request: HttpRequest, item_id: int) -> HttpResponse:
    revealed = reveal_visit_address(request.user, item_id)
    return render(request, "fieldwork/_address.html", {"value": revealed.value, "item": revealed.item})


def _form_page(request: HttpRequest, case: Case, status: int = 200, **extra: Any) -> HttpResponse:
    item = todays_visit_item(case, clock.today())
    address = visit_address(case, item)
    context: dict[str, Any] = {
        "case": case,
        "item": item,
        "address": address,
        "outcomes": VisitOutcome.choices,
        "persons": PersonMet.choices,
        "plan_kinds": PlanKind.choices,
        "companions": companions_for(request.user),
        "visits": visits_of_case(case.pk),
        "form": {"persons_met": []},
        "errors": {},
        "messages_": [],
        **extra,
    }
    return render(request, "fieldwork/visit.html", context, status=status)


@login_required
def visit(request: HttpRequest, case_id: int) -> HttpResponse:
    """The visit form of a case; saving records the visit and closes the day's visit item."""
    case = visible_case_or_404(request.user, case_id)
    if not can_close_work_item(request.user, VISIT):
        raise PermissionDenied(_("Your role does not make field visits."))
    if request.method != "POST":
        return _form_page(request, case)
    form: dict[str, Any] = {key: request.POST.get(key, "") for key in request.POST}
    form["persons_met"] = request.POST.getlist("persons_met")
    entry, errors = parse_visit(request.POST)
    uploads = [f for f in request.FILES.getlist("files") if isinstance(f, UploadedFile)]
    if entry is None:
        return _form_page(request, case, 400, form=form, errors=errors, messages_=list(errors.values()))
    try:
        saved = record_visit(request.user, case, entry, uploads)
    except VisitError as exc:
        return _form_page(
            request, case, 400, form=form, errors=exc.fields, messages_=exc.messages, blocked=exc.blocked is not None
        )
    return redirect(reverse("fieldwork:day") + f"?saved={saved.pk}")


@login_required
def attachment(request: HttpRequest, attachment_id: int) -> FileResponse:
    """An attachment's file, for whoever sees its case (the same 404 for another team's as for none)."""
    found = VisitAttachment.objects.filter(pk=attachment_id).select_related("visit").first()
    if found is None:
        raise Http404
    visible_case_or_404(request.user, found.visit.case_id)
    return FileResponse(found.file.open("rb"), content_type=found.media_type, filename=found.name)
