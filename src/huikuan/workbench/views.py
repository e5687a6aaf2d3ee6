"""Thin views of the workbench: read the request, call a read model or an action, render."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from huikuan import clock
from huikuan.cases.access import visible_case_or_404
from huikuan.cases.models import STAGE_LABELS, Case, Outcome
from huikuan.compliance.actions import screen_and_register
from huikuan.compliance.models import ContactDecision, ReviewState, TextFlag
from huikuan.compliance.pack import current_pack
from huikuan.compliance.validation import notice_view
from huikuan.holidays.table import missing_next_year
from huikuan.inputs import max_amount, message, parse_choice
from huikuan.kernel.delinquency import Stage
from huikuan.kernel.inputs import InputError, clean_text, parse_day, parse_int, parse_local_datetime, parse_money
from huikuan.kernel.scripts import card, match_objections
from huikuan.kernel.strategy.policy import DEFAULT_LABELS, bare_label, behaviour_choices
from huikuan.org.models import User
from huikuan.org.permissions import (
    can_edit_contacts,
    can_lead_team,
    can_negotiate,
    can_post_payments,
    can_reveal_pii,
)
from huikuan.org.training import collector_of
from huikuan.org.visibility import case_filter
from huikuan.payments.guards import ActionError
from huikuan.payments.incoming import OverpaymentUnconfirmed, post_payment
from huikuan.payments.models import WaiverRequest
from huikuan.payments.policy import current_policy
from huikuan.payments.posting import KeyConflict
from huikuan.payments.promises import promise_refusals
from huikuan.payments.waivers import approve_waiver, reject_waiver, waivers_awaiting
from huikuan.portfolio.models import Account
from huikuan.workbench.actions import OutcomeEntry, OutcomeError, reassign_case, save_outcome, team_collectors
from huikuan.workbench.aftercare import next_attempt
from huikuan.workbench.dealing import assign_cases, deal_unassigned_cases
from huikuan.workbench.handover import DECISIONS, HandOverError, close_hand_over
from huikuan.workbench.identity import IdentityError, verify_identity
from huikuan.workbench.library import current_library
from huikuan.workbench.notices import notify_due
from huikuan.workbench.panels import team_panels
from huikuan.workbench.plan_panel import parse_ask, plan_panel
from huikuan.workbench.templatetags.workbench_tags import behaviour_label
from huikuan.workbench.views_data import (
    QUEUE_LIMIT,
    QueueFilters,
    callbacks_due,
    has_open_items,
    load_queue,
    load_workbench,
    next_case_id,
    promise_confirm,
    queue_left,
    queue_size,
    routing_warnings,
    team_open_items,
    team_overview,
    training_notice,
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
    ("a", Outcome.ENDED_ABUSIVE),
)


def _lang() -> str:
    return "en" if (get_language() or "").startswith("en") else "zh"


T = TypeVar("T")
MAX_ID = 2**63 - 1
# The actions of the queue's filter, in its order.
WORKED = ("call", "visit", "escalate_specialist", "legal_review")
FILTER_NAMES = {
    "stage": gettext_lazy("stage"),
    "action": gettext_lazy("action"),
    "behaviour": gettext_lazy("behaviour type"),
}
PROMISES_SWEPT = "notices_promises_swept"


def _local(value: str) -> datetime:
    """A datetime-local input (the collector's wall clock, i.e. the site's zone) as an aware instant."""
    return timezone.make_aware(parse_local_datetime(value))


def _id(value: str) -> int:
    return parse_int(value, low=1, high=MAX_ID)


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    now = clock.now()
    today = timezone.localdate(now)
    filters, unknown = queue_filters(request.GET)
    _sweep_due(request, now, today)
    # The gate's view of the person, read once for the rows and the training notice.
    collector = collector_of(request.user)
    rows = load_queue(request.user, today, filters, now, _lang(), collector) if not unknown else []
    # The page lists the top of the queue: when there is more, it says how much (not with "callable now",
    # which only the gate can count, case by case).
    total, more = queue_size(request.user, today, filters) if len(rows) >= QUEUE_LIMIT else (len(rows), False)
    day_end = timezone.make_aware(datetime.combine(today + timedelta(days=1), time(0)))
    return render(
        request,
        "workbench/queue.html",
        {
            "rows": rows,
            "total": total if not filters.callable_now else len(rows),
            "more": more and not filters.callable_now,
            "filters": filters,
            "unknown": unknown,
            "behaviours": [(code, behaviour_label(code)) for code, _labels in behaviour_choices()],
            "today": today,
            # "Next case" reached the end of the queue: what is left cannot be worked now.
            "passed": request.GET.get("end") == "1",
            "left": queue_left(request.user, today) if request.GET.get("end") == "1" else 0,
            "callbacks": callbacks_due(request.user, day_end),
            "training": training_notice(request.user, today, _lang(), collector),
            "stages": [(s.value, STAGE_LABELS[s]) for s in Stage],
        },
        status=400 if unknown else 200,
    )


def _strategy_labels(codes: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    return {c: tuple(bare_label(DEFAULT_LABELS[lang].get(c, c)) for lang in DEFAULT_LABELS) for c in codes}


def queue_filters(params: Any) -> tuple[QueueFilters, list[str]]:
    """The queue's filters from the query string: codes or their labels in either language (跳票 is
    broken_promise); what names nothing is listed back, not read as an empty queue."""
    labels: dict[str, tuple[list[tuple[str, Any]], dict[str, tuple[str, ...]] | None]] = {
        "stage": ([(s.value, STAGE_LABELS[s]) for s in Stage], None),
        "action": ([(a, a) for a in WORKED], _strategy_labels(WORKED)),
        "behaviour": ([(b, b) for b, _names in behaviour_choices()], dict(behaviour_choices())),
    }
    found: dict[str, str] = {}
    unknown: list[str] = []
    for name, (choices, extra) in labels.items():
        text = params.get(name, "")
        code = parse_choice(text, choices, extra)
        if code is None:
            unknown.append(_("No %(filter)s is called “%(text)s”.") % {"filter": FILTER_NAMES[name], "text": text[:40]})
        found[name] = code or ""
    return QueueFilters(callable_now=params.get("now") == "1", **found), unknown


def _sweep_due(request: HttpRequest, now: datetime, today: date) -> None:
    """What fell due reaches the header's count without a beat (the demo): call-backs on every load, the
    promises due today once a day per session (workbench.notices)."""
    swept = request.session.get(PROMISES_SWEPT) == today.isoformat()
    notify_due(now, request.user, promises=not swept)
    if not swept:
        request.session[PROMISES_SWEPT] = today.isoformat()


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
            "can_negotiate": can_negotiate(request.user),
            "can_edit_contacts": can_edit_contacts(request.user),
            "added_contact": _added_contact(wb, request.GET.get("contact", "")),
            "shortcuts": SHORTCUTS,
            "outcomes": Outcome.choices,
            "min_date": wb.debtor_today.isoformat(),
            # The promise horizon: a later date would be refused (kernel.promises.promise_problems).
            "max_date": (wb.debtor_today + timedelta(days=current_policy().promise_horizon_days)).isoformat(),
            "plan_panel": plan_panel(case, request.user, clock.now(), _lang()),
            "handover_decisions": DECISIONS,
            "validation": notice_view(case),
            "next_attempt": next_attempt(case),
        },
    )


def _added_contact(wb: Any, raw: str) -> Any:
    """The contact point just added on the contacts page, among this debtor's (for the confirmation)."""
    try:
        pk = _id(raw) if raw else None
    except InputError:
        return None
    return next((r.point for r in wb.points if r.point.pk == pk), None)


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

    # The plan panel's asks, when the plan taken was designed there.
    terms, term_errors = parse_ask(post, prefix="plan_")
    errors.extend(term_errors)
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
        goal_met={"yes": True, "no": False}.get(post.get("goal_met", "")),
        complaint=post.get("complaint") == "on",
        plan_terms=terms,
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
        # Said while typing: a promise above the balance or beyond the horizon would be refused on saving.
        refusals = promise_refusals(case, amount, due, clock.now())
        if refusals:
            problem = " ".join([problem, *refusals]).strip()
        else:
            lines = promise_confirm(case, request.user, clock.now(), _lang(), amount, due)
    return render(request, "workbench/_confirm.html", {"lines": lines, "problem": problem})


