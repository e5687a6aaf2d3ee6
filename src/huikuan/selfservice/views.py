"""HTTP edges of self-service: the debtor's pages (by link), the providers' notifications, the staff's buttons.

Views read the form with the kernel's parsers and call the actions in ``links``, ``actions`` and ``orders``;
no rule lives here. The debtor's pages are in the debtor's language; nothing but the masked destinations of
the code is shown before the code (``_verified``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from huikuan import clock
from huikuan.audit.records import client_ip
from huikuan.cases.access import visible_case_or_404
from huikuan.inputs import max_amount, message
from huikuan.kernel import selfservice as rules
from huikuan.kernel.inputs import InputError, clean_text, parse_day, parse_int, parse_local_datetime, parse_money
from huikuan.payments.guards import ActionError, require_negotiator
from huikuan.selfservice import actions, orders
from huikuan.selfservice.links import (
    CodeRefused,
    Refusal,
    Visit,
    check_code,
    code_points,
    event,
    link_state,
    open_link,
    send_code,
    send_link,
)
from huikuan.selfservice.links import revoke_link as revoke
from huikuan.selfservice.models import AccessCode, EventKind, Link, PaymentOrder
from huikuan.selfservice.providers.registry import alipay, wechat
from huikuan.selfservice.views_data import load_page

_REFUSAL_STATUS = {Refusal.TAMPERED: 404, Refusal.UNKNOWN: 404, Refusal.EXPIRED: 410, Refusal.REVOKED: 410,
                   Refusal.LOCKED: 403}  # fmt: skip


def _visit(request: HttpRequest) -> Visit:
    return Visit(client_ip(request), request.headers.get("User-Agent", "")[:300], clock.now())


def _session_key(link: Link) -> str:
    return f"selfservice:{link.pk}"


def _verified(request: HttpRequest, link: Link, now: datetime) -> actions.Session | None:
    """The verified visit of this link in this browser, while its half hour lasts."""
    stored = request.session.get(_session_key(link))
    if not isinstance(stored, dict) or float(stored.get("until", 0)) < now.timestamp():
        return None
    return actions.Session(link, int(stored["code"]))


def _language(link: Link) -> str:
    return actions.language_of(link.case)


def _refused(request: HttpRequest, refusal: Refusal) -> HttpResponse:
    return render(request, "selfservice/refused.html", {"refusal": refusal.value, "lang": translation.get_language()},
                  status=_REFUSAL_STATUS[refusal])  # fmt: skip


def _by_link(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Opens the link (or answers its refusal) and renders in the debtor's language."""

    def wrapped(request: HttpRequest, token: str, *args: Any, **kwargs: Any) -> HttpResponse:
        visit = _visit(request)
        opened = open_link(token, visit)
        if isinstance(opened, Refusal):
            return _refused(request, opened)
        with translation.override(_language(opened)):
            return view(request, token, opened, visit, *args, **kwargs)

    wrapped.__name__ = view.__name__
    return wrapped


def _code_page(request: HttpRequest, token: str, link: Link, errors: list[str], status: int = 200) -> HttpResponse:
    return render(
        request,
        "selfservice/code.html",
        {"token": token, "points": code_points(link), "errors": errors, "lang": translation.get_language(),
         "tries_left": rules.tries_left(link.wrong_codes), "sent": request.GET.get("sent") == "1"},
        status=status,
    )  # fmt: skip


def _home(request: HttpRequest, token: str, session: actions.Session, visit: Visit, errors: list[str],
          status: int = 200) -> HttpResponse:  # fmt: skip
    page = load_page(session, actions.language_of(session.case), visit.at)
    return render(
        request,
        "selfservice/home.html",
        {"token": token, "page": page, "v": page.view, "errors": errors, "done": request.GET.get("done", ""),
         "lang": translation.get_language(), "min_date": page.today.isoformat(),
         "max_date": page.last_promise_day.isoformat(), "opt_out_channels": actions.OPT_OUT_CHANNELS},
        status=status,
    )  # fmt: skip


@require_GET
@_by_link
def open_page(request: HttpRequest, token: str, link: Link, visit: Visit) -> HttpResponse:
    session = _verified(request, link, visit.at)
    if session is None:
        if not request.session.get(f"{_session_key(link)}:seen"):
            request.session[f"{_session_key(link)}:seen"] = True
            event(link.case_id, EventKind.VISIT, visit, link=link)
        return _code_page(request, token, link, [])
    return _home(request, token, session, visit, [])


