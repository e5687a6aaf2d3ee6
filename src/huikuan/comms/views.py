"""HTTP edges of communications: provider webhooks (signed) and the e-mail opt-out page. Rules live in actions."""

from __future__ import annotations

import json
import time

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from huikuan.comms.compose import OPT_OUT_SALT
from huikuan.comms.models import CommChannel, Message, OptOutSource
from huikuan.comms.optouts import record_inbound_sms, record_opt_out, record_receipt
from huikuan.kernel.comms.webhook import verify


def _signed_json(request: HttpRequest) -> dict[str, object] | None:
    ok = verify(
        settings.COMMS_WEBHOOK_SECRET,
        request.headers.get("X-Huikuan-Timestamp", ""),
        request.body,
        request.headers.get("X-Huikuan-Signature", ""),
        time.time(),
    )
    if not ok:
        return None
    try:
        data = json.loads(request.body)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


@csrf_exempt
@require_POST
def delivery_receipt(request: HttpRequest) -> HttpResponse:
    data = _signed_json(request)
    if data is None:
        return JsonResponse({"error": "bad signature"}, status=403)
    message = record_receipt(data)
    if message is None:
        return JsonResponse({"error": "unknown message"}, status=404)
    return JsonResponse({"message": message.pk, "status": message.status})


@csrf_exempt
@require_POST
def inbound_sms(request: HttpRequest) -> HttpResponse:
    data = _signed_json(request)
    if data is None:
        return JsonResponse({"error": "bad signature"}, status=403)
    result = record_inbound_sms(str(data.get("from", "")), str(data.get("text", "")))
    return JsonResponse({"opted_out": result.opted_out, "debtors": len(result.debtor_ids)})


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
