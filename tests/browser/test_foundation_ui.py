"""The foundation's screens in a real browser: login, the scoped case list, a masked case page, reveal."""

from __future__ import annotations

from typing import Any

import pytest

from huikuan.audit.models import AccessLog
from huikuan.cases.models import Case
from huikuan.portfolio.models import ContactPoint
from tests.browser.conftest import login, screenshot
from tests.conftest import AS_OF

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def portfolio(live_server: Any) -> dict[str, Any]:
    from huikuan.intake.generator import PortfolioGenerator
    from huikuan.intake.seeding import write_generated
    from huikuan.org.models import Role, Team, User

    team = Team.objects.create(name="一组")
    alice = User.objects.create_user("alice", password="pw-alice", role=Role.COLLECTOR, team=team)
    bob = User.objects.create_user("bob", password="pw-bob", role=Role.COLLECTOR, team=team)
    User.objects.create_user("lena", password="pw-lena", role=Role.TEAM_LEAD, team=team)
    write_generated(PortfolioGenerator(3, AS_OF).debtors(12), AS_OF, [(alice.pk, team.pk), (bob.pk, team.pk)])
    return {"alice": alice, "bob": bob, "url": live_server.url}


def test_collector_sees_own_cases_with_masked_numbers(page: Any, portfolio: dict[str, Any]) -> None:
    login(page, portfolio["url"], "alice", "pw-alice")
    rows = page.locator("table.dense tbody tr")
    own = Case.objects.filter(assignee=portfolio["alice"]).count()
    assert rows.count() == own
    screenshot(page, "foundation-case-list")
    with page.expect_navigation():
        page.locator("table.dense tbody tr a").first.click()
    assert page.locator("[data-testid=total]").inner_text().endswith("元")
    text = page.content()
    case_id = int(page.url.rstrip("/").rsplit("/", 1)[-1])
    mobile = ContactPoint.objects.filter(debtor__case__id=case_id, kind="mobile", relation="self").get()
    assert mobile.national not in text and f"尾号{mobile.national[-4:]}" in text
    assert page.locator("form.reveal").count() == 0  # collectors have no reveal button
    screenshot(page, "foundation-case-page")
    other = Case.objects.filter(assignee=portfolio["bob"]).first()
    assert other is not None
    response = page.goto(f"{portfolio['url']}/cases/{other.pk}/")
    assert response is not None and response.status == 404


def test_team_lead_reveals_a_number_with_a_reason(page: Any, portfolio: dict[str, Any]) -> None:
    login(page, portfolio["url"], "lena", "pw-lena")
    case = Case.objects.filter(assignee=portfolio["bob"]).first()
    assert case is not None
    page.goto(f"{portfolio['url']}/cases/{case.pk}/")
    mobile = ContactPoint.objects.filter(debtor__case=case, kind="mobile", relation="self").get()
    form = page.locator(f"form[hx-post='/contacts/{mobile.pk}/reveal/']")
    form.locator("input[name=reason]").fill("核实还款来电")
    form.locator("button").click()
    page.locator(f"#cp-{mobile.pk} .revealed").wait_for()
    assert page.locator(f"#cp-{mobile.pk}").inner_text().strip() == mobile.national
    assert AccessLog.objects.filter(user__username="lena", reason="核实还款来电").count() == 1
    screenshot(page, "foundation-reveal")


def test_language_switch_to_english(page: Any, portfolio: dict[str, Any]) -> None:
    login(page, portfolio["url"], "alice", "pw-alice")
    assert "案件" in page.content()
    # The select submits its form on change; wait for that navigation, not for the page already loaded.
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    assert "Cases" in page.locator("header").inner_text()
