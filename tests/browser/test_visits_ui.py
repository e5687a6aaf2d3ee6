"""Issue 17, item 1 in Debian's Chromium at 1366×768: Alice opens today's visits from her queue, finds the
visit under its district, reveals the address for it, tries to record it alone (the China pack refuses, naming
cn.visit_collectors and its source), then records it with Bob as the second collector and a photo of the door:
the visit is marked recorded and the day's visit item closed. Screenshots go to artifacts/screenshots/."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from huikuan.fieldwork.models import Visit
from huikuan.strategy.models import WorkItem
from tests.browser.conftest import login, screenshot
from tests.fieldwork.fixtures import JPEG, visit_case
from tests.workbench.fixtures import make_case, run

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
__all__ = ["make_case", "run", "visit_case"]  # the fixtures the test uses


def wall(instant: Any) -> str:
    return timezone.localtime(instant).strftime("%Y-%m-%dT%H:%M")


def test_two_collectors_complete_a_visit(live_server: Any, page: Any, personas: Any, visit_case: Any,
                                         tmp_path: Any) -> None:  # fmt: skip
    url = live_server.url
    case, item = visit_case("上海市浦东新区张江路1号")
    login(page, url, "alice", "pw-alice")
    page.goto(f"{url}/work/")
    page.click("[data-testid=nav-visits]")
    page.wait_for_url(f"{url}/visits/")
    district = page.locator("[data-district='上海市浦东新区']")
    assert district.count() == 1 and "张江路1号" not in page.content()
    district.locator("[data-testid=reveal-address]").click()
    page.locator("[data-testid=address-revealed]").wait_for()
    assert page.locator("[data-testid=address-revealed]").inner_text() == "上海市浦东新区张江路1号"
    screenshot(page, "visit-01-day-by-district-address-revealed")

    page.click("[data-testid=open-visit]")
    page.wait_for_url(f"{url}/visits/cases/{case.pk}/")
    now = timezone.now()
    page.fill("[data-testid=field-arrived_at]", wall(now - timedelta(minutes=50)))
    page.fill("[data-testid=field-left_at]", wall(now - timedelta(minutes=10)))
    page.check("input[name=persons_met][value=debtor]")
    page.check("input[name=outcome][value=met_debtor]")
    page.fill("[data-testid=field-notes]", "债务人在家，表示月底前处理。")
    # Alone first: the gate refuses a visit by one collector, and the page says which rule and its source.
    with page.expect_navigation():
        page.click("[data-testid=save-visit]")
    errors = page.locator("[data-testid=visit-errors]").inner_text()
    assert "cn.visit_collectors" in errors and "催收工作指引" in errors
    assert not Visit.objects.filter(case=case).exists()
    screenshot(page, "visit-02-refused-one-collector")

    photo = tmp_path / "door.jpg"
    photo.write_bytes(JPEG)
    page.select_option("[data-testid=field-second-collector]", str(personas.bob.pk))
    page.set_input_files("[data-testid=field-files]", str(photo))
    screenshot(page, "visit-03-form-two-collectors")
    with page.expect_navigation():
        page.click("[data-testid=save-visit]")
    page.locator("[data-testid=visit-saved]").wait_for()
    assert page.locator(f"tr[data-item='{item.pk}'] [data-testid=visit-done]").count() == 1
    screenshot(page, "visit-04-recorded")

    visit = Visit.objects.get(case=case)
    assert (visit.collector_id, visit.second_collector_id) == (personas.alice.pk, personas.bob.pk)
    assert [a.sha256 for a in visit.attachments.all()] == [hashlib.sha256(JPEG).hexdigest()]
    assert WorkItem.objects.get(pk=item.pk).status == "done"
