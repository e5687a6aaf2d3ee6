"""The demo in Chromium, in Chinese: each role's main pages, the error pages and the API docs, with screenshots;
no request leaves the server, every page has the icon, and the visible text has no code or English wording."""

from __future__ import annotations

from typing import Any

import pytest

from huikuan.strategy.models import WorkItem
from tests.browser.conftest import login, screenshot
from tests.web.test_zh_pages import english_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "huikuan-demo"


def _visible_english(page: Any) -> list[str]:
    # Each visible text node of <main>, but not the English template texts, code and keys (English by design).
    texts = page.evaluate(
        """() => { const skip = 'code, kbd, pre, textarea, .tpl-text, .diff, [lang^=en], script, style';
        const walker = document.createTreeWalker(document.querySelector('main'), NodeFilter.SHOW_TEXT);
        const out = [];
        while (walker.nextNode()) { const el = walker.currentNode.parentElement;
          if (el.closest(skip) || !el.checkVisibility()) continue;
          const t = walker.currentNode.textContent.trim(); if (t) out.push(t); }
        return out; }"""
    )
    return [f"{w} in {t[:80]!r}" for t in texts for w in english_in(t)]


def _watch_hosts(page: Any, base: str) -> list[str]:
    outside: list[str] = []
    page.on("request", lambda r: None if r.url.startswith((base, "data:", "blob:")) else outside.append(r.url))
    return outside


def test_a_collectors_pages_in_chinese(page: Any, live_server: Any, demo: None) -> None:
    url = live_server.url
    outside = _watch_hosts(page, url)
    login(page, url, "collector1", PASSWORD)
    page.goto(f"{url}/work/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert _visible_english(page) == []
    screenshot(page, "zh-collector-queue")
    case_id = WorkItem.objects.filter(assignee__username="collector1").values_list("case_id", flat=True).first()
    page.goto(f"{url}/cases/{case_id}/")
    assert _visible_english(page) == []
    # The script names the collector family name first.
    assert "李丽" in page.locator("main").inner_text() and "丽 李" not in page.locator("main").inner_text()
    screenshot(page, "zh-collector-case")
    response = page.goto(f"{url}/import/")
    assert response is not None and response.status == 403
    assert page.locator("[data-testid=error-page]").is_visible() and _visible_english(page) == []
    screenshot(page, "zh-error-403")
    response = page.goto(f"{url}/no-such-page/")
    assert response is not None and response.status == 404
    assert "页面不存在" in page.locator("main").inner_text()
    screenshot(page, "zh-error-404")
    icon = page.request.get(f"{url}/favicon.ico")
    assert icon.ok and "svg" in icon.headers["content-type"]
    assert outside == []


def test_a_team_leads_pages_in_chinese(page: Any, live_server: Any, demo: None) -> None:
    url = live_server.url
    outside = _watch_hosts(page, url)
    login(page, url, "lead1", PASSWORD)
    for path, name in (
        ("/work/team/", "zh-lead-team"),
        ("/strategy/", "zh-lead-strategy"),
        ("/qa/", "zh-lead-qa-register"),
        ("/comms/templates/", "zh-lead-templates"),
        ("/", "zh-lead-cases"),
    ):
        response = page.goto(f"{url}{path}")
        assert response is not None and response.status == 200, path
        assert _visible_english(page) == [], path
        screenshot(page, name)
    page.goto(f"{url}/api/docs")
    page.locator(".swagger-ui .opblock").first.wait_for()
    screenshot(page, "zh-api-docs")
    assert outside == []
