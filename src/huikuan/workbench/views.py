"""Thin views of the workbench: read the request, call a read model or an action, render."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any, TypeVar

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from huikuan import clock
from huikuan.cases.access import visible_case_or_404
from huikuan.cases.models import STAGE_LABELS, Case, Outcome
from huikuan.compliance.actions import screen_and_register
from huikuan.compliance.models import ContactDecision, ReviewState, TextFlag
from huikuan.inputs import max_amount, message
from huikuan.kernel.delinquency import Stage
from huikuan.kernel.inputs import InputError, clean_text, parse_day, parse_int, parse_local_datetime, parse_money
from huikuan.kernel.scripts import card, match_objections
from huikuan.org.models import User
from huikuan.org.permissions import can_lead_team, can_post_payments, can_reveal_pii
from huikuan.payments.guards import ActionError
from huikuan.payments.incoming import OverpaymentUnconfirmed, post_payment
from huikuan.payments.models import WaiverRequest
from huikuan.payments.posting import KeyConflict
from huikuan.payments.waivers import approve_waiver, reject_waiver, waivers_awaiting
from huikuan.portfolio.models import Account
from huikuan.strategy.models import WorkItem, WorkStatus
from huikuan.workbench.actions import OutcomeEntry, OutcomeError, reassign_case, save_outcome, team_collectors
from huikuan.workbench.handover import DECISIONS, HandOverError, close_hand_over
from huikuan.workbench.identity import IdentityError, verify_identity
from huikuan.workbench.library import current_library
from huikuan.workbench.views_data import (
    QueueFilters,
    callbacks_due,
    has_open_items,
    load_queue,
    load_workbench,
    next_case_id,
    promise_confirm,
    queue_left,
    routing_warnings,
    team_overview,
    typed_promise,
)

# Keyboard shortcut of each outcome code on the call screen (digits first: the hand is on the number row).
SHORTCUTS = (
    ("1", Outcome.RIGHT_PARTY),
    ("2", Outcome.THIRD_PARTY),
    ("3", Outcome.NO_ANSWER),
    ("4", Outcome.BUSY),
    ("5", Outcome.SWITCHED_OFF),
    ("6", Outcome.WRONG_NUMBER),
    ("7", Outcome.PROMISE),
    ("8", Outcome.PLAN_ACCEPTED),
    ("9", Outcome.REFUSAL),
    ("0", Outcome.DISPUTE),
    ("h", Outcome.HARDSHIP),
    ("c", Outcome.CALLBACK),
    ("u", Outcome.HUNG_UP),
)


def _lang() -> str:
    return "en" if (get_language() or "").startswith("en") else "zh"


T = TypeVar("T")
MAX_ID = 2**63 - 1


def _local(value: str) -> datetime:
    """A datetime-local input (the collector's wall clock, i.e. the site's zone) as an aware instant."""
    return timezone.make_aware(parse_local_datetime(value))


def _id(value: str) -> int:
    return parse_int(value, low=1, high=MAX_ID)


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    now = clock.now()
    today = timezone.localdate(now)
    filters = QueueFilters(
        stage=request.GET.get("stage", ""),
        action=request.GET.get("action", ""),
        behaviour=request.GET.get("behaviour", ""),
        callable_now=request.GET.get("now") == "1",
    )
    rows = load_queue(request.user, today, filters, now, _lang())
    day_end = timezone.make_aware(datetime.combine(today + timedelta(days=1), time(0)))
    return render(
        request,
        "workbench/queue.html",
        {
            "rows": rows,
            "filters": filters,
            "today": today,
            # "Next case" reached the end of the queue: what is left cannot be worked now.
            "passed": request.GET.get("end") == "1",
            "left": queue_left(request.user, today) if request.GET.get("end") == "1" else 0,
            "callbacks": callbacks_due(request.user, day_end),
            "stages": [(s.value, STAGE_LABELS[s]) for s in Stage],
        },
    )


@login_required
def next_case(request: HttpRequest) -> HttpResponse:
    now = clock.now()
    after = request.GET.get("after", "")
    try:
        after_id = _id(after) if after else None
    except InputError as exc:
        return HttpResponseBadRequest(message(exc))
    case_id = next_case_id(request.user, timezone.localdate(now), now, after_id)
    if case_id is None:
        return redirect(reverse("workbench:queue") + "?end=1")
    return redirect("web:case", case_id=case_id)


@login_required
def case_page(request: HttpRequest, case_id: int) -> HttpResponse:
    case = visible_case_or_404(request.user, case_id)
    wb = load_workbench(case, request.user, clock.now(), _lang())
    return render(
        request,
        "workbench/case.html",
        {
            "wb": wb,
            "v": wb.view,
            "can_reveal": can_reveal_pii(request.user),
            "can_post": can_post_payments(request.user),
            "shortcuts": SHORTCUTS,
            "outcomes": Outcome.choices,
            "min_date": wb.debtor_today.isoformat(),
            "handover_decisions": DECISIONS,
        },
    )


def _entry(post: Any) -> OutcomeEntry:
    """The save form parsed field by field; every field that is wrong is named at once (OutcomeError)."""
    errors: list[str] = []

    def field(name: str, label: str, parse: Callable[[str], T]) -> T | None:
        raw = post.get(name, "")
        if not raw.strip():
            return None
        try:
            return parse(raw)
        except InputError as exc:
            errors.append(f"{label}: {message(exc)}")
            return None

    entry = OutcomeEntry(
        outcome=post.get("outcome", ""),
        point_id=field("point", _("Contact point"), _id),
        notes=field("notes", _("Notes"), lambda v: clean_text(v, max_length=20000, multiline=True)) or "",
        callback_at=field("callback_at", _("Call-back time"), _local),
        promise_amount=field("promise_amount", _("Promise amount"), lambda v: parse_money(v, maximum=max_amount())),
        promise_date=field("promise_date", _("Promise date"), parse_day),
        plan_kind=field("plan_kind", _("Plan"), lambda v: clean_text(v, max_length=30)) or "",
        payment_reference=field("payment_reference", _("Payment reference"), lambda v: clean_text(v, max_length=120))
        or "",
        stop_calls=post.get("stop_calls") == "on",
        complaint=post.get("complaint") == "on",
    )
    if errors:
        raise OutcomeError(errors)
    return entry


@login_required
@require_POST
def save(request: HttpRequest, case_id: int) -> HttpResponse:
    case = visible_case_or_404(request.user, case_id)
    recording = request.FILES.get("recording")
    assert recording is None or isinstance(recording, UploadedFile)
    try:
        saved = save_outcome(request.user, case, _entry(request.POST), recording=recording)
    except OutcomeError as exc:
        return render(request, "workbench/_errors.html", {"errors": exc.messages}, status=200)
    now = clock.now()
    following = next_case_id(request.user, timezone.localdate(now), now, after=case.pk)
    target = reverse("web:case", args=[following]) if following else reverse("workbench:queue") + "?end=1"
    if request.headers.get("HX-Request"):
        response = render(request, "workbench/_saved.html", {"saved": saved, "target": target})
        response["HX-Redirect"] = target
        return response
    return redirect(target)


@login_required
@require_POST
def identity(request: HttpRequest, case_id: int) -> HttpResponse:
    """The identity check: "match" or "no match" for what the debtor said, never the stored value."""
    case = visible_case_or_404(request.user, case_id)
    try:
        result = verify_identity(request.user, case, request.POST.get("said", ""))
    except IdentityError as exc:
        return render(
            request, "workbench/_identity.html", {"errors": exc.messages, "company": case.debtor.kind == "company"}
        )
    return render(request, "workbench/_identity.html", {"result": result, "company": case.debtor.kind == "company"})


@login_required
def confirm(request: HttpRequest, case_id: int) -> HttpResponse:
    """Step 4 for the promise being typed: the amount and the date read back exactly as entered."""
    case = visible_case_or_404(request.user, case_id)
    amount, due, problem = typed_promise(request.GET.get("promise_amount", ""), request.GET.get("promise_date", ""))
    lines: tuple[str, ...] = ()
    if amount is not None and due is not None:
        lines = promise_confirm(case, request.user, clock.now(), _lang(), amount, due)
    return render(request, "workbench/_confirm.html", {"lines": lines, "problem": problem})


@login_required
@require_POST
def hand_over(request: HttpRequest, case_id: int) -> HttpResponse:
    """Close a specialist hand-over or a legal review; then on to the next case once nothing is left here."""
    case = visible_case_or_404(request.user, case_id)
    try:
        close_hand_over(
            request.user, case, request.POST.get("action", ""), request.POST.get("decision", ""),
            request.POST.get("note", ""),
        )  # fmt: skip
    except HandOverError as exc:
        return render(request, "workbench/_errors.html", {"errors": exc.messages}, status=400)
    now = clock.now()
    if has_open_items(request.user, case, timezone.localdate(now)):
        return redirect("web:case", case_id=case.pk)
    following = next_case_id(request.user, timezone.localdate(now), now, after=case.pk)
    return redirect(reverse("web:case", args=[following]) if following else reverse("workbench:queue") + "?end=1")


@login_required
@require_POST
def notes_preview(request: HttpRequest, case_id: int) -> HttpResponse:
    visible_case_or_404(request.user, case_id)
    text = request.POST.get("notes", "")
    # A preview is not evidence: nothing is registered until the note is saved.
    flags = screen_and_register(text, source="note", lang=_lang(), register=False) if text.strip() else []
    marked = [(f, text[f.start : f.end]) for f in flags]
    return render(request, "workbench/_flags.html", {"flags": marked})


@login_required
def objections(request: HttpRequest, case_id: int) -> HttpResponse:
    case = visible_case_or_404(request.user, case_id)
    library = current_library()
    lang = _lang()
    key = request.GET.get("key", "")
    keys = [key] if key else [m.key for m in match_objections(request.GET.get("q", ""), library)]
    wb = load_workbench(case, request.user, clock.now(), lang) if keys else None
    cards = [c for c in wb.objections if c.key in keys] if wb else []
    cards.sort(key=lambda c: keys.index(c.key))
    return render(request, "workbench/_objections.html", {"cards": cards, "q": request.GET.get("q", ""), "card": card})


# --------------------------------------------------------------------------------------------- team lead


def _require_lead(user: Any) -> None:
    """The team's pages; each action they post to checks its own capability again."""
    if not can_lead_team(user):
        raise PermissionDenied


