"""Issue 21 (items 1, 4, 5, 6): the training simulator's app.

The scenario library in the database, runs played through the engine, assessments a lead assigns (passed
before the deadline → a TrainingRecord that opens a strict team's live queue), who may see and play what,
and bad inputs answered 4xx with their reason.

Personas: Alice and Bob (collectors of team A), Carol (collector of team B), Lena (lead of team A),
Quinn (QA), Adam (administrator).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_UP, Decimal
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from huikuan.audit.models import ChangeLog
from huikuan.compliance.actions import ask_gate
from huikuan.compliance.models import GateSource
from huikuan.org.models import TrainingKind, TrainingRecord
from huikuan.training.actions import (
    TrainingError,
    create_assessment,
    end_run,
    in_force,
    run_state,
    seed_library,
    start_run,
    take_turn,
)
from huikuan.training.demo import model_call
from huikuan.training.models import Assignment, ScenarioVersion, TrainingRun
from tests.conftest import Personas, client_for
from tests.training.helpers import MODEL_KEY, THREAT_LINES, play_lines, play_model, play_suggestions
from tests.workbench.fixtures import CaseMaker

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_english() -> Any:
    with translation.override("en"):
        yield


@pytest.fixture
def library(db: None) -> dict[str, ScenarioVersion]:
    seed_library(None)
    return {v.key: v for v in in_force()}


def english(user: Any) -> Any:
    """A client reading the pages in English (the refusals are matched by their English wording)."""
    client = client_for(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _assess(p: Personas, versions: list[ScenarioVersion], users: list[Any] | None = None, mark: str = "60") -> Any:
    return create_assessment(
        p.lena, title="入职考核", team_id=p.team_a.pk, versions=versions, pass_mark=Decimal(mark),
        deadline=timezone.now() + timedelta(days=7), users=users,
    )  # fmt: skip


# The library -------------------------------------------------------------------------------------------------


def test_the_shipped_library_is_stored_once_as_versions_in_force(library: dict[str, ScenarioVersion]) -> None:
    assert len(library) >= 13
    assert seed_library(None) == 0  # a second seeding adds nothing
    v = next(iter(library.values()))
    assert v.number == 1 and v.title_zh and v.title_en
    v.full_clean()  # the stored YAML passes the engine's parser


def test_a_bad_yaml_version_is_refused_with_path_and_field(library: dict[str, ScenarioVersion]) -> None:
    version = ScenarioVersion(source="version: 1\nscenarios:\n  - key: x\n    persona: {mood: 99}\n")
    with pytest.raises(ValidationError) as caught:
        version.full_clean()
    text = " ".join(caught.value.message_dict["source"])
    assert "scenarios[0]" in text and "persona" in text
    with pytest.raises(ValidationError):
        ScenarioVersion(source="{{{ not yaml").full_clean()


def test_the_admin_saves_an_edit_as_a_new_version(personas: Personas, library: dict[str, ScenarioVersion]) -> None:
    current = next(iter(library.values()))
    admin = client_for(personas.adam)
    page = admin.get("/admin/training/scenarioversion/add/")
    assert page.status_code == 200
    answer = admin.post("/admin/training/scenarioversion/add/", {"source": current.source, "note": "wording"})
    assert answer.status_code == 302, answer.content.decode()[:2000]
    newest = ScenarioVersion.objects.filter(key=current.key).order_by("-number").first()
    assert newest is not None and newest.number == 2 and not newest.in_force
    bad = admin.post("/admin/training/scenarioversion/add/", {"source": "scenarios: [{key: 1}]", "note": ""})
    assert bad.status_code == 200 and "scenarios[0]" in bad.content.decode()


# Playing -----------------------------------------------------------------------------------------------------


def test_a_practice_run_is_played_through_the_pages_and_debriefed(
    personas: Personas, library: dict[str, ScenarioVersion]
) -> None:
    alice = client_for(personas.alice)
    home = alice.get("/training/")
    assert home.status_code == 200 and 'data-testid="training-library"' in home.content.decode()
    version = next(iter(library.values()))
    started = alice.post("/training/start/", {"scenario": version.pk, "language": "zh"})
    assert started.status_code == 302
    run = TrainingRun.objects.get(user=personas.alice)
    page = alice.get(started["Location"]).content.decode()
    assert 'data-testid="case-facts"' in page and 'data-key="1"' in page
    assert alice.post(f"/training/run/{run.pk}/", {"suggestion": "1"}).status_code == 302
    run.refresh_from_db()
    assert len(run.state["turns"]) >= 1
    ended = alice.post(f"/training/run/{run.pk}/end/")
    assert ended.status_code == 302 and ended["Location"].endswith("/debrief/")
    run.refresh_from_db()
    assert run.finished_at is not None and run.score is not None and run.passed is not None
    debrief = alice.get(ended["Location"]).content.decode()
    assert 'data-testid="debrief-items"' in debrief and 'data-testid="debrief-turns"' in debrief


def test_the_model_run_passes_and_a_threat_fails(personas: Personas, library: dict[str, ScenarioVersion]) -> None:
    version = library[MODEL_KEY]
    good = play_model(personas.alice, start_run(personas.alice, version, "zh", seed=7))
    assert good.passed is True and good.outcome == "agreement", good.state
    english = play_model(personas.alice, start_run(personas.alice, version, "en", seed=8))
    assert english.passed is True and english.outcome == "agreement"
    bad = play_lines(personas.alice, start_run(personas.alice, version, "zh", seed=7), THREAT_LINES)
    assert bad.passed is False and bad.outcome == "failed_compliance"


# Assessments -------------------------------------------------------------------------------------------------


def test_passing_an_assessment_records_the_training_and_opens_the_live_queue(
    personas: Personas, library: dict[str, ScenarioVersion], make_case: CaseMaker
) -> None:
    personas.team_a.training_required = True
    personas.team_a.save()
    case = make_case(12)
    point = case.debtor.contact_points.get(kind="mobile")
    assert ask_gate(case, point, "call", source=GateSource.WORKBENCH, user=personas.alice).decision.blocking_rule == (
        "cn.collector_training"
    )
    assessment = _assess(personas, [library[MODEL_KEY]], users=[personas.alice])
    item = assessment.items.get()
    assert ChangeLog.objects.filter(action="training:assign", subject_id=str(assessment.pk)).exists()
    run = start_run(personas.alice, item.scenario, "zh", item=item, seed=7)
    run = play_model(personas.alice, run)
    assert run.passed
    assignment = Assignment.objects.get(assessment=assessment, user=personas.alice)
    assert assignment.passed_at is not None and assignment.record is not None
    record = TrainingRecord.objects.get(user=personas.alice)
    assert record.kind == TrainingKind.ASSESSMENT and record.title == "入职考核"
    assert ask_gate(case, point, "call", source=GateSource.WORKBENCH, user=personas.alice).allowed
    # The team page shows the result through the training panel.
    team = client_for(personas.lena).get("/work/team/").content.decode()
    assert 'data-testid="training-team-panel"' in team and 'data-user="alice"' in team


def test_a_failed_run_or_one_after_the_deadline_does_not_pass(
    personas: Personas, library: dict[str, ScenarioVersion]
) -> None:
    assessment = _assess(personas, [library[MODEL_KEY]], users=[personas.alice])
    item = assessment.items.get()
    failed = play_lines(personas.alice, start_run(personas.alice, item.scenario, "zh", item=item, seed=7), THREAT_LINES)
    assert failed.passed is False
    late = start_run(personas.alice, item.scenario, "zh", item=item, seed=7)
    type(assessment).objects.filter(pk=assessment.pk).update(deadline=timezone.now() - timedelta(minutes=1))
    late = play_model(personas.alice, TrainingRun.objects.get(pk=late.pk))
    assert late.passed is True  # the engine passed it, but it finished after the deadline
    assert Assignment.objects.get(assessment=assessment, user=personas.alice).passed_at is None
    assert not TrainingRecord.objects.filter(user=personas.alice).exists()
    with pytest.raises(TrainingError, match="deadline"):
        start_run(personas.alice, item.scenario, "zh", item=item)


def test_the_whole_team_is_assigned_when_nobody_is_chosen(
    personas: Personas, library: dict[str, ScenarioVersion]
) -> None:
    assessment = _assess(personas, list(library.values())[:2])
    assert set(assessment.assignments.values_list("user__username", flat=True)) == {"alice", "bob"}
    home = client_for(personas.bob).get("/training/").content.decode()
    assert f'data-assessment="{assessment.pk}"' in home
    assert f'data-assessment="{assessment.pk}"' not in client_for(personas.carol).get("/training/").content.decode()


# Permissions -------------------------------------------------------------------------------------------------


def test_a_run_is_its_trainees_and_their_leads(personas: Personas, library: dict[str, ScenarioVersion]) -> None:
    run = start_run(personas.alice, next(iter(library.values())), "zh", seed=3)
    assert client_for(personas.bob).get(f"/training/run/{run.pk}/").status_code == 404
    assert client_for(personas.bob).post(f"/training/run/{run.pk}/", {"text": "你好"}).status_code == 404
    assert client_for(personas.bob).post(f"/training/run/{run.pk}/end/").status_code == 404
    lead = client_for(personas.lena)
    assert lead.get(f"/training/run/{run.pk}/").status_code == 200
    assert lead.post(f"/training/run/{run.pk}/", {"text": "你好"}).status_code == 403  # only the trainee plays
    with pytest.raises(PermissionDenied):
        take_turn(personas.lena, run, "你好")
    with pytest.raises(PermissionDenied):
        end_run(personas.bob, run)


def test_a_lead_assigns_within_their_team_only(personas: Personas, library: dict[str, ScenarioVersion]) -> None:
    version = next(iter(library.values()))
    with pytest.raises(PermissionDenied):
        _assess(personas, [version], users=[personas.carol])
    lead = client_for(personas.lena)
    deadline = (timezone.localtime() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    form = {"title": "x", "pass_mark": "60", "deadline": deadline, "scenarios": [version.pk]}
    assert lead.post("/training/assessments/", {**form, "team": personas.team_b.pk}).status_code == 403
    assert lead.post("/training/assessments/", {**form, "users": [personas.carol.pk]}).status_code == 403
    assert client_for(personas.alice).post("/training/assessments/", form).status_code == 403
    ok = lead.post("/training/assessments/", form)
    assert ok.status_code == 302
    assert (
        client_for(personas.adam).post("/training/assessments/", {**form, "team": personas.team_b.pk}).status_code
        == 302
    )


def test_the_leaderboard_shows_the_readers_team(personas: Personas, library: dict[str, ScenarioVersion]) -> None:
    for user in (personas.alice, personas.carol):
        play_suggestions(user, start_run(user, next(iter(library.values())), "zh", seed=5), turns=2)
    alice = client_for(personas.alice).get("/training/leaderboard/").content.decode()
    assert 'data-user="alice"' in alice and 'data-user="carol"' not in alice
    admin = client_for(personas.adam).get("/training/leaderboard/").content.decode()
    assert 'data-user="alice"' in admin and 'data-user="carol"' in admin
    assert client_for(personas.adam).get("/training/leaderboard/", {"team": "x"}).status_code == 200


# Bad inputs --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("form", "reason"),
    [
        ({"scenario": "abc"}, "scenario"),
        ({"scenario": "999999"}, "No scenario"),
        ({"scenario": "", "item": "x"}, "scenario"),
        ({"item": "999999"}, "No assessment item"),
    ],
)
def test_bad_starts_are_refused_with_the_reason(
    personas: Personas, library: dict[str, ScenarioVersion], form: dict[str, str], reason: str
) -> None:
    answer = english(personas.alice).post("/training/start/", form)
    assert answer.status_code == 400 and reason in answer.content.decode()


def test_bad_turns_are_refused_with_the_reason(personas: Personas, library: dict[str, ScenarioVersion]) -> None:
    run = start_run(personas.alice, next(iter(library.values())), "zh", seed=3)
    alice = english(personas.alice)
    url = f"/training/run/{run.pk}/"
    for form, reason in (
        ({"text": ""}, "text"),
        ({"text": "字" * 501}, "text"),
        ({"text": "a\x00b"}, "text"),
        ({"suggestion": "9"}, "suggestion"),
        ({"suggestion": "x"}, "suggestion"),
    ):
        answer = alice.post(url, form)
        assert answer.status_code == 400 and reason in answer.content.decode(), (form, answer.status_code)
    assert alice.post(f"{url}end/").status_code == 302
    assert alice.post(url, {"text": "你好"}).status_code == 400  # the call has ended
    assert alice.get("/training/run/99999/").status_code == 404


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"title": ""}, "title"),
        ({"pass_mark": "101"}, "pass mark"),
        ({"pass_mark": "ab"}, "pass mark"),
        ({"deadline": "2020-01-01T10:00"}, "deadline"),
        ({"deadline": "tomorrow"}, "deadline"),
        ({"scenarios": []}, "scenarios"),
        ({"scenarios": ["999999"]}, "scenarios"),
        ({"users": ["x"]}, "collectors"),
    ],
)
def test_bad_assessments_are_refused_with_the_reason(
    personas: Personas, library: dict[str, ScenarioVersion], change: dict[str, Any], reason: str
) -> None:
    deadline = (timezone.localtime() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    form = {"title": "x", "pass_mark": "60", "deadline": deadline, "scenarios": [next(iter(library.values())).pk]}
    answer = english(personas.lena).post("/training/assessments/", {**form, **change})
    assert answer.status_code == 400 and reason in answer.content.decode()


def test_a_plan_above_the_debtors_capacity_reads_as_a_broken_promise_in_the_debrief(
    personas: Personas, library: dict[str, ScenarioVersion]
) -> None:
    run = start_run(personas.alice, library[MODEL_KEY], "zh", seed=7)
    state = run_state(run)
    lines = model_call(state)
    f = state.facts
    each = (state.hidden.capacity * 2).quantize(Decimal("0.01"))
    count = int((f.balance / each).to_integral_value(rounding=ROUND_UP))
    lines[4] = f"我们可以为您办理分期：分{count}期，每期{each:,.2f}元，每月{f.due_day}号还款，您看可以吗？"
    lines[5] = f"我跟您确认一下：分{count}期，每期{each:,.2f}元，每月{f.due_day}号还款，对吗？"
    run = play_lines(personas.alice, run, lines)
    assert run.passed is False
    page = english(personas.alice).get(f"/training/run/{run.pk}/debrief/").content.decode()
    assert "broken promise" in page
