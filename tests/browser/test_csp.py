"""The Content-Security-Policy in Debian's Chromium: it is enforced, a violation fails the test, and every
screen not walked by the other browser tests passes it (the `page` fixture fails on any violation logged)."""

from __future__ import annotations

from typing import Any

import pytest

from huikuan.cases.models import Case
from huikuan.comms.models import Template
from tests.browser.conftest import login, screenshot
from tests.comms.conftest import templates
from tests.conftest import Personas

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
__all__ = ["templates"]


def test_the_browser_enforces_the_policy_and_reports_the_violation(
    page: Any, live_server: Any, personas: Personas
) -> None:
    login(page, live_server.url, "alice", "pw-alice")
    # What an injected <script> or style attribute (an XSS) would do: blocked, and logged in the console.
    page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "window.injected = true";
            document.body.appendChild(script);
            document.querySelector("main").setAttribute("style", "background: red");
        }"""
    )
    page.wait_for_function("() => true")
    assert page.evaluate("() => window.injected === undefined")
    assert page.evaluate("() => getComputedStyle(document.querySelector('main')).backgroundColor") != "rgb(255, 0, 0)"
    page.wait_for_timeout(200)
    blocked = list(page.csp_violations)
    assert any("script-src" in text for text in blocked), blocked
    assert any("style-src" in text for text in blocked), blocked
    page.csp_violations.clear()


def test_every_other_screen_passes_the_policy(
    page: Any, live_server: Any, small_portfolio: Personas, templates: int
) -> None:
    url = live_server.url
    p = small_portfolio
    case = Case.objects.filter(team=p.team_a).order_by("id").first()
    template = Template.objects.order_by("id").first()
    assert case is not None and template is not None

    page.goto(f"{url}/comms/opt-out/not-a-token/")  # the debtor's page, without a login
    assert page.locator("body.opt-out").count() == 1
    page.goto(f"{url}/login/")
    login(page, url, "adam", "pw-adam")
    screens = [
        "/", f"/cases/{case.pk}/", "/work/", "/work/team/", "/import/", "/qa/", "/qa/?kind=flags", "/strategy/",
        "/comms/templates/", f"/comms/templates/{template.pk}/", f"/comms/templates/{template.pk}/new/",
        "/admin/", "/admin/cases/case/", f"/admin/cases/case/{case.pk}/change/", "/admin/audit/securityevent/",
        "/admin/axes/accessattempt/", "/admin/org/user/add/",
    ]  # fmt: skip
    for screen in screens:
        response = page.goto(f"{url}{screen}")
        assert response is not None and response.status == 200, screen
    # The API's own documentation page: Swagger UI from the project's static files, not a CDN.
    page.goto(f"{url}/api/docs")
    page.locator(".swagger-ui .opblock").first.wait_for()
    screenshot(page, "csp-api-docs")
    # The language menu submits itself through web/app.js (it had an inline onchange handler).
    page.goto(f"{url}/")
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.goto(f"{url}/no-such-page/").status == 404
    page.wait_for_timeout(200)


def test_the_lockout_page_passes_the_policy(page: Any, live_server: Any, personas: Personas, settings: Any) -> None:
    url = live_server.url
    for n in range(settings.AXES_FAILURE_LIMIT):
        page.goto(f"{url}/login/")
        page.fill("input[name=username]", "bob")
        page.fill("input[name=password]", f"guess-{n}")
        with page.expect_navigation():
            page.click("button[type=submit]")
    assert page.locator("[data-testid=locked-out]").is_visible()
    assert "连续10次登录失败" in page.locator("[data-testid=locked-out]").inner_text()
    screenshot(page, "login-locked-out")
