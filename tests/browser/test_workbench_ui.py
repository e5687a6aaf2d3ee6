"""The workbench in Debian's Chromium at 1366×768: a collector works a call from queue to promise, a team lead
reassigns, and a collector is refused another collector's case. Screenshots go to artifacts/screenshots/."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from huikuan.cases.models import Case, Interaction, Promise
from huikuan.strategy.models import WorkItem
from tests.browser.conftest import login, screenshot
from tests.workbench.fixtures import CaseMaker, make_case, run, workday

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
__all__ = ["make_case", "run", "workday"]  # fixtures of the workbench's working day, used below


@pytest.fixture
def day(live_server: Any, workday: dict[str, Any]) -> dict[str, Any]:
    return {**workday, "url": live_server.url}


def test_collector_works_a_case_through_the_script_to_a_promise(page: Any, day: dict[str, Any]) -> None:
    url = day["url"]
    middle, late = day["middle"], day["late"]
    login(page, url, "alice", "pw-alice")
    page.goto(f"{url}/work/")
    rows = page.locator("table.queue tbody tr")
    assert rows.count() == 3
    assert rows.first.get_attribute("data-case") == str(middle.pk)
    assert "首次逾期 → 电话催收" in rows.first.inner_text()
    screenshot(page, "workbench-queue")

    page.click("[data-testid=next-case]")
    page.wait_for_url(f"{url}/cases/{middle.pk}/")
    assert page.locator("[data-testid=debtor-name]").inner_text() == "李女士"
    assert page.locator("[data-testid=total]").inner_text() == "12,400.00 元"
    step = page.locator("#script .step:visible")
    assert "请问是李女士本人吗" in step.inner_text() and "12,400.00" not in step.inner_text()
    screenshot(page, "workbench-step1-opening")
    page.locator("#script .step:visible [data-testid=next-step]").click()
    assert "共计12,400.00元，已逾期45天" in page.locator("#script .step:visible").inner_text()
    page.keyboard.press("ArrowRight")  # the keyboard moves through the steps too
    solutions = page.locator("#script .step:visible").inner_text()
    assert "一次性结清" in solutions and "分期还款" in solutions and "阶梯式还款" in solutions
    screenshot(page, "workbench-step3-solutions")

    # The debtor disputes the amount: typing a few words finds the objection, its button opens the bill.
    page.fill("[data-testid=objection-search]", "金额不对，不是这么多")
    card = page.locator("#objection-cards [data-objection=dispute]")
    card.wait_for()
    assert "逐项给您核对" in card.inner_text()
    assert not page.locator("#bill").evaluate("el => el.open")
    card.locator("[data-action=open_bill]").click()
    assert page.locator("#bill").evaluate("el => el.open")
    assert "1,234.56" in page.locator("#bill").inner_text() and "965.44" in page.locator("#bill").inner_text()
    screenshot(page, "workbench-dispute-bill")

    page.locator("#script .step-tab[data-step='4']").click()
    # Nothing agreed yet: step 4 reads back no figure until the promise is typed (issue 16).
    assert "我再跟您确认一下" not in page.locator("#script .step:visible").inner_text()
    page.locator("body").click(position={"x": 5, "y": 300})
    page.keyboard.press("7")  # shortcut: promise to pay
    assert page.locator("input[name=outcome][value=promise]").is_checked()
    due = timezone.localdate() + timedelta(days=3)
    page.fill("[data-testid=promise-amount]", "12400.00")
    page.fill("[data-testid=promise-date]", due.isoformat())
    read_back = page.locator("#script .step:visible [data-testid=confirm-promise]")
    read_back.wait_for()
    assert f"您同意在{due.year}年{due.month}月{due.day}日前还款12,400.00元" in read_back.inner_text()
    page.fill("textarea[name=notes]", "客户同意三天内结清")
    page.locator("[data-testid=note-clean]").wait_for()
    screenshot(page, "workbench-step4-outcome")
    page.click("[data-testid=save-outcome]")
    page.wait_for_url(f"{url}/cases/{late.pk}/")  # the queue moves on to the next case

    promise = Promise.objects.get(case=middle)
    assert promise.amount == Decimal("12400.00") and promise.due_date == due
    assert Interaction.objects.get(case=middle).outcome == "promise"
    assert WorkItem.objects.get(case=middle).status == "done"
    page.goto(f"{url}/work/")
    assert page.locator("table.queue tbody tr").count() == 2
    screenshot(page, "workbench-queue-after")


def test_team_lead_reassigns_a_case(page: Any, day: dict[str, Any]) -> None:
    url = day["url"]
    case = day["early"]
    login(page, url, "lena", "pw-lena")
    page.goto(f"{url}/work/team/")
    assert "alice" in page.locator("[data-testid=team-overview]").inner_text()
    form = page.locator("[data-testid=reassign]")
    form.locator("input[name=case]").fill(str(case.pk))
    form.locator("select[name=to]").select_option(label="bob")
    form.locator("input[name=reason]").fill("平衡工作量")
    with page.expect_navigation():
        form.locator("button").click()
    screenshot(page, "workbench-team")
    case.refresh_from_db()
    assert case.assignee is not None and case.assignee.username == "bob"


def test_collector_cannot_open_another_collectors_case(page: Any, day: dict[str, Any], make_case: CaseMaker) -> None:
    url = day["url"]
    login(page, url, "alice", "pw-alice")
    other: Case = day["bob"]
    response = page.goto(f"{url}/cases/{other.pk}/")
    assert response is not None and response.status == 404
    screenshot(page, "workbench-404")