@require_POST
@_by_link
def send_code_view(request: HttpRequest, token: str, link: Link, visit: Visit) -> HttpResponse:
    try:
        point_id = parse_int(request.POST.get("point", ""), low=1, high=2**62)
        send_code(link, point_id, visit)
    except InputError:
        return _code_page(request, token, link, [_("Choose one of the numbers or addresses shown.")], 400)
    except CodeRefused as error:
        return _code_page(request, token, link, error.messages, 429)
    except ActionError as error:
        return _code_page(request, token, link, error.messages, 400)
    return redirect(reverse("selfservice:open", args=[token]) + "?sent=1")


@require_POST
@_by_link
def enter_code(request: HttpRequest, token: str, link: Link, visit: Visit) -> HttpResponse:
    code: AccessCode | None = check_code(link, request.POST.get("code", "")[:20], visit)
    if code is None:
        link.refresh_from_db()
        if rules.is_locked(link.wrong_codes):
            return _refused(request, Refusal.LOCKED)
        return _code_page(request, token, link, [_("The code is wrong or has expired.")], 400)
    request.session.cycle_key()
    request.session[_session_key(link)] = {"code": code.pk, "until": (visit.at + rules.SESSION_LENGTH).timestamp()}
    return redirect("selfservice:open", token=token)


def _acting(work: Callable[[HttpRequest, actions.Session, Visit], str]) -> Callable[..., HttpResponse]:
    """A debtor's action: only in a verified visit; the form's refusals come back on the page with a 400."""

    @require_POST
    @_by_link
    def view(request: HttpRequest, token: str, link: Link, visit: Visit) -> HttpResponse:
        session = _verified(request, link, visit.at)
        if session is None:
            event(link.case_id, EventKind.ACTION_REFUSED, visit, link=link, what=work.__name__, reason="no code")
            return _code_page(request, token, link, [_("Enter the code first.")], 403)
        try:
            done = work(request, session, visit)
        except InputError as error:
            return _home(request, token, session, visit, [message(error)], 400)
        except ActionError as error:
            return _home(request, token, session, visit, error.messages, 400)
        if done.startswith("/"):
            return redirect(done)
        return redirect(reverse("selfservice:open", args=[token]) + f"?done={done}")

    view.__name__ = work.__name__
    return view


def _plan(request: HttpRequest, session: actions.Session, visit: Visit) -> str:
    kind = clean_text(request.POST.get("kind", ""), max_length=20)
    shown = clean_text(request.POST.get("shown", ""), max_length=1000, multiline=True)
    actions.accept_plan(session, kind, shown, visit, actions.language_of(session.case))
    return "plan"


def _promise(request: HttpRequest, session: actions.Session, visit: Visit) -> str:
    amount = parse_money(request.POST.get("amount", ""), maximum=max_amount())
    actions.give_promise(session, amount, parse_day(request.POST.get("due", "")), visit)
    return "promise"


def _dispute(request: HttpRequest, session: actions.Session, visit: Visit) -> str:
    reason = clean_text(request.POST.get("reason", ""), max_length=500, multiline=True)
    actions.dispute(session, request.POST.get("scope", ""), reason, visit)
    return "dispute"


def _callback(request: HttpRequest, session: actions.Session, visit: Visit) -> str:
    local = parse_local_datetime(request.POST.get("at", ""))
    actions.request_callback(session, local.replace(tzinfo=ZoneInfo(session.case.debtor.zone)), visit)
    return "callback"


def _opt_out(request: HttpRequest, session: actions.Session, visit: Visit) -> str:
    actions.opt_out(session, request.POST.get("channel", ""), visit)
    return "opt_out"


def _pay(request: HttpRequest, session: actions.Session, visit: Visit) -> str:
    amount = parse_money(request.POST.get("amount", ""), maximum=max_amount())
    order = orders.start_payment(session, request.POST.get("provider", ""), amount, visit)
    # Our own page links on to the provider: a form's redirect to another origin is what the CSP's
    # form-action forbids, a link the debtor follows is not.
    return reverse("selfservice:checkout", args=[_token(request), order.order_id])


accept_plan = _acting(_plan)
give_promise = _acting(_promise)
dispute = _acting(_dispute)
callback = _acting(_callback)
opt_out = _acting(_opt_out)
pay = _acting(_pay)


