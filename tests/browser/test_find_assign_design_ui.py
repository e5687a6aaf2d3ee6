"""Issue 16, items 4–6 in Debian's Chromium at 1366×768.

Alice finds her debtor 王建国 from the header's search box by the tail of his mobile and by part of his masked
name, then designs a 3-instalment plan on the 15th in the plan panel, takes it, hears step 4 read it back and
saves it. Lena, who leads team A, imports a file without team or collector columns, reads on the import page
who sees the new cases, finds them as unassigned and assigns one to Bob; Bob then opens it.
Screenshots go to artifacts/screenshots/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from huikuan.cases.models import Case
from huikuan.payments.models import RepaymentPlan
from huikuan.portfolio.models import ContactPoint
from tests.browser.conftest import login, screenshot
from tests.intake.test_import import row, write
from tests.workbench.fixtures import make_case, run, workday

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
__all__ = ["make_case", "run", "workday"]  # fixtures of the workbench's working day, used below


def test_search_by_phone_tail_and_part_of_a_name_then_design_three_instalments(
    live_server: Any, page: Any, workday: dict[str, Any]
) -> None:
    url = live_server.url
    wang = workday["early"]  # 王建国, owing 12,400.00
    ContactPoint.objects.filter(debtor=wang.debtor, kind="mobile").update(value="+8613812345678")
    login(page, url, "alice", "pw-alice")

    page.goto(f"{url}/work/")
    page.fill("[data-testid=global-search]", "尾号5678")
    with page.expect_navigation():
        page.press("[data-testid=global-search]", "Enter")
    listed = page.locator("[data-testid=case-list] tbody tr")
    assert listed.count() == 1 and listed.first.get_attribute("data-case") == str(wang.pk)
    text = listed.first.inner_text()
    assert "王**" in text and "138****5678" in text and "13812345678" not in page.content()
    screenshot(page, "find-01-search-by-phone-tail")

    page.fill("[data-testid=case-search]", "建国")
    with page.expect_navigation():
        page.press("[data-testid=case-search]", "Enter")
    assert [listed.nth(i).get_attribute("data-case") for i in range(listed.count())] == [str(wang.pk)]
    assert "王建国" not in page.locator("[data-testid=case-list]").inner_text()
    screenshot(page, "find-02-search-by-part-of-a-name")

    page.click(f"[data-testid=case-list] tr[data-case='{wang.pk}'] a")
    page.wait_for_url(f"{url}/cases/{wang.pk}/")
    page.click("[data-testid=plan-panel] summary")
    page.fill("[data-testid=plan-instalments]", "3")
    page.fill("[data-testid=plan-payment-day]", "15")
    page.click("[data-testid=plan-design]")
    designed = page.locator("[data-testid=plan-designed] li[data-kind=instalments]")
    designed.wait_for()
    amounts = designed.locator("table.schedule tbody tr td.num").all_inner_texts()
    assert amounts == ["4,133.00", "4,133.00", "4,134.00"]
    screenshot(page, "find-03-plan-panel-three-instalments")

    page.click("[data-testid=take-instalments]")
    confirm = page.locator("#script .step:visible").inner_text()
    assert "分3期" in confirm and "4,133" in confirm
    assert page.locator("input[name=outcome][value=plan_accepted]").is_checked()
    screenshot(page, "find-04-step4-reads-back-the-designed-plan")
    with page.expect_navigation():  # saved, then on to the next case
        page.keyboard.press("Control+Enter")
    plan = RepaymentPlan.objects.get(case=wang)
    schedule = list(plan.instalments.order_by("n").values_list("amount", "due_date"))
    assert [str(a) for a, _d in schedule] == ["4133.00", "4133.00", "4134.00"]
    assert {d.day for _a, d in schedule} == {15}


def test_a_lead_imports_without_owners_and_assigns_a_case(
    live_server: Any, page: Any, workday: dict[str, Any], tmp_path: Path
) -> None:
    url = live_server.url
    rows = [
        row(customer_no=f"IMP{i}", name=name, contract_no=f"HT-IMP{i}", id_number="", mobile=f"1390000{i:04d}",
            contact1_phone="", contact1_name="", contact1_relation="", email="")
        for i, name in enumerate(("周杰", "吴敏"))
    ]  # fmt: skip
    upload = write(tmp_path / "no-owners.csv", rows)
    login(page, url, "lena", "pw-lena")
    page.goto(f"{url}/import/")
    page.set_input_files("input[name=file]", str(upload))
    with page.expect_navigation():
        page.click("form button[type=submit]")
    audience = page.locator("[data-testid=import-audience]")
    assert "A组" in audience.inner_text() and "只有您能看到" in audience.inner_text()
    screenshot(page, "assign-01-import-says-who-sees-the-cases")

    with page.expect_navigation():
        page.click("[data-testid=show-unassigned]")
    imported = list(Case.objects.filter(debtor__customer_no__startswith="IMP").order_by("id"))
    listed = page.locator("[data-testid=case-list] tbody tr")
    assert sorted(int(listed.nth(i).get_attribute("data-case")) for i in range(listed.count())) == [
        c.pk for c in imported
    ]
    page.check(f"tr[data-case='{imported[0].pk}'] input[name=cases]")
    page.select_option("[data-testid=assign-cases] select[name=to]", label="bob")
    page.fill("[data-testid=assign-cases] input[name=reason]", "导入新案，按地区分配")
    screenshot(page, "assign-02-unassigned-cases-ticked")
    with page.expect_navigation():
        page.click("[data-testid=assign-selected]")
    assert "已将1个案件分配给bob" in page.locator("[data-testid=messages]").inner_text()
    assert page.locator("[data-testid=case-list] tbody tr[data-case]").count() == 1
    screenshot(page, "assign-03-assigned")
    assert Case.objects.get(pk=imported[0].pk).assignee == workday["personas"].bob

    page.context.clear_cookies()
    login(page, url, "bob", "pw-bob")
    page.goto(f"{url}/cases/{imported[0].pk}/")
    assert page.locator("[data-testid=debtor-name]").is_visible()
    screenshot(page, "assign-04-collector-opens-the-assigned-case")
