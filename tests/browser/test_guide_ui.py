"""Issue 26 in Chromium on the demo: the guide's screenshots are taken here, from the demo data, in both
languages (so a changed screen changes its picture in the guide), and the "?" of each role's pages opens the
section that explains the page, with its pictures loaded."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from huikuan.strategy.models import WorkItem
from huikuan.web.guide import SHOT_DIR
from tests.browser.conftest import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "huikuan-demo"


def _case_of(username: str) -> str:
    case_id = WorkItem.objects.filter(assignee__username=username).values_list("case_id", flat=True).first()
    return f"/cases/{case_id}/"


# Each screenshot the guide shows ({shot:NAME}): who takes it, and of which page.
SHOTS: dict[str, tuple[str, Callable[[], str]]] = {
    "queue": ("collector1", lambda: "/work/"),
    "case": ("collector1", lambda: _case_of("collector1")),
    "team": ("lead1", lambda: "/work/team/"),
    "import": ("lead1", lambda: "/import/"),
    "register": ("qa1", lambda: "/qa/"),
}
# The pages whose "?" is followed, as whom, and the section that must open.
HELP_FROM: list[tuple[str, Callable[[], str], str]] = [
    ("collector1", lambda: "/work/", "/help/collector/#queue"),
    ("collector1", lambda: _case_of("collector1"), "/help/collector/#case"),
    ("lead1", lambda: "/work/team/", "/help/lead/#team"),
    ("lead1", lambda: "/import/", "/help/lead/#import"),
    ("lead1", lambda: "/comms/templates/", "/help/lead/#templates"),
    ("qa1", lambda: "/qa/", "/help/qa/#register"),
    ("legal1", lambda: "/", "/help/legal/#cases"),
    ("admin", lambda: "/work/team/payments/", "/help/lead/#payments"),
]


def _use_language(page: Any, url: str, lang: str) -> None:
    page.context.add_cookies([{"name": "django_language", "value": lang, "url": url}])


def test_the_guides_screenshots_come_from_the_demo(page: Any, live_server: Any, demo: None) -> None:
    url = live_server.url
    who = None
    for lang in ("zh-hans", "en"):
        _use_language(page, url, lang)
        folder = SHOT_DIR / lang
        folder.mkdir(parents=True, exist_ok=True)
        for name, (username, path) in SHOTS.items():
            if username != who:
                page.context.clear_cookies()
                _use_language(page, url, lang)
                login(page, url, username, PASSWORD)
                who = username
            response = page.goto(url + path())
            assert response is not None and response.status == 200, (name, lang)
            page.screenshot(path=str(folder / f"{name}.png"), full_page=False)
            assert (folder / f"{name}.png").stat().st_size > 10_000
        who = None


def test_the_question_mark_opens_the_pages_section(page: Any, live_server: Any, demo: None) -> None:
    url = live_server.url
    who = None
    for username, path, expected in HELP_FROM:
        if username != who:
            page.context.clear_cookies()
            login(page, url, username, PASSWORD)
            who = username
        page.goto(url + path())
        with page.expect_navigation():
            page.click("[data-testid=help-link]")
        assert page.url == url + expected, (username, path())
        anchor = expected.split("#")[1]
        section = page.locator(f"section#{anchor}")
        assert section.is_visible()
        screenshot(page, f"guide-{username}-{anchor}")
        # Every picture of the section is served and loads.
        for img in section.locator("img").all():
            assert img.evaluate("el => el.complete && el.naturalWidth > 0"), img.get_attribute("src")
    # The first-login tour: a new collector sees it on the queue, dismisses it, and it stays away.
    page.context.clear_cookies()
    login(page, url, "collector2", PASSWORD)
    page.goto(url + "/work/")
    assert page.locator("[data-testid=tour]").is_visible()
    with page.expect_navigation():
        page.click("[data-testid=tour-done]")
    assert page.locator("[data-testid=tour]").count() == 0
    page.goto(url + "/work/")
    assert page.locator("[data-testid=tour]").count() == 0
