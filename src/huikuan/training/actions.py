"""The training simulator's use cases: the scenario library, playing a run, assessments, case sharing.

Each entry point asks its capability (``PermissionDenied`` → 403) and refuses bad input with a
``TrainingError`` naming the field (→ 400). The dialogue is the kernel engine's; here it is stored and
counted: a finished run's debrief decides its score, and a collector who passed every item of an assessment
before its deadline gets an ``org.TrainingRecord`` of the assessment kind (what ``cn.collector_training``
reads before a live queue opens).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from huikuan.audit.records import record_change
from huikuan.kernel.training import (
    RunState,
    Scenario,
    debrief,
    default_scenarios,
    end_call,
    parse_scenarios,
    play,
    scenario_yaml,
    start,
)
from huikuan.kernel.training.sharing import mask_transcript, shared_scenario_source
from huikuan.org.models import Role, TrainingKind, User
from huikuan.org.permissions import has_role, is_system, require, role_of, sees_all_cases
from huikuan.org.training import record_training
from huikuan.qa.models import CallTranscript
from huikuan.training.models import Assessment, AssessmentItem, Assignment, ScenarioVersion, TrainingRun

LANGUAGES = ("zh", "en")
MAX_TURN_CHARS = 500
MAX_ITEMS = 20


class TrainingError(ValueError):
    """An input the simulator refuses; the message names the field and why."""


# Who may do what ---------------------------------------------------------------------------------------------


def can_train(user: Any) -> bool:
    """Every staff member may practise; the system and a debtor may not."""
    return bool(role_of(user)) and role_of(user) != "self_service"


def can_assign(user: Any) -> bool:
    """Assign assessments: a lead to their own team, an administrator to any."""
    return has_role(user, Role.TEAM_LEAD, Role.ADMIN)


def can_share_cases(user: Any) -> bool:
    """Turn a real call into a scenario: QA, and the leads who review calls too."""
    return has_role(user, Role.QA, Role.TEAM_LEAD, Role.ADMIN)


def sees_all_runs(user: Any) -> bool:
    return has_role(user, Role.ADMIN, Role.QA) or (sees_all_cases(user) and not has_role(user, Role.TEAM_LEAD))


def may_view_run(user: Any, run: TrainingRun) -> bool:
    """Your own runs; a lead their team's; QA and administrators every run."""
    if run.user_id == getattr(user, "pk", None):
        return True
    if sees_all_runs(user):
        return True
    return has_role(user, Role.TEAM_LEAD) and user.team_id is not None and run.user.team_id == user.team_id


def may_manage_team(user: Any, team_id: int | None) -> bool:
    if has_role(user, Role.ADMIN):
        return True
    return has_role(user, Role.TEAM_LEAD) and team_id is not None and user.team_id == team_id


# The scenario library ----------------------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _parsed(source: str) -> Scenario:
    scenarios, problems = parse_scenarios(source)
    if problems or len(scenarios) != 1:
        raise TrainingError("; ".join(problems) or _("One version holds exactly one scenario."))
    return scenarios[0]


def scenario_of(version: ScenarioVersion) -> Scenario:
    """The engine's scenario of a stored version (parsed once per process per text)."""
    return _parsed(version.source)


def in_force() -> list[ScenarioVersion]:
    return list(ScenarioVersion.objects.filter(in_force=True).order_by("key"))


def save_version(
    actor: Any, source: str, note: str = "", *, put_in_force: bool = True, **extra: Any
) -> ScenarioVersion:
    """A new version of the scenario the YAML describes, numbered after the last of its key."""
    require(
        is_system(actor) or has_role(actor, Role.ADMIN, Role.QA, Role.TEAM_LEAD),
        _("Only QA, a lead or an administrator edits scenarios."),
    )
    scenarios, problems = parse_scenarios(source)
    if problems:
        raise TrainingError("; ".join(problems))
    if len(scenarios) != 1:
        raise TrainingError(_("One version holds exactly one scenario."))
    scenario = scenarios[0]
    with transaction.atomic():
        last = ScenarioVersion.objects.filter(key=scenario.key).aggregate(n=Max("number"))["n"] or 0
        if put_in_force:
            ScenarioVersion.objects.filter(key=scenario.key, in_force=True).update(in_force=False)
        version = ScenarioVersion.objects.create(
            key=scenario.key,
            number=last + 1,
            source=source,
            title_zh=str(scenario.title.get("zh", ""))[:200],
            title_en=str(scenario.title.get("en", ""))[:200],
            note=note[:300],
            in_force=put_in_force,
            created_by=actor if not is_system(actor) else None,
            **extra,
        )
        record_change(actor, version, "training:scenario", None, {"key": version.key, "number": version.number})
    return version


def seed_library(actor: Any = None) -> int:
    """Store the shipped scenarios whose key the library lacks; returns how many were added."""
    have = set(ScenarioVersion.objects.values_list("key", flat=True))
    added = 0
    for scenario in default_scenarios():
        if scenario.key not in have:
            save_version(actor, scenario_yaml(scenario.key), note="shipped library")
            added += 1
    return added