@login_required
def design_plan(request: HttpRequest, case_id: int) -> HttpResponse:
    """The plan panel: the debtor's asks through the plan designer (within the policy and the role's authority),
    each option with its schedule and step 4's read-back; wrong fields and unmet limits said in place."""
    case = visible_case_or_404(request.user, case_id)
    ask, errors = parse_ask(request.GET)
    if errors:
        panel = plan_panel(case, request.user, clock.now(), _lang())
        panel.errors = errors
    else:
        panel = plan_panel(case, request.user, clock.now(), _lang(), ask)
    return render(request, "workbench/_plan_designed.html", {"panel": panel, "ask": ask})


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


@dataclass(frozen=True)
class Approval:
    """One waiting waiver on the team page, with what the lead typed and what was wrong with it."""

    waiver: WaiverRequest
    reason: str = ""
    errors: tuple[str, ...] = ()


def _team_page(
    request: HttpRequest, *, failed: WaiverRequest | None = None, reason: str = "", errors: tuple[str, ...] = ()
) -> HttpResponse:
    user: Any = request.user
    today = clock.today()
    collectors = team_collectors(user)
    overview = team_overview(collectors, today)
    team_cases = Q(case__team_id=user.team_id) if user.team_id else Q(pk__in=[])
    approvals = [
        Approval(w, reason, errors) if failed is not None and w.pk == failed.pk else Approval(w)
        for w in waivers_awaiting(user)
    ]
    return render(
        request,
        "workbench/team.html",
        {
            "routing": routing_warnings(user, today),
            "holidays_missing": missing_next_year(current_pack().holiday_calendar, today),
            "overview": overview,
            "collectors": collectors,
            "approvals": approvals,
            "decided": _decided(user, request.GET.get("decided", "")),
            "flags": list(
                TextFlag.objects.filter(team_cases, review_state=ReviewState.OPEN).select_related("case", "user")[:50]
            ),
            "decisions": list(
                ContactDecision.objects.filter(team_cases, review_state=ReviewState.OPEN).select_related(
                    "case", "user"
                )[:50]
            ),
            "panels": team_panels(user, collectors),
            "open_items": team_open_items(collectors, today),
        },
        status=400 if errors else 200,
    )


