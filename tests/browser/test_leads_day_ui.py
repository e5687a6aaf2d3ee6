"""Issue 16, a team lead's day in Debian's Chromium at 1280 px: Lena finds Alice's waiver request with its
buttons on screen, approves it without a reason (the refusal is shown at the request, in Chinese), then with
one; Alice sees the notification in her header, opens it and finds the decision on the case's timeline, and
gives a corrected number; Lena posts a payment by contract number and reverses it, again first without a
reason. Screenshots go to artifacts/screenshots/lead-*."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from huikuan.notifications.models import Notification
from huikuan.payments.models import Payment, PaymentStatus, WaiverStatus
from huikuan.payments.waivers import request_waiver
from huikuan.portfolio.models import ContactPoint, Validity
from tests.browser.conftest import is_csp_violation, login, screenshot
from tests.workbench.fixtures import earliest_today, make_case, run, workday
from tests.workbench.opening import in_ledger

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
__all__ = ["make_case", "run", "workday"]  # fixtures of the workbench's working day, used below

WIDTH = 1280


@pytest.fixture
def collector_page(browser: Any) -> Iterator[Any]:
    """A second browser, Alice's, beside Lena's; it too must pass the Content-Security-Policy."""
    context = browser.new_context(viewport={"width": WIDTH, "height": 800}, locale="zh-CN")
    page = context.new_page()
    violations: list[str] = []

    def keep(message: Any) -> None:
        if is_csp_violation(message.text):
            violations.append(message.text)

    page.on("console", keep)
    yield page
    context.close()
    assert violations == []


def test_a_leads_day_approvals_notifications_and_payments(
    live_server: Any, page: Any, collector_page: Any, workday: dict[str, Any]
) -> None:
    url = live_server.url
    p, case = workday["personas"], in_ledger(workday["middle"])
    waiver = request_waiver(p.alice, case, penalty=Decimal("900.00"), reason="失业半年，一次性结清")
    assert waiver.status == WaiverStatus.PENDING
    page.set_viewport_size({"width": WIDTH, "height": 800})

    login(page, url, "lena", "pw-lena")
    page.goto(f"{url}/work/team/")
    request = page.locator(f"#waiver-{waiver.pk}")
    approve = request.locator("[data-testid=approve]")
    reject = request.locator("[data-testid=reject]")
    for button in (approve, reject):
        box = button.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, box
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH  # nothing pushed off to the right
    assert request.locator(".req").count() == 1  # the reason is marked required
    screenshot(page, "lead-01-approvals-at-1280")

    # Empty: the browser itself asks for the required reason and sends nothing.
    approve.click()
    assert request.locator("[data-testid=waiver-reason]").evaluate("e => e.validity.valueMissing")
    # Spaces pass the browser's check; the server refuses them, at the request, in Chinese.
    request.locator("[data-testid=waiver-reason]").fill("   ")
    with page.expect_navigation():
        approve.click()
    errors = page.locator(f"#waiver-{waiver.pk} [data-testid=waiver-errors]")
    assert "请填写审批理由。" in errors.inner_text()
    assert page.locator(f"#waiver-{waiver.pk} [data-testid=waiver-reason]").get_attribute("aria-invalid") == "true"
    assert page.locator("header.top").is_visible()  # the styled page, not a bare 400
    screenshot(page, "lead-02-approve-without-reason")

    page.locator(f"#waiver-{waiver.pk} [data-testid=waiver-reason]").fill("配合还款，同意减免")
    with page.expect_navigation():
        page.locator(f"#waiver-{waiver.pk} [data-testid=approve]").click()
    assert "已通知催收员" in page.locator("[data-testid=waiver-decided]").inner_text()
    waiver.refresh_from_db()
    assert waiver.status == WaiverStatus.APPROVED
    screenshot(page, "lead-03-approved")

    # Alice: the count in her header, the list, the case with the decision on its timeline.
    login(collector_page, url, "alice", "pw-alice")
    collector_page.goto(f"{url}/work/")
    assert collector_page.locator("[data-testid=unread-count]").inner_text() == "1"
    screenshot(collector_page, "lead-04-collector-header-count")
    collector_page.click("[data-testid=nav-notifications]")
    item = collector_page.locator("[data-testid=notifications] li.unread")
    assert "lena 已批准减免 900.00 元（配合还款，同意减免）" in item.inner_text()
    screenshot(collector_page, "lead-05-collector-notifications")
    with collector_page.expect_navigation():
        item.locator("[data-testid=open-case]").click()
    assert collector_page.url.endswith(f"/cases/{case.pk}/")
    assert "减免 900.00 元已批准" in collector_page.locator("[data-testid=timeline]").inner_text()
    assert collector_page.locator("[data-testid=unread-count]").count() == 0
    assert Notification.objects.get(user=p.alice).read_at is not None
    screenshot(collector_page, "lead-06-collector-timeline")

    # Alice takes down the number the debtor gives, typed on a Chinese keyboard.
    collector_page.click("[data-testid=edit-contacts]")
    collector_page.fill("[data-testid=field-value]", "139 0013")
    collector_page.fill("[data-testid=field-reason]", "债务人电话中告知新号码")
    with collector_page.expect_navigation():
        collector_page.click("[data-testid=save-contact]")
    assert "这不是有效的电话号码。" in collector_page.locator("[data-testid=error-value]").inner_text()
    screenshot(collector_page, "lead-07a-collector-number-refused")
    collector_page.fill("[data-testid=field-value]", "１３９ ００１３ ８００１")
    collector_page.fill("[data-testid=field-reason]", "债务人电话中告知新号码")
    with collector_page.expect_navigation():
        collector_page.click("[data-testid=save-contact]")
    assert "139****8001" in collector_page.locator("[data-testid=contact-added]").inner_text()
    assert ContactPoint.objects.get(debtor=case.debtor, value="+8613900138001").validity == Validity.UNVERIFIED
    screenshot(collector_page, "lead-07b-collector-added-number")

    # Lena posts a payment by contract number, then reverses it.
    page.goto(f"{url}/work/team/")
    page.click("[data-testid=team-payments-link]")
    page.fill("[data-testid=field-contract]", case.debtor.accounts.get().contract_no)
    page.fill("[data-testid=field-amount]", "1,000.00")
    page.fill("[data-testid=field-paid_on]", earliest_today().isoformat())
    page.fill("[data-testid=field-reference]", "TX-20261206-1")
    with page.expect_navigation():
        page.click("[data-testid=post-payment]")
    payment = Payment.objects.get()
    assert payment.amount == Decimal("1000.00") and payment.created_by == p.lena
    row = page.locator(f"#payment-{payment.pk}")
    assert "已入账" in row.inner_text()
    screenshot(page, "lead-08-payment-posted")

    row.locator("[data-testid=reverse-reason]").fill("  ")
    with page.expect_navigation():
        row.locator("[data-testid=reverse]").click()
    assert "此项必填。" in page.locator(f"#payment-{payment.pk} [data-testid=reverse-errors]").inner_text()
    screenshot(page, "lead-09-reverse-without-reason")
    page.locator(f"#payment-{payment.pk} [data-testid=reverse-reason]").fill("银行退票")
    with page.expect_navigation():
        page.locator(f"#payment-{payment.pk} [data-testid=reverse]").click()
    payment.refresh_from_db()
    assert (payment.status, payment.reversal_reason) == (PaymentStatus.REVERSED, "银行退票")
    assert "已冲正" in page.locator(f"#payment-{payment.pk}").inner_text()
    screenshot(page, "lead-10-payment-reversed")
