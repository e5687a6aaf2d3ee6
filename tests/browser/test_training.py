"""Issue 21 in Debian's Chromium: a whole assessment. Lena (lead) assigns a scenario to Alice with a pass mark
and a deadline; Alice sees it on /training/, plays it by typing the model four-step conversation (Enter sends),
reads her debrief; Lena sees the result on the team page and the assessment page. Alice's team requires
training: the passed assessment opens her live queue. Screenshots go to artifacts/screenshots/training-sim-*."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from huikuan.org.models import TrainingRecord
from huikuan.training.actions import run_state, seed_library
from huikuan.training.demo import model_call
from huikuan.training.models import Assignment, TrainingRun
from tests.browser.conftest import login, screenshot
from tests.training.helpers import MODEL_KEY
from tests.workbench.fixtures import make_case, run, workday

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
__all__ = ["make_case", "run", "workday"]


def test_lena_assigns_alice_plays_the_model_call_and_lena_sees_the_pass(
    live_server: Any, page: Any, workday: dict[str, Any]
) -> None:
    url = live_server.url
    p = workday["personas"]
    p.team_a.training_required = True
    p.team_a.save()
    seed_library(None)

    login(page, url, "lena", "pw-lena")
    page.click("[data-testid=nav-training]")
    page.click("[data-testid=training-assessments-link]")
    form = page.locator("[data-testid=assign-form]")
    form.locator("[data-testid=assess-title]").fill("新人上岗考核")
    form.locator("[data-testid=assess-mark]").fill("60")
    deadline = timezone.localtime() + timedelta(days=3)
    form.locator("[data-testid=assess-deadline]").fill(deadline.strftime("%Y-%m-%dT%H:%M"))
    form.locator(f"input[name=scenarios][data-key={MODEL_KEY}]").check()
    form.locator("input[name=users][data-user=alice]").check()
    screenshot(page, "training-sim-01-assign")
    form.locator("[data-testid=assign]").click()
    page.wait_for_selector("[data-testid=assessment-results]")
    assert page.locator("[data-testid=assessment-results] tr[data-user=alice]").count() == 1
    page.click("button.link")  # log out

    login(page, url, "alice", "pw-alice")
    page.goto(f"{url}/training/")
    assigned = page.locator("[data-testid=training-assigned]")
    assert "新人上岗考核" in assigned.inner_text()
    screenshot(page, "training-sim-02-assigned")
    assigned.locator("[data-testid=start-item]").click()
    page.wait_for_selector("[data-testid=case-facts]")
    # The model call, typed (training.demo.model_call: the four steps with this case's figures); Enter sends.
    # The first line is the first suggestion: Alice says it with the key "1".
    run = TrainingRun.objects.get(user=p.alice)
    lines = model_call(run_state(run))
    assert page.locator("[data-testid=suggestions] button[data-key='1']").inner_text().endswith(lines[0])
    # training.js focuses the box when it runs: wait for it, or the Escape lands first and "1" is typed in the box.
    page.wait_for_load_state("load")
    page.locator("[data-testid=say-text]").press("Escape")
    page.wait_for_function("document.activeElement === null || document.activeElement.name !== 'text'")
    with page.expect_navigation():
        page.keyboard.press("1")
    for n, line in enumerate(lines[1:]):
        if page.locator("[data-testid=debrief-result]").count():
            break
        box = page.locator("[data-testid=say-text]")
        box.fill(line)
        with page.expect_navigation():
            box.press("Enter")
        if n == 2:
            screenshot(page, "training-sim-03-play")
    if not page.locator("[data-testid=debrief-result]").count():
        page.click("[data-testid=end-call]")
    page.wait_for_selector("[data-testid=debrief-result]")
    screenshot(page, "training-sim-04-debrief")
    assert page.locator("[data-testid=debrief-result]").get_attribute("data-passed") == "1"
    run.refresh_from_db()
    assert run.passed and run.item is not None
    assert Assignment.objects.get(user=p.alice).passed_at is not None
    assert TrainingRecord.objects.filter(user=p.alice, kind="assessment").exists()
    page.goto(f"{url}/work/")
    assert page.locator("[data-testid=training-lapsed]").count() == 0  # the live queue is open
    page.click("button.link")

    login(page, url, "lena", "pw-lena")
    page.goto(f"{url}/work/team/")
    panel = page.locator("[data-testid=training-team-panel]")
    panel.scroll_into_view_if_needed()
    assert "alice" in panel.locator("[data-testid=training-team-assessment] li[data-user=alice]").inner_text()
    assert panel.locator("[data-testid=training-team-assessment] li[data-user=alice] .ok").count() == 1
    screenshot(page, "training-sim-05-team")
    page.goto(f"{url}/training/leaderboard/")
    assert page.locator("[data-testid=leaderboard] tr[data-user=alice]").count() == 1
    screenshot(page, "training-sim-06-leaderboard")
