"""The training simulator's pages: practise and assigned items, the play page, the debrief, assessments,
the leaderboard and case sharing. Plain forms (they work without JavaScript); training.js only adds keys."""

from __future__ import annotations

from datetime import UTC
from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from huikuan.cases.models import Outcome
from huikuan.inputs import message
from huikuan.kernel.inputs import InputError, clean_text, parse_int, parse_local_datetime
from huikuan.org.models import Role, Team, User
from huikuan.org.permissions import has_role
from huikuan.org.visibility import case_filter
from huikuan.qa.models import CallTranscript
from huikuan.training import presenting
from huikuan.training.actions import (
    LANGUAGES,
    MAX_TURN_CHARS,
    TrainingError,
    can_assign,
    can_share_cases,
    can_train,
    create_assessment,
    end_run,
    in_force,
    may_manage_team,
    may_view_run,
    share_transcript,
    start_run,
    take_turn,
)
from huikuan.training.models import AssessmentItem, ScenarioVersion, TrainingRun
from huikuan.training.queries import assessment_results, leaderboard, my_assignments, visible_assessments, visible_runs


def _trainee(request: HttpRequest) -> Any:
    if not can_train(request.user):
        raise PermissionDenied(_("Sign in as a member of staff to practise."))
    return request.user


def _lang() -> str:
    return "en" if (get_language() or "").startswith("en") else "zh"


def _run_for(request: HttpRequest, run_id: int) -> TrainingRun:
    run = get_object_or_404(TrainingRun.objects.select_related("user", "scenario", "item__assessment"), pk=run_id)
    if not may_view_run(request.user, run):
        raise Http404  # another trainee's run does not exist for you
    return run


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = _trainee(request)
    lang = _lang()
    scenarios = [(v, v.title(lang)) for v in in_force()]
    return render(
        request,
        "training/home.html",
        {
            "scenarios": scenarios,
            "assignments": my_assignments(user),
            "runs": visible_runs(user).filter(user=user)[:20],
            "language": lang,
            "can_assign": can_assign(user),
        },
    )


@login_required
@require_POST
def start_view(request: HttpRequest) -> HttpResponse:
    user = _trainee(request)
    errors: list[str] = []
    language = str(request.POST.get("language", _lang()))
    if language not in LANGUAGES:
        errors.append(_("language: choose zh or en."))
    item = None
    version = None
    try:
        if request.POST.get("item", "").strip():
            item_id = parse_int(request.POST["item"], low=1, high=2**62)
            item = AssessmentItem.objects.select_related("assessment", "scenario").filter(pk=item_id).first()
            if item is None:
                errors.append(_("No assessment item %(id)s.") % {"id": item_id})
            else:
                version = item.scenario
        else:
            version_id = parse_int(str(request.POST.get("scenario", "")), low=1, high=2**62)
            version = ScenarioVersion.objects.filter(pk=version_id).first()
            if version is None:
                errors.append(_("No scenario %(id)s.") % {"id": version_id})
    except InputError as exc:
        errors.append(_("scenario: ") + message(exc))
    if not errors and version is not None:
        try:
            run = start_run(user, version, language, item=item)
        except TrainingError as exc:
            errors.append(str(exc))
        else:
            return redirect("training:run", run_id=run.pk)
    return render(request, "training/error.html", {"errors": errors}, status=400)


def _play_page(request: HttpRequest, run: TrainingRun, errors: list[str], text: str = "") -> HttpResponse:
    view = presenting.play_view(run)
    return render(
        request,
        "training/run.html",
        {"run": run, "view": view, "errors": errors, "text": text, "max_chars": MAX_TURN_CHARS,
         "mine": run.user_id == request.user.pk},
        status=400 if errors else 200,
    )  # fmt: skip


