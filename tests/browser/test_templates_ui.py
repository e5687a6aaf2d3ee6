"""The message-template screens in Debian's Chromium: a team lead writes a new SMS version, watches the carrier
count change while typing, previews it with a real case, activates it, and sees a threatening text refused.
Screenshots go to artifacts/screenshots/."""

from __future__ import annotations

from typing import Any

import pytest

from huikuan.cases.models import Case
from huikuan.comms.models import Template, VersionStatus
from huikuan.kernel.money import format_yuan
from huikuan.portfolio.models import AccountBalance
from tests.browser.conftest import login, screenshot
from tests.comms.conftest import owed, templates
from tests.conftest import Personas

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
__all__ = ["templates"]  # the default templates fixture, used below

# 60 characters as written: one SMS. The reminder sentence typed after it takes the text past 70 characters.
START = "【{{company}}】{{honorific}}您好，您尾号{{account}}的账户待还{{total}}元。"
TYPED = "请于本月内还款，谢谢。回复TD退订"
THREAT = "{{honorific}}，再不还钱就等着坐牢吧，我们会去你单位找你。"


def test_team_lead_writes_previews_and_activates_an_sms_version(
    page: Any, live_server: Any, small_portfolio: Personas, templates: int
) -> None:
    url = live_server.url
    template = Template.objects.get(channel="sms", purpose="reminder", tone="gentle", language="zh-hans")
    owing = AccountBalance.objects.filter(total__gt=0).values_list("account__debtor_id", flat=True)
    case = Case.objects.filter(team=small_portfolio.team_a, debtor_id__in=owing).order_by("id").first()
    assert case is not None
    assert len(START) <= 70 < len(START + TYPED)  # the typing crosses the one-SMS limit

    login(page, url, "lena", "pw-lena")
    with page.expect_navigation():
        page.click("[data-testid=nav-templates]")
    page.select_option("select[name=channel]", "sms")
    with page.expect_navigation():
        page.click("[data-testid=template-filters] button")
    row = page.locator(f"tr[data-template='{template.pk}']")
    assert row.locator("[data-testid=active-number]").inner_text() == "v1"
    screenshot(page, "templates-list")
    with page.expect_navigation():
        row.locator("a").first.click()
    with page.expect_navigation():
        page.click("[data-testid=new-version]")

    body = page.locator("textarea[name=body]")
    assert body.input_value() == template.versions.get(number=1).body  # prefilled with the version in force
    body.fill(START)
    count = page.locator("[data-testid=sms-count]")
    page.wait_for_selector(f"[data-testid=sms-count][data-units='{len(START)}']")
    assert count.get_attribute("data-segments") == "1"
    body.press("End")
    body.press_sequentially(TYPED, delay=20)
    page.wait_for_selector(f"[data-testid=sms-count][data-units='{len(START + TYPED)}']")
    assert page.locator("[data-testid=sms-count]").get_attribute("data-segments") == "2"
    assert "2 条短信" in page.locator("[data-testid=sms-count]").inner_text()
    screenshot(page, "templates-new-version")
    with page.expect_navigation():
        page.click("[data-testid=save-draft]")

    assert page.locator("[data-testid=status]").inner_text() == "草稿"
    page.locator("[data-testid=screening-clean]").wait_for()
    # A case of another team is answered like one that does not exist, and the answer is shown, not dropped.
    hidden = Case.objects.filter(team=small_portfolio.team_b).order_by("id").first()
    assert hidden is not None
    page.fill("[data-testid=preview-case]", str(hidden.pk))
    page.click("[data-testid=preview-button]")
    page.locator("[data-testid=preview-not-found]").wait_for()
    page.fill("[data-testid=preview-case]", str(case.pk))
    page.click("[data-testid=preview-button]")
    preview = page.locator("[data-testid=preview-body]")
    preview.wait_for()
    assert f"待还{format_yuan(owed(case))}元" in preview.inner_text()
    assert "{{" not in preview.inner_text()
    screenshot(page, "templates-preview")
    with page.expect_navigation():
        page.click("[data-testid=activate]")

    active = template.versions.get(status=VersionStatus.ACTIVE)
    assert (active.number, active.body) == (2, START + TYPED)
    assert template.versions.get(number=1).status == VersionStatus.RETIRED
    assert "当前生效版本：v2" in page.locator("[data-testid=active-version]").inner_text()
    screenshot(page, "templates-activated")

    # A threatening text is saved as a draft, but the screener keeps it from ever being activated.
    with page.expect_navigation():
        page.click("[data-testid=new-version]")
    page.locator("textarea[name=body]").fill(THREAT)
    with page.expect_navigation():
        page.click("[data-testid=save-draft]")
    with page.expect_navigation():
        page.click("[data-testid=activate]")
    page.locator("[data-testid=activation-refused]").wait_for()
    flags = page.locator("[data-testid=flags]").inner_text()
    assert "坐牢" in flags and "威胁" in flags
    screenshot(page, "templates-refused")
    assert template.versions.get(number=3).status == VersionStatus.DRAFT
    assert template.versions.get(status=VersionStatus.ACTIVE).number == 2
