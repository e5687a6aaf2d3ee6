"""Issue 20 in Debian's Chromium: Quinn (QA) uploads the transcript of Alice's call, sees the flagged turn with
its time, confirms the automatic items and overrides one with a reason, leaves a coaching note; the weekly
sample queue lists the call; Lena (the lead) scores it too and the page reports the two scorers' agreement;
the team page shows Alice's weekly score. Screenshots go to artifacts/screenshots/qa-*."""

from __future__ import annotations

from typing import Any

import pytest

from huikuan.compliance.contacts import log_contact
from huikuan.notifications.models import Notification
from huikuan.qa.models import CallTranscript, QaReview
from tests.browser.conftest import login, screenshot
from tests.workbench.fixtures import make_case, run, workday

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
__all__ = ["make_case", "run", "workday"]

TRANSCRIPT = """\
[00:00] 坐席: 您好，我是星河金融的小李，请问是王建国先生本人吗？
[00:04] 客户: 是我。
[00:06] 坐席: 您的借款逾期12天，待还金额12,400.00元。
[00:14] 客户: 我最近失业了，真的没钱。
[00:22] 坐席: 理解您的难处。我们可以帮您申请分期，分六期还。
[00:31] 客户: 好吧。
[00:33] 坐席: 我跟您确认一下：每月15号还2,066.67元，共六期，对吗？
[00:40] 客户: 对。
[00:42] 坐席: 再不还就把你的事发到你公司群里。
"""


def test_quinn_uploads_scores_and_coaches_and_lena_calibrates(
    live_server: Any, page: Any, workday: dict[str, Any]
) -> None:
    url = live_server.url
    p = workday["personas"]
    case = workday["early"]
    call = log_contact(case, case.debtor.contact_points.first(), "call", "right_party", user=p.alice).interaction

    login(page, url, "quinn", "pw-quinn")
    page.click("[data-testid=nav-qa-calls]")
    page.click("[data-testid=qa-upload-link]")
    form = page.locator("[data-testid=qa-upload]")
    form.locator("input[name=call]").fill(str(call.pk))
    form.locator("textarea[name=text]").fill(TRANSCRIPT)
    screenshot(page, "qa-01-upload")
    form.locator("button").click()
    stored = CallTranscript.objects.get()
    page.wait_for_url(f"{url}/qa/calls/{stored.pk}/")

    flagged = page.locator("#turn-8")
    assert flagged.get_attribute("data-flagged") == "1" and "42s" in flagged.inner_text()
    assert "zh.disclosure" in flagged.locator("[data-testid=turn-flag]").inner_text()
    # the closing threat fails screening (capping the total at 0) and the compliant ending
    row = page.locator("tr[data-item=screening_clean]")
    assert row.get_attribute("data-auto") == "fail"
    assert page.locator("tr[data-item=compliant_ending]").get_attribute("data-auto") == "fail"
    screenshot(page, "qa-02-call-scored-automatically")

    # Quinn overrides the read-back item without a reason first: refused in place, nothing saved
    score = page.locator("[data-testid=qa-score-form]")
    score.locator("select[name=item-agreement_read_back]").select_option("fail")
    score.locator("button").click()
    assert page.locator("[role=alert]").is_visible() and not QaReview.objects.exists()
    screenshot(page, "qa-03-override-needs-a-reason")
    score = page.locator("[data-testid=qa-score-form]")
    score.locator("select[name=item-agreement_read_back]").select_option("fail")
    score.locator("input[name=reason-agreement_read_back]").fill("复述时未说明总金额")
    score.locator("textarea[name=coaching]").fill("结束语不得提及公司群，请按话术合规收尾。")
    score.locator("button").click()
    page.wait_for_url(f"{url}/qa/calls/{stored.pk}/")
    assert page.locator(f"[data-testid=qa-reviews] tr[data-scorer='{p.quinn.pk}']").is_visible()
    assert Notification.objects.get(user=p.alice).params["note"].startswith("结束语")
    screenshot(page, "qa-04-reviewed")

    page.goto(f"{url}/qa/calls/")
    page.click("[data-testid=qa-build] button")
    page.wait_for_url("**/qa/calls/?week=*")
    row = page.locator(f"[data-testid=qa-queue] tr[data-transcript='{stored.pk}']")
    assert row.get_attribute("data-reason") == "flagged"
    screenshot(page, "qa-05-queue")
    page.context.clear_cookies()

    login(page, url, "lena", "pw-lena")
    page.goto(f"{url}/qa/calls/{stored.pk}/")
    page.locator("[data-testid=qa-score-form] button").click()  # confirms every automatic item
    page.wait_for_url(f"{url}/qa/calls/{stored.pk}/")
    agreement = page.locator("[data-testid=qa-agreement]")
    assert agreement.is_visible() and "agreement_read_back" in agreement.inner_text()
    screenshot(page, "qa-06-calibration")
    page.goto(f"{url}/work/team/")
    scores = page.locator(f"[data-testid=qa-team-scores] tr[data-user='{p.alice.pk}']")
    assert scores.is_visible() and scores.locator("td").last.inner_text() == "0.0"  # the screening cap
    screenshot(page, "qa-07-team-weekly-scores")