@login_required
def run(request: HttpRequest, run_id: int) -> HttpResponse:
    trainee = _trainee(request)
    found = _run_for(request, run_id)
    if request.method != "POST":
        if found.finished_at is not None:
            return redirect("training:debrief", run_id=found.pk)
        return _play_page(request, found, [])
    if found.user_id != trainee.pk:
        raise PermissionDenied(_("Only the trainee plays their run."))
    raw = str(request.POST.get("text", ""))
    choice = str(request.POST.get("suggestion", "")).strip()
    if choice and not raw.strip():
        try:
            n = parse_int(choice, low=1, high=9)
        except InputError as exc:
            return _play_page(request, found, [_("suggestion: ") + message(exc)])
        options = presenting.play_view(found).suggestions
        if n > len(options):
            return _play_page(request, found, [_("suggestion: there are %(n)s suggestions.") % {"n": len(options)}])
        raw = options[n - 1]
    try:
        text = clean_text(raw, max_length=MAX_TURN_CHARS)
    except InputError as exc:
        return _play_page(request, found, [_("text: ") + message(exc)], raw[:MAX_TURN_CHARS])
    try:
        played = take_turn(trainee, found, text)
    except TrainingError as exc:
        return _play_page(request, found, [str(exc)], text)
    if played.finished_at is not None:
        return redirect("training:debrief", run_id=played.pk)
    return redirect(f"{request.path}#say")


@login_required
@require_POST
def end(request: HttpRequest, run_id: int) -> HttpResponse:
    trainee = _trainee(request)
    found = _run_for(request, run_id)
    ended = end_run(trainee, found)
    return redirect("training:debrief", run_id=ended.pk)


@login_required
def debrief_view(request: HttpRequest, run_id: int) -> HttpResponse:
    _trainee(request)
    found = _run_for(request, run_id)
    if found.finished_at is None:
        return redirect("training:run", run_id=found.pk)
    reference = found.scenario.reference or {}
    return render(
        request,
        "training/debrief.html",
        {
            "run": found,
            "view": presenting.debrief_view(found),
            "reference": reference or None,
            "reference_outcome": _outcome_label(str(reference.get("outcome", ""))),
        },
    )


def _outcome_label(code: str) -> str:
    return str(Outcome(code).label) if code in Outcome.values else code


def _assessment_form(
    request: HttpRequest, user: Any, form: dict[str, Any], errors: list[str], status: int = 200
) -> HttpResponse:
    lang = _lang()
    teams = Team.objects.all() if has_role(user, Role.ADMIN) else Team.objects.filter(pk=user.team_id)
    members = User.objects.filter(team__in=teams, is_active=True, role=Role.COLLECTOR).order_by("username")
    return render(
        request,
        "training/assessments.html",
        {
            "assessments": visible_assessments(user)[:50],
            "can_assign": can_assign(user),
            "scenarios": [(v, v.title(lang)) for v in in_force()],
            "teams": teams,
            "members": members,
            "form": form,
            "errors": errors,
        },
        status=status,
    )


@login_required
def assessments(request: HttpRequest) -> HttpResponse:
    user = _trainee(request)
    form: dict[str, Any] = {
        "title": "",
        "team": str(user.team_id or ""),
        "pass_mark": "60",
        "deadline": "",
        "scenarios": [],
        "users": [],
    }
    if request.method != "POST":
        return _assessment_form(request, user, form, [])
    if not can_assign(user):
        raise PermissionDenied(_("Only a team lead or an administrator assigns assessments."))
    form = {
        "title": str(request.POST.get("title", "")),
        "team": str(request.POST.get("team", "") or user.team_id or ""),
        "pass_mark": str(request.POST.get("pass_mark", "")),
        "deadline": str(request.POST.get("deadline", "")),
        "scenarios": request.POST.getlist("scenarios"),
        "users": request.POST.getlist("users"),
    }
    errors: list[str] = []
    values: dict[str, Any] = {}
    try:
        values["title"] = clean_text(form["title"], max_length=200)
    except InputError as exc:
        errors.append(_("title: ") + message(exc))
    try:
        values["team_id"] = parse_int(form["team"], low=1, high=2**62)
    except InputError as exc:
        errors.append(_("team: ") + message(exc))
    try:
        values["pass_mark"] = Decimal(parse_int(form["pass_mark"], low=0, high=100))
    except InputError as exc:
        errors.append(_("pass mark: ") + message(exc))
    try:
        local = parse_local_datetime(form["deadline"])
        values["deadline"] = timezone.make_aware(local, timezone.get_current_timezone()).astimezone(UTC)
    except InputError as exc:
        errors.append(_("deadline: ") + message(exc))
    except (ValueError, OverflowError):
        errors.append(_("deadline: ") + _("Enter a date and time that exist, as YYYY-MM-DD HH:MM."))
    try:
        ids = [parse_int(v, low=1, high=2**62) for v in form["scenarios"][:50]]
        user_ids = [parse_int(v, low=1, high=2**62) for v in form["users"][:500]]
    except InputError as exc:
        errors.append(_("scenarios or collectors: ") + message(exc))
        ids, user_ids = [], []
    versions = list(ScenarioVersion.objects.filter(pk__in=ids))
    if len(versions) != len(set(ids)):
        errors.append(_("scenarios: one of them does not exist."))
    chosen = list(User.objects.filter(pk__in=user_ids)) if user_ids else None
    if chosen is not None and len(chosen) != len(set(user_ids)):
        errors.append(_("collectors: one of them does not exist."))
    if not errors and not may_manage_team(user, values["team_id"]):
        raise PermissionDenied(_("A team lead assigns assessments to their own team only."))
    if not errors:
        try:
            created = create_assessment(user, versions=versions, users=chosen, **values)
        except TrainingError as exc:
            errors.append(str(exc))
        else:
            return redirect("training:assessment", assessment_id=created.pk)
    return _assessment_form(request, user, form, errors, status=400)