def _token(request: HttpRequest) -> str:
    return str(request.resolver_match.kwargs["token"]) if request.resolver_match else ""


def _own_order(link: Link, order_id: str, visit: Visit) -> PaymentOrder | None:
    order = PaymentOrder.objects.filter(order_id=order_id, case_id=link.case_id).first()
    if order is None:
        event(link.case_id, EventKind.ACTION_REFUSED, visit, link=link, what="order", order=order_id[:40])
    return order


@require_GET
@_by_link
def checkout(request: HttpRequest, token: str, link: Link, visit: Visit, order_id: str) -> HttpResponse:
    """The order made: the way on to the provider's page."""
    if _verified(request, link, visit.at) is None:
        return _code_page(request, token, link, [_("Enter the code first.")], 403)
    order = _own_order(link, order_id, visit)
    if order is None:
        return _refused(request, Refusal.UNKNOWN)
    return render(
        request, "selfservice/checkout.html", {"token": token, "order": order, "lang": translation.get_language()}
    )


@require_GET
@_by_link
def paid(request: HttpRequest, token: str, link: Link, visit: Visit, order_id: str) -> HttpResponse:
    """Where the provider sends the debtor back: the order's state (the notification decides, not this visit)."""
    session = _verified(request, link, visit.at)
    if session is None:
        return _code_page(request, token, link, [_("Enter the code first.")], 403)
    order = _own_order(link, order_id, visit)
    if order is None:
        return _refused(request, Refusal.UNKNOWN)
    return render(
        request, "selfservice/paid.html", {"token": token, "order": order, "lang": translation.get_language()}
    )


@csrf_exempt
@require_POST
def notify_wechat(request: HttpRequest) -> HttpResponse:
    provider = wechat()
    if provider is None:
        return HttpResponse(status=404)
    headers = {k: request.headers.get(k, "") for k in ("Wechatpay-Timestamp", "Wechatpay-Nonce",
                                                       "Wechatpay-Signature", "Wechatpay-Serial")}  # fmt: skip
    handled = orders.receive_notification(
        provider.name, lambda: provider.read_notification(headers, request.body), _visit(request)
    )
    if handled.status == 200:
        status, content_type, body = provider.acknowledge()
        return HttpResponse(body, status=status, content_type=content_type)
    return HttpResponse(
        json.dumps({"code": "FAIL", "message": handled.reason[:80]}),
        status=handled.status,
        content_type="application/json",
    )


@csrf_exempt
@require_POST
def notify_alipay(request: HttpRequest) -> HttpResponse:
    provider = alipay()
    if provider is None:
        return HttpResponse(status=404)
    form = {k: request.POST.get(k, "") for k in request.POST}
    handled = orders.receive_notification(provider.name, lambda: provider.read_notification(form), _visit(request))
    if handled.status == 200:
        status, content_type, body = provider.acknowledge()
        return HttpResponse(body, status=status, content_type=content_type)
    return HttpResponse("fail", status=handled.status, content_type="text/plain")


@login_required
@require_POST
def send_link_view(request: HttpRequest, case_id: int) -> HttpResponse:
    case = visible_case_or_404(request.user, case_id)
    try:
        send_link(request.user, case, request.POST.get("channel", ""))
    except ActionError as error:
        for text in error.messages:
            messages.error(request, text)
    else:
        messages.success(request, _("The self-service link is in the outbox; it leaves when the gate allows."))
    return redirect("web:case", case_id=case.pk)


@login_required
@require_GET
def case_links(request: HttpRequest, case_id: int) -> HttpResponse:
    """The case's links, newest first, with whether each still opens; each open one can be revoked here."""
    case = visible_case_or_404(request.user, case_id)
    require_negotiator(request.user, case)
    now = clock.now()
    links = [(link, link_state(link, now)) for link in Link.objects.filter(case=case).order_by("-created_at")[:50]]
    return render(request, "selfservice/case_links.html", {"case": case, "links": links})


@login_required
@require_POST
def revoke_link(request: HttpRequest, link_id: int) -> HttpResponse:
    link = get_object_or_404(Link, pk=link_id)
    case = visible_case_or_404(request.user, link.case_id)
    revoke(request.user, link)
    messages.success(request, _("The self-service link no longer opens."))
    return redirect("selfservice:case-links", case_id=case.pk)
