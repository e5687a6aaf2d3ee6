"""The collector's side: the goal above the script, whether it was met, and an abusive call ending today's attempts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from huikuan.cases.models import Interaction
from huikuan.kernel.holidays import is_working_day
from huikuan.strategy.models import WorkItem
from huikuan.workbench.actions import OutcomeEntry, save_outcome
from huikuan.workbench.aftercare import next_attempt
from tests.conftest import client_for
from tests.workbench.fixtures import make_case, run, workday

__all__ = ["make_case", "run", "workday"]


def test_the_case_page_shows_the_goal_above_the_script(workday: dict[str, Any]) -> None:
    middle = workday["middle"]
    WorkItem.objects.filter(case=middle).update(goal="ask_broken_reason")
    page = client_for(workday["personas"].alice).get(f"/cases/{middle.pk}/").content.decode()
    goal = page.index('data-testid="goal"')
    assert "了解跳票原因并重新约定" in page[goal : goal + 400]
    assert page.index('data-testid="script"') < goal < page.index('class="steps"')  # atop the script's steps
    assert 'name="goal_met"' in page


def test_an_abusive_call_records_the_goal_unmet_and_ends_the_days_attempts(workday: dict[str, Any]) -> None:
    middle, alice = workday["middle"], workday["personas"].alice
    WorkItem.objects.filter(case=middle).update(goal="get_promise")
    sms = WorkItem.objects.get(case=middle)
    sms.pk, sms.action, sms.channel, sms.queue = None, "sms", "sms", "auto"
    sms.save()
    point = middle.debtor.contact_points.get(kind="mobile")
    save_outcome(alice, middle, OutcomeEntry(outcome="ended_abusive", point_id=point.pk, goal_met=False))
    statuses = dict(WorkItem.objects.filter(case=middle).values_list("action", "status"))
    assert statuses == {"call": "done", "sms": "cancelled"}
    assert WorkItem.objects.get(case=middle, action="call").goal_met is False
    assert Interaction.objects.get(case=middle).outcome == "ended_abusive"
    attempt = next_attempt(middle)
    assert attempt is not None and attempt.channel == "sms" and attempt.streak == 1 and not attempt.to_specialist
    today = timezone.localdate()
    assert attempt.day > today and is_working_day("cn", attempt.day)
    assert all(not is_working_day("cn", today + timedelta(days=k)) for k in range(1, (attempt.day - today).days))
    page = client_for(alice).get(f"/cases/{middle.pk}/").content.decode()
    assert 'data-testid="next-attempt"' in page and attempt.day.isoformat() in page


def test_a_met_goal_is_recorded_on_the_items_closed(workday: dict[str, Any]) -> None:
    early, alice = workday["early"], workday["personas"].alice
    WorkItem.objects.filter(case=early).update(goal="get_promise")
    point = early.debtor.contact_points.get(kind="mobile")
    save_outcome(alice, early, OutcomeEntry(outcome="right_party", point_id=point.pk, goal_met=True))
    assert WorkItem.objects.get(case=early).goal_met is True
    assert next_attempt(early) is None


def test_the_analytics_count_goals_met_per_action_of_the_cases_one_sees(workday: dict[str, Any]) -> None:
    personas = workday["personas"]
    for key, met in (("early", True), ("middle", False), ("late", None), ("bob", True)):
        WorkItem.objects.filter(case=workday[key]).update(goal="get_promise", goal_met=met)
    today = timezone.localdate().isoformat()
    alice = client_for(personas.alice).get(f"/api/analytics/goals?first={today}&last={today}").json()
    assert alice == [
        {"action": "call", "goal": "get_promise", "items": 3, "recorded": 2, "met": 1, "met_rate": 0.5}
    ]  # Bob's case is not Alice's to see
    lead = client_for(personas.lena).get(f"/api/analytics/goals?first={today}&last={today}").json()
    assert lead[0]["items"] == 4 and lead[0]["met"] == 2
    backwards = client_for(personas.lena).get(f"/api/analytics/goals?first={today}&last=2020-01-01")
    assert backwards.status_code == 422
