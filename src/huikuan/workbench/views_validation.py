"""US: the verification that answers a debtor's dispute inside the validation period (comms/validation.py)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from huikuan.cases.access import visible_case_or_404
from huikuan.comms.validation import VerificationRefused, send_verification


@login_required
@require_POST
def verification(request: HttpRequest, case_id: int) -> HttpResponse:
    case = visible_case_or_404(request.user, case_id)
    try:
        send_verification(request.user, case)
    except VerificationRefused as exc:
        return render(request, "workbench/_errors.html", {"errors": [str(exc)]}, status=400)
    return redirect("web:case", case_id=case.pk)
