"""Issue 18, item 5 in Debian's Chromium: a team lead opens the dashboards, the charts are drawn by ECharts
(a canvas in every chart's box, under the Content-Security-Policy), filters them, drills down from a day to
its cases and downloads a table as XLSX; a collector sees only her own figures. Screenshots go to
artifacts/screenshots/analytics-*."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest

from tests.analytics.conftest import D2, Facts, facts
from tests.browser.conftest import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
__all__ = ["facts"]


def test_a_lead_reads_filters_drills_down_and_downloads_and_a_collector_sees_her_own(
    live_server: Any, page: Any, facts: Facts
) -> None:
    url = live_server.url
    login(page, url, "lena", "pw-lena")
    page.click("[data-testid=nav-analytics]")
    page.goto(f"{url}/analytics/?start={facts.first.isoformat()}&end={facts.last.isoformat()}")
    for chart in ("trend", "roll", "heatmap", "leaderboard", "channels", "vintage"):
        page.wait_for_selector(f"[data-chart={chart}] canvas")
    assert page.locator("[data-testid=table-leaderboard] tbody tr").count() == 2
    screenshot(page, "analytics-01-lead-dashboard")

    page.select_option("select[name=product]", "credit_card")
    page.click("[data-testid=apply-filters]")
    page.wait_for_url("**product=credit_card**")
    page.wait_for_selector("[data-chart=trend] canvas")
    # Bob's credit card alone: 500.00 open on each day.
    trend = page.locator("[data-testid=table-trend]")
    first_day = trend.locator("tbody tr").first.locator("td")
    assert [first_day.nth(n).text_content() for n in (1, 2)] == ["1", "500.00"]
    screenshot(page, "analytics-02-filtered")

    page.select_option("select[name=product]", "")
    page.click("[data-testid=apply-filters]")
    page.wait_for_selector("[data-chart=trend] canvas")
    page.locator("[data-testid=figure-trend] summary").click()
    with page.expect_navigation():
        page.locator("[data-testid=table-trend] tr", has_text=D2.isoformat()).locator("a").click()
    cases = page.locator("[data-testid=drill-cases]")
    assert cases.locator("a[href='/cases/1/']").count() == 1 and cases.locator("tbody tr").count() == 1
    screenshot(page, "analytics-03-drill-down")
    with page.expect_download() as download:
        page.click("[data-testid=xlsx-cases]")
    sheet = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes())).active
    assert sheet is not None and [row[0] for row in sheet.iter_rows(min_row=3, values_only=True)] == [1]

    page.goto(f"{url}/analytics/?start={facts.first.isoformat()}&end={facts.last.isoformat()}")
    with page.expect_download() as download:
        page.click("[data-testid=xlsx-leaderboard]")
    rows = list(
        openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes())).active.iter_rows(values_only=True)
    )
    assert [r[0] for r in rows[2:]] == ["alice", "bob"]
    page.context.clear_cookies()

    login(page, url, "alice", "pw-alice")
    page.goto(f"{url}/analytics/?start={facts.first.isoformat()}&end={facts.last.isoformat()}")
    page.wait_for_selector("[data-chart=trend] canvas")
    assert page.locator("[data-testid=table-leaderboard] tbody tr").count() == 1
    assert "bob" not in page.content() and page.locator("[data-testid=figure-experiment]").count() == 0
    screenshot(page, "analytics-04-collector-own")