# Playing -----------------------------------------------------------------------------------------------------


def _state(run: TrainingRun) -> RunState:
    return RunState.from_dict(run.state)


def run_state(run: TrainingRun) -> RunState:
    return _state(run)


def start_run(
    user: Any,
    version: ScenarioVersion,
    language: str = "zh",
    *,
    item: AssessmentItem | None = None,
    seed: int | None = None,
) -> TrainingRun:
    require(can_train(user), _("Sign in as a member of staff to practise."))
    if language not in LANGUAGES:
        raise TrainingError(_("language: choose zh or en."))
    if item is not None:
        assignment = Assignment.objects.filter(assessment_id=item.assessment_id, user=user).first()
        require(assignment is not None, _("This assessment is not assigned to you."))
        # Read afresh: the item may have been loaded before the lead moved the deadline.
        deadline = Assessment.objects.values_list("deadline", flat=True).get(pk=item.assessment_id)
        if deadline <= timezone.now():
            raise TrainingError(_("deadline: the assessment closed on %(day)s.") % {"day": deadline.date()})
        version = item.scenario
    elif not version.in_force:
        raise TrainingError(_("scenario: this version is no longer in force; pick the current one."))
    seed = seed if seed is not None else random.SystemRandom().randrange(1, 2**31)
    state = start(scenario_of(version), seed, language)
    return TrainingRun.objects.create(
        user=user, scenario=version, seed=seed, language=language, state=state.to_dict(), item=item
    )


def _require_player(user: Any, run: TrainingRun) -> None:
    require(run.user_id == getattr(user, "pk", None), _("Only the trainee plays their run."))


def take_turn(user: Any, run: TrainingRun, text: str) -> TrainingRun:
    """One trainee line and the persona's answer; the run finishes when the engine ends the call."""
    _require_player(user, run)
    if run.finished_at is not None:
        raise TrainingError(_("The call has ended; open the debrief."))
    text = text.strip()
    if not text:
        raise TrainingError(_("text: say something to the debtor."))
    if len(text) > MAX_TURN_CHARS:
        raise TrainingError(_("text: at most %(n)s characters a turn.") % {"n": MAX_TURN_CHARS})
    scenario = scenario_of(run.scenario)
    with transaction.atomic():
        locked = TrainingRun.objects.select_for_update().get(pk=run.pk)
        if locked.finished_at is not None:
            raise TrainingError(_("The call has ended; open the debrief."))
        state = play(scenario, _state(locked), text)  # the engine ends a call past its MAX_TURNS
        locked.state = state.to_dict()
        if state.ended:
            _finish(locked, scenario, state)
        else:
            locked.save(update_fields=["state"])
    _settle_after(locked)
    return locked


def end_run(user: Any, run: TrainingRun) -> TrainingRun:
    """The trainee ends the call; the debrief scores what was said."""
    _require_player(user, run)
    scenario = scenario_of(run.scenario)
    with transaction.atomic():
        locked = TrainingRun.objects.select_for_update().get(pk=run.pk)
        if locked.finished_at is not None:
            return locked
        state = end_call(_state(locked))
        locked.state = state.to_dict()
        _finish(locked, scenario, state)
    _settle_after(locked)
    return locked


def _finish(run: TrainingRun, scenario: Scenario, state: RunState) -> None:
    result = debrief(scenario, state)
    run.finished_at = timezone.now()
    run.passed = bool(result.passed)
    run.score = Decimal(result.total).quantize(Decimal("0.1"))
    run.outcome = str(result.outcome)[:30]
    run.save(update_fields=["state", "finished_at", "passed", "score", "outcome"])


def _settle_after(run: TrainingRun) -> None:
    # After the run's own transaction: recording the training is an entry point of its own (durable).
    if run.finished_at is not None and run.item is not None:
        settle_assignment(run.item.assessment, run.user)


# Assessments -------------------------------------------------------------------------------------------------


def item_passed(run: TrainingRun, assessment: Assessment) -> bool:
    """A run counts for an item when the engine passed it, its score reaches the mark and it ended in time."""
    return bool(
        run.passed
        and run.score is not None
        and run.score >= assessment.pass_mark
        and run.finished_at is not None
        and run.finished_at <= assessment.deadline
    )


def settle_assignment(assessment: Assessment, user: Any) -> Assignment | None:
    """Pass the collector's assignment when every item has a counting run; record the training once."""
    assignment = Assignment.objects.filter(assessment=assessment, user=user).first()
    if assignment is None or assignment.passed_at is not None:
        return assignment
    items = list(assessment.items.all())
    runs = TrainingRun.objects.filter(user=user, item__assessment=assessment, passed=True)
    done = {run.item_id for run in runs if item_passed(run, assessment)}
    if not items or any(item.pk not in done for item in items):
        return assignment
    last = max(run.finished_at for run in runs if run.item_id in done and run.finished_at is not None)
    # Recorded by the system (the pass is the runs', not a person's word), in its own durable transaction;
    # the assignment is marked only where it is still open, so a second settling records nothing twice.
    record = record_training(None, user, assessment.title[:200], timezone.localdate(last), kind=TrainingKind.ASSESSMENT)
    marked = Assignment.objects.filter(pk=assignment.pk, passed_at__isnull=True).update(passed_at=last, record=record)
    if not marked:
        record.delete()
    assignment.refresh_from_db()
    return assignment


