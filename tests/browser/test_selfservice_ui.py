"""Issue 22 in Debian's Chromium at a phone's 390×844: the debtor opens the link, enters the code sent to their
own mobile, sees the balance to the fen, accepts a plan, pays through a fake WeChat Pay gateway on 127.0.0.1 and
sees the confirmation; the same in English; a dispute; an opt-out. axe-core (vendored from its npm package,
served from the project's static files) runs on every self-service page: no serious or critical violation."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from huikuan.cases.models import CaseStatus, HoldReason
from huikuan.comms.models import Message
from huikuan.compliance.models import StopRequest
from huikuan.payments.models import Instalment, Payment, PlanStatus, RepaymentPlan
from huikuan.portfolio.models import Debtor
from huikuan.selfservice.links import issue_link, token_of
from huikuan.selfservice.models import Event, EventKind
from tests.browser.conftest import is_csp_violation, screenshot
from tests.payments.conftest import Debt
from tests.selfservice.conftest import debt
from tests.selfservice.gateways import FakeWeChatPay

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
__all__ = ["debt"]  # the fixture of tests/selfservice, used below

AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map(n => n.target.join(" ")).join(", ")}`);
}"""


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    """A phone-sized page that fails its test on any Content-Security-Policy violation."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.csp_violations = []
    page.on("console", lambda message: is_csp_violation(message.text) and page.csp_violations.append(message.text))
    yield page
    violations = list(page.csp_violations)
    context.close()
    assert violations == [], f"the page broke its Content-Security-Policy: {violations}"


@pytest.fixture
def gateway(settings: Any, live_server: Any) -> Iterator[FakeWeChatPay]:
    fake = FakeWeChatPay()
    settings.HUIKUAN_WECHATPAY = fake.settings()
    settings.HUIKUAN_ALIPAY = {}
    settings.SITE_URL = live_server.url
    yield fake
    fake.close()


def accessible(page: Any, base: str) -> None:
    """axe-core on the page as it stands: no serious or critical violation."""
    page.add_script_tag(url=f"{base}/static/vendor/axe-core/axe.min.js")
    violations = page.evaluate(AXE)
    assert violations == [], violations


def open_with_code(page: Any, base: str, debt: Debt, name: str) -> str:
    link = issue_link(debt.case, channel="sms")
    url = f"{base}/s/{token_of(link)}/"
    page.goto(url)
    accessible(page, base)
    assert "张伟" not in page.content() and "3,220.00" not in page.content()
    screenshot(page, f"{name}-01-code")
    page.click("[data-testid=send-code] button")
    page.locator("[data-testid=code-sent]").wait_for()
    body = Message.objects.filter(purpose="access_code", case_id=debt.case.pk).latest("id").body
    code = re.search(r"(?<![0-9])([0-9]{6})(?![0-9])", body)
    assert code is not None
    page.fill("#code", code.group(1))
    page.click("[data-testid=enter-code] button")
    page.locator("[data-testid=total]").wait_for()
    return url


def pay_through_the_gateway(page: Any, base: str, name: str, gateway: FakeWeChatPay) -> None:
    page.click("[data-testid=pay] button")
    page.locator("[data-testid=checkout]").wait_for()
    accessible(page, base)
    page.click("[data-testid=checkout]")
    page.locator("[data-testid=gateway-pay]").wait_for()
    screenshot(page, f"{name}-04-gateway")
    page.click("[data-testid=gateway-pay]")
    page.locator("[data-testid=payment-waiting], [data-testid=payment-confirmed]").wait_for()
    refused = list(Event.objects.filter(kind=EventKind.NOTIFICATION_REFUSED).values_list("detail", flat=True))
    assert gateway.notification_answers == [204], (gateway.notification_answers, refused)
    page.locator("[data-testid=payment-confirmed]").wait_for()
    accessible(page, base)
    screenshot(page, f"{name}-05-confirmed")


def test_link_code_breakdown_plan_and_payment_in_chinese(live_server: Any, phone: Any, debt: Debt,
                                                          gateway: FakeWeChatPay) -> None:  # fmt: skip
    base = live_server.url
    open_with_code(phone, base, debt, "ss-zh")
    assert phone.locator("[data-testid=total]").inner_text() == "3,220.00"
    assert phone.locator("[data-testid=account]").count() == 2
    assert "滞纳金" in phone.content() and "2,120.00" in phone.content()
    accessible(phone, base)
    screenshot(phone, "ss-zh-02-breakdown")
    phone.click("[data-testid=plan-instalments] button")
    phone.locator("[data-testid=done][data-done=plan]").wait_for()
    accessible(phone, base)
    screenshot(phone, "ss-zh-03-plan-accepted")
    plan = RepaymentPlan.objects.get(case=debt.case)
    first = Instalment.objects.get(plan=plan, n=1)
    assert plan.status == PlanStatus.ACTIVE
    assert phone.input_value("#pay-amount") == f"{first.amount:.2f}"
    pay_through_the_gateway(phone, base, "ss-zh", gateway)
    payment = Payment.objects.get()
    assert payment.amount == first.amount and payment.idempotency_key.startswith("online:wechat:HK")
    first.refresh_from_db()
    assert first.paid_amount == first.amount
    assert "我们已收到您的还款" in phone.content()


def test_the_same_in_english(live_server: Any, phone: Any, debt: Debt, gateway: FakeWeChatPay) -> None:
    base = live_server.url
    Debtor.objects.filter(pk=debt.case.debtor_id).update(preferred_language="en")
    open_with_code(phone, base, debt, "ss-en")
    assert "What you owe" in phone.content() and "Late penalty" in phone.content()
    accessible(phone, base)
    screenshot(phone, "ss-en-02-breakdown")
    phone.click("[data-testid=plan-ladder] button")
    phone.locator("[data-testid=done][data-done=plan]").wait_for()
    assert "I accept this repayment plan" in (RepaymentPlan.objects.get().summary + phone.content())
    pay_through_the_gateway(phone, base, "ss-en", gateway)
    assert "We received your payment" in phone.content()
    assert Payment.objects.get().amount == Decimal("500.00")  # the ladder's goodwill payment


def test_a_dispute_from_the_phone(live_server: Any, phone: Any, debt: Debt, gateway: FakeWeChatPay) -> None:
    base = live_server.url
    open_with_code(phone, base, debt, "ss-dispute")
    phone.check("[data-testid=dispute] input[value=debt]")
    phone.fill("#dispute-reason", "这笔贷款不是我本人办理的")
    phone.click("[data-testid=dispute] button")
    phone.locator("[data-testid=done][data-done=dispute]").wait_for()
    accessible(phone, base)
    screenshot(phone, "ss-dispute-02-recorded")
    debt.case.refresh_from_db()
    assert (debt.case.status, debt.case.hold_reason) == (CaseStatus.ON_HOLD, HoldReason.DISPUTE)
    assert phone.locator("[data-testid=disputed]").count() == 1


def test_an_opt_out_from_the_phone_and_a_refused_link(live_server: Any, phone: Any, debt: Debt,
                                                       gateway: FakeWeChatPay) -> None:  # fmt: skip
    base = live_server.url
    url = open_with_code(phone, base, debt, "ss-optout")
    phone.check("[data-testid=opt-out] input[value=sms]")
    phone.click("[data-testid=opt-out] button")
    phone.locator("[data-testid=done][data-done=opt_out]").wait_for()
    accessible(phone, base)
    screenshot(phone, "ss-optout-02-recorded")
    assert StopRequest.objects.filter(debtor_id=debt.case.debtor_id, channel="sms", source="self_service").exists()
    phone.goto(url[:-3] + "xx/")
    phone.locator("[data-testid=refused]").wait_for()
    accessible(phone, base)
    screenshot(phone, "ss-optout-03-refused-link")
