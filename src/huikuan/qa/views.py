"""QA of calls: the weekly queue (/qa/calls/), uploading a transcript, and scoring a call."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from huikuan import clock
from huikuan.cases.models import Interaction
from huikuan.inputs import message
from huikuan.kernel.inputs import InputError, clean_text, parse_day, parse_int
from huikuan.kernel.qa.scorecard import load_scorecard
from huikuan.org.permissions import can_review_qa, can_view_qa_register
from huikuan.org.visibility import case_filter
from huikuan.qa.actions import (
    QaError,
    attach_transcript,
    automatic_result,
    build_sample,
    share_setting,
    submit_review,
    week_of,
)
from huikuan.qa.models import CallTranscript
from huikuan.qa.queries import calibrated_calls, calibration, unsampled, week_queue
from huikuan.workbench.models import CallRecording

MAX_UPLOAD_BYTES = 1_000_000
VERDICTS = {"pass": True, "fail": False, "na": None}


def _allowed(request: HttpRequest) -> Any:
    if not can_view_qa_register(request.user):
        raise PermissionDenied
    return request.user


def _week(raw: str) -> Any:
    try:
        return week_of(parse_day(raw)) if raw else week_of(clock.today())
    except InputError:
        return week_of(clock.today())


@login_required
def calls(request: HttpRequest) -> HttpResponse:
    user = _allowed(request)
    week = _week(request.GET.get("week", ""))
    return render(
        request,
        "qa/calls.html",
        {
            "week": week,
            "previous": week - timedelta(weeks=1),
            "next": week + timedelta(weeks=1),
            "queue": week_queue(user, week),
            "unsampled": unsampled(user, week),
            "share": share_setting(),
            "can_review": can_review_qa(user),
            "calibrated": calibrated_calls(user),
        },
    )


@login_required
@require_POST
def build(request: HttpRequest) -> HttpResponse:
    user = _allowed(request)
    week = _week(request.POST.get("week", ""))
    build_sample(user, week)  # refuses a role that may not review (403)
    return redirect(f"{reverse('qa:calls')}?week={week.isoformat()}")


def _visible_transcripts(user: Any) -> Any:
    return CallTranscript.objects.filter(case_filter(user, "interaction__case__"))


@login_required
def upload(request: HttpRequest) -> HttpResponse:
    user = _allowed(request)
    if not can_review_qa(user):
        raise PermissionDenied
    form = {"call": request.GET.get("call", ""), "recording": "", "text": "", "language": "zh"}
    errors: list[str] = []
    if request.method == "POST":
        form = {key: str(request.POST.get(key, "")) for key in form}
        try:
            call_id = parse_int(form["call"], low=1, high=2**62)
            recording_id = parse_int(form["recording"], low=1, high=2**62) if form["recording"].strip() else None
        except InputError as exc:
            errors.append(message(exc))
        else:
            interaction = Interaction.objects.filter(case_filter(user, "case__"), pk=call_id).first()
            recording = None
            if recording_id is not None:
                recording = CallRecording.objects.filter(pk=recording_id, interaction_id=call_id).first()
                if recording is None:
                    errors.append(
                        _("Recording %(id)s is not a recording of call %(call)s.")
                        % {"id": recording_id, "call": call_id}
                    )
            if interaction is None:
                errors.append(_("No call %(id)s among the cases you can see.") % {"id": call_id})
            payload: str | bytes = form["text"]
            uploaded = request.FILES.get("file")
            if uploaded is not None:
                if uploaded.size is not None and uploaded.size > MAX_UPLOAD_BYTES:
                    errors.append(_("The file is larger than 1 MB."))
                else:
                    payload = uploaded.read()
            if not errors and not payload:
                errors.append(_("Paste the transcript or choose a file."))
            if not errors and interaction is not None:
                try:
                    stored = attach_transcript(
                        user, interaction, payload, recording=recording, language=form["language"] or "zh"
                    )
                except QaError as exc:
                    errors.append(str(exc))
                except UnicodeDecodeError:
                    errors.append(_("The file is not UTF-8 text."))
                else:
                    return redirect("qa:call", transcript_id=stored.pk)
    return render(request, "qa/upload.html", {"form": form, "errors": errors}, status=400 if errors else 200)


def _title(spec: Any) -> str:
    return spec.title_zh if (get_language() or "").startswith("zh") else spec.title_en


def _call_page(request: HttpRequest, transcript: CallTranscript, errors: list[str], status: int = 200) -> HttpResponse:
    card = load_scorecard(transcript.scorecard_version)
    auto = automatic_result(transcript)
    turns = list(transcript.turns.prefetch_related("flags"))
    rows = []
    for item in auto.items:
        spec = card.item(item.id)
        rows.append({"item": item, "title": _title(spec), "weight": spec.weight, "group": spec.group})
    reviews, agreed = calibration(transcript)
    mine = next((r for r in reviews if r.scorer_id == request.user.pk), None)
    return render(
        request,
        "qa/call.html",
        {
            "transcript": transcript,
            "call": transcript.interaction,
            "turns": turns,
            "rows": rows,
            "auto": auto,
            "reviews": reviews,
            "agreement": agreed,
            "mine": mine,
            "can_review": can_review_qa(request.user) and mine is None,
            "errors": errors,
            "form": request.POST if errors else {},
        },
        status=status,
    )


@login_required
def call(request: HttpRequest, transcript_id: int) -> HttpResponse:
    user = _allowed(request)
    transcript = get_object_or_404(
        _visible_transcripts(user).select_related("interaction", "recording"), pk=transcript_id
    )
    if request.method != "POST":
        return _call_page(request, transcript, [])
    if not can_review_qa(user):
        raise PermissionDenied
    errors: list[str] = []
    decisions: dict[str, tuple[bool | None, str]] = {}
    for item in automatic_result(transcript).items:
        verdict = request.POST.get(f"item-{item.id}", "")
        if verdict not in VERDICTS:
            errors.append(_("Choose pass, fail or not applicable for every item."))
            break
        raw_reason = request.POST.get(f"reason-{item.id}", "")
        try:
            reason = clean_text(raw_reason, max_length=300) if raw_reason.strip() else ""
        except InputError as exc:
            errors.append(message(exc))
            break
        if VERDICTS[verdict] != item.passed and not reason:
            errors.append(_("Say why you override the automatic result.") + f" ({item.id})")
        decisions[item.id] = (VERDICTS[verdict], reason)
    coaching = ""
    raw_coaching = request.POST.get("coaching", "")
    if raw_coaching.strip():
        try:
            coaching = clean_text(raw_coaching, max_length=1000, multiline=True)
        except InputError as exc:
            errors.append(message(exc))
    if not errors:
        try:
            submit_review(user, transcript, decisions, coaching)
        except QaError as exc:
            errors.append(str(exc))
        else:
            return redirect("qa:call", transcript_id=transcript.pk)
    return _call_page(request, transcript, errors, status=400)
