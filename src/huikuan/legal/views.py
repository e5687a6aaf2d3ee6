"""The legal pages: the queue (/legal/), a legal case's page, the specialist queue. Views translate HTTP to
the actions (``actions``, ``specialists``, ``evidence``), which check who may do what."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from huikuan.cases.access import visible_case_or_404
from huikuan.inputs import max_amount, message
from huikuan.kernel import legal as rules
from huikuan.kernel.inputs import InputError, clean_text, parse_day, parse_local_datetime, parse_money
from huikuan.kernel.strategy.queue import LEGAL_REVIEW
from huikuan.legal.actions import (
    LegalError,
    Move,
    checklist,
    checklist_items,
    max_upload_bytes,
    move_legal_case,
    open_legal_case,
    stage_label,
    upload_document,
)
from huikuan.legal.evidence import build_pack
from huikuan.legal.models import LegalCase
from huikuan.legal.notices import notify_hearings
from huikuan.legal.specialists import back_to_team, hand_to_legal, specialist_queue
from huikuan.legal.views_data import legal_queue
from huikuan.org.permissions import can_move_legal_cases, can_refer_to_legal, can_work_specialist_queue
from huikuan.workbench.handover import HandOverError, close_hand_over


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if not can_move_legal_cases(user):
        raise PermissionDenied
    notify_hearings(user)
    return render(request, "legal/queue.html", {"queue": legal_queue(user)})


def _note(request: HttpRequest) -> str:
    return clean_text(str(request.POST.get("note", "")), max_length=2000, multiline=True)


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    target = str(request.POST.get("next", ""))
    return redirect(target if target.startswith("/") and not target.startswith("//") else fallback)


@login_required
@require_POST
def refer(request: HttpRequest, case_id: int) -> HttpResponse:
    """Put a case into legal status (the case page's button, the queue's legal review)."""
    user: Any = request.user
    case = visible_case_or_404(user, case_id)
    if not can_refer_to_legal(user):
        raise PermissionDenied
    try:
        legal_case = open_legal_case(user, case, _note(request))
    except InputError as exc:
        messages.error(request, message(exc))
    except LegalError as exc:
        for text in exc.messages:
            messages.error(request, text)
    else:
        messages.success(request, _("Case #%(case)s is with legal now.") % {"case": case.pk})
        if can_move_legal_cases(user):
            return redirect("legal:case", legal_case.pk)
    return _back(request, "/legal/")


@login_required
@require_POST
def continue_collection(request: HttpRequest, case_id: int) -> HttpResponse:
    """A legal review's "not yet": collection goes on (``workbench.handover``)."""
    user: Any = request.user
    case = visible_case_or_404(user, case_id)
    try:
        close_hand_over(user, case, LEGAL_REVIEW, "continue", _note(request))
    except InputError as exc:
        messages.error(request, message(exc))
    except HandOverError as exc:
        for text in exc.messages:
            messages.error(request, text)
    else:
        messages.success(request, _("Case #%(case)s stays in collection.") % {"case": case.pk})
    return redirect("legal:queue")


def _legal_case(user: Any, legal_case_id: int) -> LegalCase:
    legal_case = get_object_or_404(LegalCase.objects.select_related("case__debtor"), pk=legal_case_id)
    visible_case_or_404(user, legal_case.case_id)
    return legal_case


@login_required
def case_page(request: HttpRequest, legal_case_id: int) -> HttpResponse:
    user: Any = request.user
    if not can_move_legal_cases(user):
        raise PermissionDenied
    legal_case = _legal_case(user, legal_case_id)
    return _render_case(request, legal_case)


def _render_case(
    request: HttpRequest, legal_case: LegalCase, errors: list[str] | None = None, status: int = 200
) -> HttpResponse:
    allowed = [(s.value, stage_label(s.value)) for s in rules.allowed_next(legal_case.stage)]
    context = {
        "legal_case": legal_case,
        "allowed": allowed,
        "checklist": checklist(legal_case),
        "items": checklist_items(),
        "moves": legal_case.moves.select_related("by"),
        "errors": errors or [],
        "max_mb": max_upload_bytes() // (1024 * 1024),
    }
    return render(request, "legal/case.html", context, status=status)


