"""The team's payments for those who post money (team leads, administrators): the list, a payment posted by
contract number, a reversal with its reason. The actions are payments.incoming's: they check the capability
and the case, keep the form's key as the payment's idempotency key (a double submit is a replay) and audit
every change; this module reads the form and shows what is wrong next to the field or the row."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from huikuan.cases.access import visible_contract
from huikuan.inputs import max_amount, message
from huikuan.kernel.inputs import InputError, clean_text, parse_day, parse_int, parse_money
from huikuan.org.permissions import can_post_payments
from huikuan.payments.guards import ActionError
from huikuan.payments.incoming import OverpaymentUnconfirmed, post_payment, reverse_payment
from huikuan.payments.models import Payment, PaymentStatus
from huikuan.payments.posting import KeyConflict
from huikuan.payments.queries import recent_payments, visible_payment

LISTED = 100
REQUIRED = ("contract", "amount", "paid_on", "key")


def _require_poster(user: Any) -> None:
    if not can_post_payments(user):
        raise PermissionDenied(_("Your role may not post or reverse payments."))


def _pk(raw: str) -> int | None:
    try:
        return parse_int(raw, low=1, high=2**63 - 1) if raw else None
    except InputError:
        return None


def _form(post: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """The posting form parsed; errors by field name, in the user's language."""
    parsers: dict[str, Callable[[str], Any]] = {
        "contract": lambda v: clean_text(v, max_length=64),
        "amount": lambda v: parse_money(v, maximum=max_amount()),
        "paid_on": parse_day,
        "reference": lambda v: clean_text(v, max_length=120),
        "key": lambda v: clean_text(v, max_length=120),
    }
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, parse in parsers.items():
        raw = post.get(name, "")
        if not raw.strip():
            if name in REQUIRED:
                errors[name] = message(InputError("required"))
            continue
        try:
            values[name] = parse(raw)
        except InputError as exc:
            errors[name] = message(exc)
    return values, errors


def _page(request: HttpRequest, status: int = 200, **extra: Any) -> HttpResponse:
    shown = request.GET.get("status", "")
    shown = shown if shown in PaymentStatus.values else ""
    context: dict[str, Any] = {
        "payments": list(recent_payments(request.user, shown)[:LISTED]),
        "shown": shown,
        "statuses": PaymentStatus.choices,
        "key": uuid.uuid4().hex,
        "form": {},
        "errors": {},
        "general": [],
        "overpayment": None,
        "posted": _pk(request.GET.get("posted", "")),
        "reversed": _pk(request.GET.get("reversed", "")),
        "failed": None,
        "reverse_errors": [],
        "reverse_reason": "",
        **extra,
    }
    return render(request, "workbench/team_payments.html", context, status=status)


@login_required
def team_payments(request: HttpRequest) -> HttpResponse:
    _require_poster(request.user)
    if request.method != "POST":
        return _page(request)
    values, errors = _form(request.POST)
    found = None
    if "contract" in values:
        found = visible_contract(request.user, values["contract"])
        if found is None:
            errors["contract"] = _("No contract with this number among the cases you see.")
    sticky = {"form": request.POST, "key": request.POST.get("key", "")[:120] or uuid.uuid4().hex}
    if errors or found is None:
        return _page(request, 400, errors=errors, **sticky)
    account, case = found
    try:
        posted, _created = post_payment(
            request.user, case, values["amount"], values["paid_on"], values["key"],
            reference=values.get("reference", ""), account=account,
            confirm_overpayment=request.POST.get("confirm_overpayment") == "on",
        )  # fmt: skip
    except OverpaymentUnconfirmed as exc:
        return _page(request, 200, overpayment=exc, **sticky)
    except (ActionError, KeyConflict) as exc:
        return _page(request, 400, general=getattr(exc, "messages", [str(exc)]), **sticky)
    return redirect(reverse("workbench:team-payments") + f"?posted={posted.pk}#payment-{posted.pk}")


@login_required
@require_POST
def reverse_team_payment(request: HttpRequest, payment_id: int) -> HttpResponse:
    """Reverse a bounced payment with the reason; reversing one already reversed changes nothing."""
    _require_poster(request.user)
    payment = visible_payment(request.user, payment_id)
    if payment is None:
        raise Http404
    raw = request.POST.get("reason", "")
    try:
        reason = clean_text(raw, max_length=200)
        if not reason:
            raise InputError("required")
    except InputError as exc:
        return _reverse_failed(request, payment, raw, [f"{_('Reason')}: {message(exc)}"])
    try:
        reverse_payment(request.user, payment, reason)
    except ActionError as exc:
        return _reverse_failed(request, payment, raw, exc.messages)
    return redirect(reverse("workbench:team-payments") + f"?reversed={payment.pk}#payment-{payment.pk}")


def _reverse_failed(request: HttpRequest, payment: Payment, raw: str, errors: list[str]) -> HttpResponse:
    return _page(request, 400, failed=payment.pk, reverse_errors=errors, reverse_reason=raw[:200])