def _decided(user: Any, raw: str) -> WaiverRequest | None:
    """The waiver just decided, to confirm it on the page (only one of a case the user sees)."""
    try:
        pk = _id(raw) if raw else None
    except InputError:
        return None
    return WaiverRequest.objects.filter(case_filter(user, "case__"), pk=pk).first() if pk else None


@login_required
def team(request: HttpRequest) -> HttpResponse:
    _require_lead(request.user)
    return _team_page(request)


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


def _back(request: HttpRequest, fallback: str) -> str:
    """Where a team form returns: the page it was posted from when that is one of ours."""
    target = request.POST.get("next", "")
    return (
        target if url_has_allowed_host_and_scheme(target, allowed_hosts=None) and target.startswith("/") else fallback
    )


def _form_error(request: HttpRequest, errors: list[str]) -> HttpResponse:
    """A refused team form: the reasons on a page of the site, in the user's language, with the way back (400)."""
    back = _back(request, reverse("web:cases") + "?owner=none")
    return render(request, "workbench/form_error.html", {"errors": errors, "back": back}, status=400)


@login_required
@require_POST
def assign(request: HttpRequest) -> HttpResponse:
    """Assign the cases ticked on the case list to one collector of the team."""
    _require_lead(request.user)
    try:
        case_ids = [_id(v) for v in request.POST.getlist("cases")[:500]]
        to_id = _id(request.POST.get("to", ""))
        reason = clean_text(request.POST.get("reason", ""), max_length=300)
    except InputError:
        return _form_error(request, [_("Tick the cases, choose a collector, and say why in one line.")])
    to = get_object_or_404(User, pk=to_id)
    try:
        moved = assign_cases(request.user, case_ids, to, reason)
    except ValueError as exc:
        return _form_error(request, [str(exc)])
    messages.success(request, ngettext("%(n)d case assigned to %(to)s.", "%(n)d cases assigned to %(to)s.", moved)
                     % {"n": moved, "to": to})  # fmt: skip
    return redirect(_back(request, reverse("web:cases") + "?owner=none"))


@login_required
@require_POST
def deal_unassigned(request: HttpRequest) -> HttpResponse:
    """Deal the team's unassigned cases to its collectors now, as the nightly run would."""
    _require_lead(request.user)
    dealt = deal_unassigned_cases(request.user)
    messages.success(request, ngettext("%(n)d case dealt to the team.", "%(n)d cases dealt to the team.",
                                       dealt.assigned) % {"n": dealt.assigned})  # fmt: skip
    if dealt.left:
        messages.warning(request, _("%(n)d cases are left unassigned: the team has no collector and no lead.")
                         % {"n": dealt.left})  # fmt: skip
    return redirect(_back(request, reverse("web:cases") + "?owner=none"))


@login_required
@require_POST
def decide_waiver(request: HttpRequest, request_id: int) -> HttpResponse:
    """Approve or reject with a reason; what is wrong is shown at the request, in the user's language."""
    _require_lead(request.user)
    waiver = get_object_or_404(
        WaiverRequest.objects.filter(case_filter(request.user, "case__")).select_related("case"), pk=request_id
    )
    raw = request.POST.get("reason", "")
    decision = request.POST.get("decision", "")
    errors: list[str] = []
    reason = ""
    try:
        reason = clean_text(raw, max_length=300)
    except InputError as exc:
        errors.append(f"{_('Reason')}: {message(exc)}")
    if decision not in ("approve", "reject"):
        errors.append(_("Choose to approve or to reject."))
    if not errors:
        try:
            if decision == "approve":
                approve_waiver(request.user, waiver, reason)
            else:
                reject_waiver(request.user, waiver, reason)
        except ActionError as exc:
            errors = exc.messages
    if errors:
        return _team_page(request, failed=waiver, reason=raw[:300], errors=tuple(errors))
    return redirect(reverse("workbench:team") + f"?decided={waiver.pk}#approvals")


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
