"""A real browser for UI tests: Debian's Chromium driven by Playwright against pytest-django's live server.

Screenshots go to artifacts/screenshots/ (kept by CI as artefacts; the folder is git-ignored).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"

# Playwright's sync API runs an event loop in this thread; Django refuses ORM calls from a thread with a
# running loop unless told the calls are deliberate. The test's own ORM calls are plain synchronous ones.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    assert executable, "Debian's chromium is missing: scripts/system-packages.sh installs it"
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=executable,
            args=["--headless", "--no-sandbox", "--disable-background-networking", "--disable-gpu",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )  # fmt: skip
        yield instance
        instance.close()


def is_csp_violation(text: str) -> bool:
    return "Content Security Policy" in text


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A page whose test fails if the browser logs any Content-Security-Policy violation on it.

    Every browser test walks real screens, so together they check that the pages pass the policy; a test
    that provokes a violation on purpose reads and clears ``page.csp_violations``.
    """
    # 1366×768 is the collectors' screen the workbench is designed for.
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = context.new_page()
    page.csp_violations = []
    page.on("console", lambda message: is_csp_violation(message.text) and page.csp_violations.append(message.text))
    yield page
    violations = list(page.csp_violations)
    context.close()
    assert violations == [], f"the page broke its Content-Security-Policy: {violations}"


def screenshot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def login(page: Any, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("button[type=submit]")
