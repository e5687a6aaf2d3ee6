"""Issue 16 in Debian's Chromium at 1366×768: Alice opens a case, checks the debtor's identity (no match, then
match), picks option 1 in step 3 and hears step 4 read back the same amount and date, saves, and works the
rest of her queue with "next case" — a queue holding a specialist hand-over she cannot close — to its end,
each case once. Screenshots go to artifacts/screenshots/."""

from __future__ import annotations

import re
from typing import Any

import pytest

from huikuan.payments.models import RepaymentPlan
from huikuan.strategy.models import WorkItem
from tests.browser.conftest import login, screenshot
from tests.workbench.fixtures import make_case, run, workday

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
__all__ = ["make_case", "run", "workday"]  # fixtures of the workbench's working day, used below

OPTION_1 = re.compile(r"一、一次性结清：(\d+年\d+月\d+日)[\d:]*前还款([\d,]+\.\d\d)元")


def test_a_collectors_day_through_identity_read_back_and_next_case(live_server: Any, page: Any,
                                                                    workday: dict[str, Any]) -> None:  # fmt: skip
    url = live_server.url
    middle, late, early = workday["middle"], workday["late"], workday["early"]
    call = WorkItem.objects.get(case=middle)
    # A hand-over dealt to Alice before the routing rule: no call closes it, and it used to make "next" loop.
    WorkItem.objects.create(
        run=call.run, as_of=call.as_of, case=middle, action="escalate_specialist", channel="queue",
        template="escalate_specialist", rule="escalation.specialist", window_start=call.window_start,
        window_end=call.window_end, priority=95, stage=call.stage, behaviour=call.behaviour, segment=call.segment,
        queue="specialist", policy_version=call.policy_version, reason="M2 · 跳票2次 → 专员队列",
        reason_en="specialist", assignee=call.assignee, created_at=call.created_at,
    )  # fmt: skip
    login(page, url, "alice", "pw-alice")
    page.goto(f"{url}/work/")
    row = page.locator(f"tr[data-case='{middle.pk}']")
    assert row.locator(".tag").count() == 2 and "非本人可处理" in row.inner_text()
    screenshot(page, "day-01-queue-one-row-per-case")

    page.click("[data-testid=next-case]")
    page.wait_for_url(f"{url}/cases/{middle.pk}/")
    # Identity: the collector types what the debtor says; the page answers, never showing the stored value.
    page.fill("[data-testid=identity-said]", "4321")
    page.click("[data-testid=identity-check]")
    page.locator("[data-testid=identity-no-match]").wait_for()
    screenshot(page, "day-02-identity-no-match")
    page.fill("[data-testid=identity-said]", "123x")
    page.click("[data-testid=identity-check]")
    page.locator("[data-testid=identity-match]").wait_for()
    assert "123X" not in page.content()
    screenshot(page, "day-03-identity-match")

    page.locator("#script .step-tab[data-step='3']").click()
    found = OPTION_1.search(page.locator("#script .step:visible").inner_text())
    assert found is not None
    day, amount = found.groups()
    screenshot(page, "day-04-step3-options")
    page.locator("#script .step:visible [data-plan]").first.click()  # "债务人选择方案: 1"
    confirm = page.locator("#script .step:visible").inner_text()
    assert "您选择的是方案一" in confirm and f"您同意在{day}前还款{amount}元" in confirm
    assert "还款12,400.00元" not in confirm
    assert page.locator("input[name=outcome][value=plan_accepted]").is_checked()
    screenshot(page, "day-05-step4-read-back")
    page.keyboard.press("Control+Enter")
    page.wait_for_url(f"{url}/cases/{late.pk}/")
    assert RepaymentPlan.objects.get(case=middle).kind == "full_with_waiver"

    visited = [middle.pk, late.pk]
    for _ in range(5):  # a bound: a loop fails here instead of hanging
        screenshot(page, f"day-06-case-{len(visited)}")
        page.click("[data-testid=next-case]")
        page.wait_for_load_state()
        if "/cases/" not in page.url:
            break
        visited.append(int(page.url.rstrip("/").split("/")[-1]))
    assert visited == [middle.pk, late.pk, early.pk]
    assert page.url.endswith("/work/?end=1")
    assert page.locator("[data-testid=queue-passed]").is_visible()
    screenshot(page, "day-07-queue-passed")

    page.goto(f"{url}/cases/{middle.pk}/")
    arrangement = page.locator("[data-testid=arrangement]").inner_text()
    assert amount in arrangement
    screenshot(page, "day-08-header-arrangement")
