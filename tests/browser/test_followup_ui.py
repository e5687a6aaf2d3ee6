"""Follow-up in Debian's Chromium: the collector reads the contact's goal above the script, ends a call because
the debtor turns abusive, says the goal was not met, and finds the next attempt moved to another day."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from huikuan.cases.models import Interaction
from huikuan.kernel.holidays import is_working_day
from huikuan.strategy.models import WorkItem
from tests.browser.conftest import login, screenshot
from tests.workbench.fixtures import make_case, run, workday

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
__all__ = ["make_case", "run", "workday"]


def test_an_abusive_call_moves_the_next_attempt_to_another_day(
    page: Any, live_server: Any, workday: dict[str, Any]
) -> None:
    url, middle = live_server.url, workday["middle"]
    WorkItem.objects.filter(case=middle).update(goal="get_promise")
    login(page, url, "alice", "pw-alice")
    page.goto(f"{url}/cases/{middle.pk}/")
    assert "取得逾期金额的还款承诺" in page.locator("[data-testid=goal]").inner_text()
    assert page.locator("[data-testid=next-attempt]").count() == 0
    screenshot(page, "followup-goal")

    page.locator("body").click(position={"x": 5, "y": 300})
    page.keyboard.press("a")  # shortcut: ended, abusive
    assert page.locator("input[name=outcome][value=ended_abusive]").is_checked()
    page.locator("[data-testid=goal-met] input[value=no]").check()
    page.click("[data-testid=save-outcome]")
    page.wait_for_url(lambda u: f"/cases/{middle.pk}/" not in u)  # the queue moves on

    assert Interaction.objects.get(case=middle).outcome == "ended_abusive"
    item = WorkItem.objects.get(case=middle)
    assert item.status == "done" and item.goal_met is False
    page.goto(f"{url}/work/")
    assert page.locator(f"table.queue tbody tr[data-case='{middle.pk}']").count() == 0

    page.goto(f"{url}/cases/{middle.pk}/")
    notice = page.locator("[data-testid=next-attempt]")
    text = notice.inner_text()
    today = timezone.localdate()
    shown = next(today + timedelta(days=k) for k in range(1, 15) if (today + timedelta(days=k)).isoformat() in text)
    assert is_working_day("cn", shown) and "短信提醒" in text and "今日不再联系" in text
    screenshot(page, "followup-next-attempt")
