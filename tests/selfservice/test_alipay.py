"""Alipay WAP pay against a fake gateway: the page address is RSA2-signed with the application key, the
asynchronous notification is verified with Alipay's public key and posts once; forged or wrong amounts post nothing."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from django.test import Client

from huikuan.payments.models import Payment
from huikuan.selfservice.models import Event, EventKind, OrderStatus, PaymentOrder
from tests.selfservice.conftest import Walk
from tests.selfservice.gateways import FakeAlipay, new_key

pytestmark = pytest.mark.django_db
NOTIFY = "/s/notify/alipay/"


@pytest.fixture
def gateway(settings: Any) -> Iterator[FakeAlipay]:
    fake = FakeAlipay()
    settings.HUIKUAN_ALIPAY = fake.settings()
    settings.HUIKUAN_WECHATPAY = {}
    yield fake
    fake.close()


def _order(verified: Walk) -> tuple[PaymentOrder, dict[str, str]]:
    answer = verified.post("pay/", {"provider": "alipay", "amount": "1220.50"})
    assert answer.status_code == 302
    order = PaymentOrder.objects.get()
    params = {k: v[0] for k, v in parse_qs(urlparse(order.checkout_url).query).items()}
    return order, params


def test_the_wap_order_is_signed_and_its_notification_posts_once(verified: Walk, gateway: FakeAlipay) -> None:
    order, params = _order(verified)
    assert params["method"] == "alipay.trade.wap.pay" and params["sign_type"] == "RSA2"
    assert (
        '"total_amount":"1220.50"' in params["biz_content"]
        and '"product_code":"QUICK_WAP_WAY"' in params["biz_content"]
    )
    form = gateway.notification(order.order_id, "1220.50", notify_id="N-1")
    first = Client().post(NOTIFY, form)
    assert (first.status_code, first.content) == (200, b"success")
    assert Client().post(NOTIFY, form).status_code == 409
    payment = Payment.objects.get()
    assert payment.idempotency_key == f"online:alipay:{order.order_id}" and payment.amount == Decimal("1220.50")
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


def test_a_forged_or_wrong_amount_notification_posts_nothing(verified: Walk, gateway: FakeAlipay) -> None:
    order, _params = _order(verified)
    forged = gateway.notification(order.order_id, "1220.50", key=new_key())
    assert Client().post(NOTIFY, forged).status_code == 403
    altered = gateway.notification(order.order_id, "1220.50")
    altered["total_amount"] = "1.00"
    assert Client().post(NOTIFY, altered).status_code == 403
    wrong = gateway.notification(order.order_id, "1220.49")
    assert Client().post(NOTIFY, wrong).status_code == 400
    assert not Payment.objects.exists()
    assert Event.objects.filter(kind=EventKind.NOTIFICATION_REFUSED).count() == 3