@login_required
def team(request: HttpRequest) -> HttpResponse:
    _require_lead(request.user)
    user: Any = request.user
    today = clock.today()
    collectors = team_collectors(user)
    overview = team_overview(collectors, today)
    team_cases = Q(case__team_id=user.team_id) if user.team_id else Q(pk__in=[])
    return render(
        request,
        "workbench/team.html",
        {
            "routing": routing_warnings(user, today),
            "overview": overview,
            "collectors": collectors,
            "waivers": list(waivers_awaiting(user)),
            "flags": list(
                TextFlag.objects.filter(team_cases, review_state=ReviewState.OPEN).select_related("case", "user")[:50]
            ),
            "decisions": list(
                ContactDecision.objects.filter(team_cases, review_state=ReviewState.OPEN).select_related(
                    "case", "user"
                )[:50]
            ),
            "open_items": list(
                WorkItem.objects.filter(as_of=today, assignee__in=collectors, status=WorkStatus.PENDING)
                .select_related("assignee", "case__debtor")
                .order_by("-priority")[:100]
            ),
        },
    )


@login_required
@require_POST
def reassign(request: HttpRequest) -> HttpResponse:
    _require_lead(request.user)
    try:
        case_id, to_id = _id(request.POST.get("case", "")), _id(request.POST.get("to", ""))
        reason = clean_text(request.POST.get("reason", ""), max_length=300)
    except InputError:
        return HttpResponseBadRequest(_("Choose a case and a collector, and say why in one line."))
    case = visible_case_or_404(request.user, case_id)
    to = get_object_or_404(User, pk=to_id)
    try:
        reassign_case(request.user, case, to, reason)
    except ValueError as exc:
        return HttpResponseBadRequest(str(exc))
    return redirect("workbench:team")