def create_assessment(
    lead: Any,
    *,
    title: str,
    team_id: int,
    versions: Sequence[ScenarioVersion],
    pass_mark: Decimal,
    deadline: datetime,
    users: Sequence[Any] | None,
) -> Assessment:
    """Assign ``versions`` to ``users`` of the team (None: every active collector of it)."""
    require(can_assign(lead), _("Only a team lead or an administrator assigns assessments."))
    require(may_manage_team(lead, team_id), _("A team lead assigns assessments to their own team only."))
    title = title.strip()
    if not title:
        raise TrainingError(_("title: name the assessment."))
    if len(title) > 200:
        raise TrainingError(_("title: at most 200 characters."))
    if not versions:
        raise TrainingError(_("scenarios: choose at least one scenario."))
    if len(versions) > MAX_ITEMS:
        raise TrainingError(_("scenarios: at most %(n)s in one assessment.") % {"n": MAX_ITEMS})
    if not Decimal(0) <= pass_mark <= Decimal(100):
        raise TrainingError(_("pass mark: a score from 0 to 100."))
    if deadline <= timezone.now():
        raise TrainingError(_("deadline: must be in the future."))
    team_members = User.objects.filter(team_id=team_id, is_active=True, role=Role.COLLECTOR)
    if users is None:
        chosen = list(team_members)
    else:
        chosen = list(users)
        outside = [u for u in chosen if u.team_id != team_id]
        require(not outside, _("A team lead assigns assessments to their own team only."))
    if not chosen:
        raise TrainingError(_("collectors: the team has nobody to assign."))
    with transaction.atomic():
        assessment = Assessment.objects.create(
            title=title, team_id=team_id, pass_mark=pass_mark, deadline=deadline,
            created_by=lead if not is_system(lead) else None,
        )  # fmt: skip
        AssessmentItem.objects.bulk_create(
            AssessmentItem(assessment=assessment, scenario=v, position=n) for n, v in enumerate(versions)
        )
        Assignment.objects.bulk_create(Assignment(assessment=assessment, user=u) for u in chosen)
        record_change(
            lead,
            assessment,
            "training:assign",
            None,
            {
                "title": title,
                "team_id": team_id,
                "scenarios": [v.pk for v in versions],
                "users": [u.pk for u in chosen],
                "pass_mark": str(pass_mark),
                "deadline": deadline.isoformat(),
            },
        )
    return assessment


# Case sharing ------------------------------------------------------------------------------------------------


def _known_names(transcript: CallTranscript) -> list[str]:
    case = transcript.interaction.case
    names = [case.debtor.name]
    names += [c.contact_name for c in case.debtor.contact_points.all() if c.contact_name]
    user = transcript.interaction.user
    if user is not None:
        names += [user.get_full_name(), user.first_name, user.last_name, user.username]
    return [n for n in names if n and len(n.strip()) >= 2]


def share_transcript(actor: Any, transcript: CallTranscript, base: ScenarioVersion, outcome: str) -> ScenarioVersion:
    """A scenario made from a real call: the base scenario's persona and rules, the call masked as the
    reference a trainee compares with in the debrief, the call's outcome kept. Audited (counts, not values)."""
    require(can_share_cases(actor), _("Only QA or a lead shares calls as training cases."))
    outcome = outcome.strip()
    if len(outcome) > 300:
        raise TrainingError(_("outcome: at most 300 characters."))
    turns = [(t.speaker, t.text) for t in transcript.turns.all()]
    if not turns:
        raise TrainingError(_("The call has no transcript turns to share."))
    masking = mask_transcript(turns, _known_names(transcript), seed=transcript.pk)
    interaction = transcript.interaction
    key = f"shared_{transcript.pk}"
    source = shared_scenario_source(scenario_yaml_of(base), key=key, call_id=transcript.pk)
    version = save_version(
        actor,
        source,
        note=f"shared from call {interaction.pk}",
        shared_from=transcript,
        reference={
            "turns": [{"speaker": t.speaker, "text": t.text} for t in masking.turns],
            "outcome": interaction.outcome,
            "note": outcome,
            "base": base.key,
        },
    )
    record_change(
        actor,
        version,
        "training:share",
        None,
        {"transcript_id": transcript.pk, "base": base.key, "replaced": masking.replaced},
    )
    return version


def scenario_yaml_of(version: ScenarioVersion) -> str:
    return version.source
