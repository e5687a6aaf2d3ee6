"""HTTP edges of communications: provider webhooks (signed) and the e-mail opt-out page. Rules live in actions."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from huikuan.comms.compose import OPT_OUT_SALT
from huikuan.comms.models import CommChannel, Message, OptOutSource
from huikuan.comms.optouts import record_inbound_sms, record_opt_out, record_receipt
from huikuan.comms.webhooks import Replayed, forget_stale, verify_signed
from huikuan.kernel.comms.webhook import Refusal

# How each refusal is answered: a malformed header is the sender's bug (400); an unsigned, stale or forged
# request is not authenticated (403); a replay was accepted once already (409, so a retry stops).
_REFUSAL_STATUS = {Refusal.UNSIGNED: 403, Refusal.MALFORMED: 400, Refusal.STALE: 403, Refusal.FORGED: 403}


def _signed(request: HttpRequest, handle: Callable[[dict[str, Any]], HttpResponse]) -> HttpResponse:
    """Checks the signature, claims it against replays and handles the JSON body, in one transaction: the
    outermost one (durable), so the claim and what the handler records commit together when it returns."""
    forget_stale()
    try:
        with transaction.atomic(durable=True):
            refusal = verify_signed(
                settings.COMMS_WEBHOOK_SECRET,
                request.headers.get("X-Huikuan-Timestamp", ""),
                request.body,
                request.headers.get("X-Huikuan-Signature", ""),
            )
            if refusal is not None:
                return JsonResponse({"error": f"signature refused: {refusal.value}"}, status=_REFUSAL_STATUS[refusal])
            try:
                data = json.loads(request.body)
            except ValueError:
                data = None
            response = (
                handle(data)
                if isinstance(data, dict)
                else JsonResponse({"error": "the body is not a JSON object"}, status=400)
            )
            if response.status_code >= 400:
                # Not handled (e.g. a receipt that arrives before its message is recorded as sent): the claim
                # is released so the provider's retry of this very request is still accepted.
                transaction.set_rollback(True)
            return response
    except Replayed:
        return JsonResponse({"error": "replayed: this signed request was accepted before"}, status=409)


def _receipt(data: dict[str, Any]) -> HttpResponse:
    message = record_receipt(data)
    if message is None:
        return JsonResponse({"error": "unknown message"}, status=404)
    return JsonResponse({"message": message.pk, "status": message.status})


def _inbound(data: dict[str, Any]) -> HttpResponse:
    result = record_inbound_sms(str(data.get("from", "")), str(data.get("text", "")))
    return JsonResponse({"opted_out": result.opted_out, "debtors": len(result.debtor_ids)})


@csrf_exempt
@require_POST
def delivery_receipt(request: HttpRequest) -> HttpResponse:
    return _signed(request, _receipt)


@csrf_exempt
@require_POST
def inbound_sms(request: HttpRequest) -> HttpResponse:
    return _signed(request, _inbound)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def opt_out(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a confirmation button (mail scanners follow links), POST records the opt-out."""
    try:
        key = signing.loads(token, salt=OPT_OUT_SALT)
    except signing.BadSignature:
        return render(request, "comms/opt_out.html", {"invalid": True}, status=400)
    message = Message.objects.filter(idempotency_key=key).only("id", "debtor_id").first()
    if message is None:
        return render(request, "comms/opt_out.html", {"invalid": True}, status=404)
    done = False
    if request.method == "POST":
        record_opt_out(message.debtor_id, CommChannel.EMAIL, OptOutSource.EMAIL_LINK, f"link in {key}")
        done = True
    return render(request, "comms/opt_out.html", {"done": done})