@login_required
@require_POST
def decide_waiver(request: HttpRequest, request_id: int) -> HttpResponse:
    _require_lead(request.user)
    waiver = get_object_or_404(WaiverRequest.objects.select_related("case"), pk=request_id)
    try:
        reason = clean_text(request.POST.get("reason", ""), max_length=300)
    except InputError as exc:
        return HttpResponseBadRequest(message(exc))
    try:
        if request.POST.get("decision") == "approve":
            approve_waiver(request.user, waiver, reason)
        else:
            reject_waiver(request.user, waiver, reason)
    except ActionError as exc:
        return HttpResponseBadRequest("; ".join(exc.messages))
    return redirect("workbench:team")


# --------------------------------------------------------------------------------------------- payments


def _payment_form(post: Any, case: Case) -> tuple[dict[str, Any], list[str]]:
    """The payment form parsed; the errors name their field."""
    values: dict[str, Any] = {}
    errors: list[str] = []
    parsers: dict[str, tuple[str, Callable[[str], Any]]] = {
        "amount": (_("Amount"), lambda v: parse_money(v, maximum=max_amount())),
        "paid_on": (_("Paid on"), parse_day),
        "reference": (_("Bank reference"), lambda v: clean_text(v, max_length=120)),
        "key": (_("Form key"), lambda v: clean_text(v, max_length=120)),
        "account": (_("Contract"), _id),
    }
    for name, (label, parse) in parsers.items():
        raw = post.get(name, "")
        if not raw.strip():
            if name in ("amount", "paid_on", "key"):
                errors.append(f"{label}: {message(InputError('required'))}")
            continue
        try:
            values[name] = parse(raw)
        except InputError as exc:
            errors.append(f"{label}: {message(exc)}")
    account = values.get("account")
    if account is not None:
        values["account"] = Account.objects.filter(pk=account, debtor_id=case.debtor_id).first()
        if values["account"] is None:
            errors.append(_("That account is not the debtor's."))
    return values, errors


