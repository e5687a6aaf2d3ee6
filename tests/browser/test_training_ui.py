"""Issue 27, item 3 in Debian's Chromium: a collector whose team requires training and who has none sees
why her queue is closed (the rule and its source); her lead records the course on the training page, with
the required fields checked in place; her queue opens. Screenshots go to artifacts/screenshots/training-*."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from huikuan.org.models import TrainingRecord
from tests.browser.conftest import login, screenshot
from tests.workbench.fixtures import make_case, run, workday

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
__all__ = ["make_case", "run", "workday"]


def test_a_lapsed_collector_is_kept_off_and_her_lead_records_the_course(
    live_server: Any, page: Any, workday: dict[str, Any]
) -> None:
    url = live_server.url
    p = workday["personas"]
    p.team_a.training_required = True
    p.team_a.save()

    login(page, url, "alice", "pw-alice")
    page.goto(f"{url}/work/")
    banner = page.locator("[data-testid=training-lapsed]")
    assert banner.is_visible()
    assert "cn.collector_training" in banner.inner_text() and "催收工作指引" in banner.inner_text()
    screenshot(page, "training-01-queue-closed")
    page.goto(f"{url}/work/next/")
    assert "/cases/" not in page.url  # nothing to offer: every contact would be refused
    page.context.clear_cookies()

    login(page, url, "lena", "pw-lena")
    page.goto(f"{url}/work/team/")
    page.click("[data-testid=training-link]")
    row = page.locator(f"tr[data-user='{p.alice.pk}']")
    assert row.get_attribute("data-live") == "refused"
    screenshot(page, "training-02-team-page")
    form = page.locator("[data-testid=training-form]")
    form.locator("select[name=user]").select_option(str(p.alice.pk))
    form.locator("input[name=title]").fill("催收合规年度培训")
    form.locator("button").click()  # no date: the browser's own required check stops it
    assert not TrainingRecord.objects.exists()
    form.locator("input[name=passed_on]").fill(timezone.localdate().isoformat())
    form.locator("button").click()
    page.wait_for_url(f"{url}/work/team/training/")
    assert page.locator(f"tr[data-user='{p.alice.pk}']").get_attribute("data-live") == "allowed"
    screenshot(page, "training-03-recorded")
    page.context.clear_cookies()

    login(page, url, "alice", "pw-alice")
    page.goto(f"{url}/work/")
    assert page.locator("[data-testid=training-lapsed]").count() == 0
    page.goto(f"{url}/work/next/")
    assert "/cases/" in page.url
    screenshot(page, "training-04-queue-open")