def _money(post: Any, name: str) -> Any:
    text = str(post.get(name, "")).strip()
    return parse_money(text, maximum=max_amount()) if text else None


def _move_from(post: Any) -> Move:
    """The move as the form gives it; a field left empty keeps what is recorded."""
    hearing = str(post.get("next_hearing", "")).strip()
    filed = str(post.get("filed_on", "")).strip()
    judged = str(post.get("judgment_on", "")).strip()
    facts = rules.MoveFacts(
        court=clean_text(str(post.get("court", "")), max_length=200),
        case_number=clean_text(str(post.get("case_number", "")), max_length=100),
        law_firm=clean_text(str(post.get("law_firm", "")), max_length=200),
        filed_on=parse_day(filed) if filed else None,
        next_hearing=timezone.make_aware(parse_local_datetime(hearing)) if hearing else None,
        judgment_on=parse_day(judged) if judged else None,
        judgment_amount=_money(post, "judgment_amount"),
        awarded_costs=_money(post, "awarded_costs"),
        claim_amount=_money(post, "claim_amount"),
        costs=_money(post, "costs"),
    )
    return Move(str(post.get("to", "")), facts, clean_text(str(post.get("note", "")), max_length=2000, multiline=True))


@login_required
@require_POST
def move(request: HttpRequest, legal_case_id: int) -> HttpResponse:
    user: Any = request.user
    legal_case = _legal_case(user, legal_case_id)
    try:
        move_legal_case(user, legal_case, _move_from(request.POST))
    except InputError as exc:
        return _render_case(request, legal_case, [message(exc)], status=400)
    except LegalError as exc:
        return _render_case(request, legal_case, exc.messages, status=400)
    return redirect("legal:case", legal_case.pk)


@login_required
@require_POST
def upload(request: HttpRequest, legal_case_id: int) -> HttpResponse:
    user: Any = request.user
    legal_case = _legal_case(user, legal_case_id)
    file = request.FILES.get("file")
    if not isinstance(file, UploadedFile):
        return _render_case(request, legal_case, [_("Choose a file to upload.")], status=400)
    try:
        upload_document(user, legal_case, str(request.POST.get("item", "")), file)
    except LegalError as exc:
        return _render_case(request, legal_case, exc.messages, status=400)
    return redirect("legal:case", legal_case.pk)


@login_required
@require_POST
def evidence(request: HttpRequest, legal_case_id: int) -> HttpResponse:
    """Build and download the case's evidence pack (``evidence.build_pack``, audited)."""
    user: Any = request.user
    legal_case = _legal_case(user, legal_case_id)
    pack = build_pack(user, legal_case.case)
    response = HttpResponse(pack.data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{pack.filename}"'
    return response


@login_required
def specialists(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if not can_work_specialist_queue(user):
        raise PermissionDenied
    items = list(specialist_queue(user)[:200])
    return render(request, "legal/specialists.html", {"items": items})


@login_required
@require_POST
def specialist_decide(request: HttpRequest, case_id: int) -> HttpResponse:
    user: Any = request.user
    case = visible_case_or_404(user, case_id)
    decision = str(request.POST.get("decision", ""))
    try:
        note = _note(request)
        if decision == "legal":
            hand_to_legal(user, case, note)
            messages.success(request, _("Case #%(case)s is with legal now.") % {"case": case.pk})
        elif decision == "team":
            back_to_team(user, case, note)
            messages.success(request, _("Case #%(case)s went back to its team.") % {"case": case.pk})
        else:
            messages.error(request, _("Choose a decision."))
    except InputError as exc:
        messages.error(request, message(exc))
    except LegalError as exc:
        for text in exc.messages:
            messages.error(request, text)
    return redirect("legal:specialists")