@login_required
def payment(request: HttpRequest, case_id: int) -> HttpResponse:
    """Post a payment by hand (finance roles). An overpayment beyond the policy's threshold is shown back
    with the amount owed and posts only once confirmed; the form's key (a manual payment's, "manual:<key>"
    once stored) makes a double submit a replay."""
    case = visible_case_or_404(request.user, case_id)
    if not can_post_payments(request.user):
        raise PermissionDenied
    context: dict[str, Any] = {"case": case, "accounts": case.debtor.accounts.order_by("due_date"),
                               "key": uuid.uuid4().hex, "form": {}, "errors": [], "overpayment": None}  # fmt: skip
    if request.method == "POST":
        values, errors = _payment_form(request.POST, case)
        context.update(form=request.POST, key=request.POST.get("key", "")[:120] or context["key"], errors=errors)
        if not errors:
            try:
                posted, _created = post_payment(
                    request.user, case, values["amount"], values["paid_on"], values["key"],
                    reference=values.get("reference", ""), account=values.get("account"),
                    confirm_overpayment=request.POST.get("confirm_overpayment") == "on",
                )  # fmt: skip
            except OverpaymentUnconfirmed as exc:
                context["overpayment"] = exc
            except (ActionError, KeyConflict) as exc:
                context["errors"] = getattr(exc, "messages", [str(exc)])
            else:
                return redirect(reverse("web:case", args=[case.pk]) + f"?paid={posted.pk}")
        return render(request, "workbench/payment.html", context, status=200 if context["overpayment"] else 400)
    return render(request, "workbench/payment.html", context)