@login_required
def assessment(request: HttpRequest, assessment_id: int) -> HttpResponse:
    user = _trainee(request)
    found = get_object_or_404(visible_assessments(user), pk=assessment_id)
    results = assessment_results(found)
    if not (can_assign(user) and may_manage_team(user, found.team_id)) and not has_role(user, Role.QA, Role.ADMIN):
        results = [r for r in results if r.assignment.user_id == user.pk]
    lang = _lang()
    items = [(item, item.scenario.title(lang)) for item in found.items.select_related("scenario")]
    return render(request, "training/assessment.html", {"assessment": found, "results": results, "items": items})


@login_required
def leaderboard_view(request: HttpRequest) -> HttpResponse:
    user = _trainee(request)
    everyone = has_role(user, Role.ADMIN, Role.QA)
    team = None
    if everyone and request.GET.get("team", "").strip():
        try:
            team = Team.objects.filter(pk=parse_int(request.GET["team"], low=1, high=2**62)).first()
        except InputError:
            team = None
    elif not everyone:
        team = user.team
        if team is None:
            return render(
                request, "training/leaderboard.html", {"rows": [], "team": None, "teams": [], "everyone": False}
            )
    return render(
        request,
        "training/leaderboard.html",
        {
            "rows": leaderboard(team),
            "team": team,
            "teams": Team.objects.all() if everyone else [],
            "everyone": everyone,
        },
    )


@login_required
def share(request: HttpRequest, transcript_id: int) -> HttpResponse:
    user = request.user
    if not can_share_cases(user):
        raise PermissionDenied(_("Only QA or a lead shares calls as training cases."))
    transcript = get_object_or_404(
        CallTranscript.objects.filter(case_filter(user, "interaction__case__")).select_related("interaction"),
        pk=transcript_id,
    )
    lang = _lang()
    bases = [(v, v.title(lang)) for v in in_force() if v.shared_from_id is None]
    form = {"base": "", "note": ""}
    errors: list[str] = []
    if request.method == "POST":
        form = {"base": str(request.POST.get("base", "")), "note": str(request.POST.get("note", ""))}
        base = None
        try:
            base = ScenarioVersion.objects.filter(pk=parse_int(form["base"], low=1, high=2**62), in_force=True).first()
            if base is None:
                errors.append(_("base scenario: choose one of the list."))
        except InputError as exc:
            errors.append(_("base scenario: ") + message(exc))
        try:
            note = clean_text(form["note"], max_length=300, multiline=True)
        except InputError as exc:
            errors.append(_("outcome note: ") + message(exc))
            note = ""
        if not errors and base is not None:
            try:
                version = share_transcript(user, transcript, base, note)
            except TrainingError as exc:
                errors.append(str(exc))
            else:
                return render(request, "training/shared.html", {"version": version, "transcript": transcript})
    return render(
        request,
        "training/share.html",
        {"transcript": transcript, "bases": bases, "form": form, "errors": errors},
        status=400 if errors else 200,
    )
