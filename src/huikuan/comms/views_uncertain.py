"""The uncertain messages page (QA, team leads, admins): list, resend, mark delivered. Rules in comms.uncertain."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from huikuan.comms import uncertain
from huikuan.comms.models import Message
from huikuan.inputs import message as input_message
from huikuan.kernel.inputs import InputError, clean_text


@login_required
def uncertain_list(request: HttpRequest, error: str = "", status: int = 200) -> HttpResponse:
    rows = list(uncertain.uncertain_messages(request.user)[:200])
    return render(request, "comms/uncertain.html", {"rows": rows, "error": error}, status=status)


@login_required
@require_POST
def settle(request: HttpRequest, message_id: int, decision: str) -> HttpResponse:
    rows = uncertain.uncertain_messages(request.user)
    message = get_object_or_404(Message.objects.filter(pk__in=rows.values("pk")), pk=message_id)
    try:
        reason = clean_text(request.POST.get("reason", ""), max_length=200)
    except InputError as exc:
        return uncertain_list(request, input_message(exc), status=400)
    act = uncertain.resend_uncertain if decision == "resend" else uncertain.mark_delivered
    try:
        act(request.user, message, reason)
    except uncertain.NotUncertain as exc:
        return uncertain_list(request, str(exc), status=400)
    return redirect("comms:uncertain")
