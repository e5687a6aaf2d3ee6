"""WeChat Pay API v3 against a fake gateway on 127.0.0.1 with keys made here: the order is signed with the
merchant key, the notification is verified with the platform certificate and decrypted with the APIv3 key,
and posts through the idempotent payment action; forged, stale, replayed or wrong-amount notices post nothing."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from huikuan import clock
from huikuan.cases.models import Promise, PromiseState
from huikuan.payments.models import Payment, PaymentSource, PendingMessage
from huikuan.selfservice.models import Event, EventKind, OrderStatus, PaymentOrder
from tests.selfservice.conftest import Walk
from tests.selfservice.gateways import FakeWeChatPay, new_key

pytestmark = pytest.mark.django_db
NOTIFY = "/s/notify/wechat/"


@pytest.fixture
def gateway(settings: Any) -> Iterator[FakeWeChatPay]:
    fake = FakeWeChatPay()
    settings.HUIKUAN_WECHATPAY = fake.settings()
    settings.HUIKUAN_ALIPAY = {}
    yield fake
    fake.close()


def _order(verified: Walk, amount: str = "500.00") -> PaymentOrder:
    answer = verified.post("pay/", {"provider": "wechat", "amount": amount})
    assert answer.status_code == 302, answer.content[:400]
    order = PaymentOrder.objects.get(case=verified.link.case)
    assert answer["Location"] == verified.url(f"checkout/{order.order_id}/")
    page = verified.get(f"checkout/{order.order_id}/").content.decode()
    assert "/cashier/wx" in order.checkout_url and order.checkout_url.replace("&", "&amp;") in page
    return order


def _notify(gateway: FakeWeChatPay, body: str, headers: dict[str, str] | None = None) -> Any:
    sent = headers or gateway.signed_headers(body)
    return Client().post(NOTIFY, body, content_type="application/json",
                         headers={k: v for k, v in sent.items()})  # fmt: skip


def test_a_paid_order_posts_once_settles_the_promise_today_and_queues_the_confirmation(
    verified: Walk, gateway: FakeWeChatPay
) -> None:
    today = verified.link.case.debtor.today(clock.now())
    assert (
        verified.post("promise/", {"amount": "500.00", "due": (today + timedelta(days=3)).isoformat()}).status_code
        == 302
    )
    order = _order(verified)
    (sent,) = gateway.orders.values()
    assert sent.body["amount"] == {"total": 50000, "currency": "CNY"} and sent.body["out_trade_no"] == order.order_id
    assert sent.body["notify_url"].endswith(NOTIFY)
    answer = _notify(gateway, gateway.notification(order.order_id, 50000))
    assert answer.status_code == 204
    payment = Payment.objects.get()
    assert (payment.idempotency_key, payment.source, payment.amount, payment.paid_on) == (
        f"online:wechat:{order.order_id}",
        PaymentSource.ONLINE,
        Decimal("500.00"),
        today,
    )
    assert Promise.objects.get().state == PromiseState.KEPT
    assert PendingMessage.objects.filter(cause=f"payment:{payment.pk}").exists()
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID and order.payment_id == payment.pk
    page = verified.get(f"paid/{order.order_id}/").content.decode()
    assert "500.00" in page and "payment-confirmed" in page


def test_a_replayed_notification_is_refused_and_posts_nothing(verified: Walk, gateway: FakeWeChatPay) -> None:
    order = _order(verified)
    body = gateway.notification(order.order_id, 50000, notification_id="EV-1")
    assert _notify(gateway, body).status_code == 204
    assert _notify(gateway, body).status_code == 409
    assert Payment.objects.count() == 1
    assert Event.objects.filter(kind=EventKind.NOTIFICATION_REFUSED, detail__reason__startswith="replay").exists()


def test_a_second_notice_of_the_same_order_is_a_replay_of_its_payment(verified: Walk, gateway: FakeWeChatPay) -> None:
    order = _order(verified)
    assert _notify(gateway, gateway.notification(order.order_id, 50000)).status_code == 204
    # Another notice of the paid order (WeChat Pay's retry under a new id) is acknowledged: the payment
    # action finds the order's key already posted and posts nothing.
    assert _notify(gateway, gateway.notification(order.order_id, 50000)).status_code == 204
    assert Payment.objects.count() == 1
    assert list(Event.objects.filter(kind=EventKind.PAYMENT_POSTED).values_list("detail__created", flat=True)) == [
        False,
        True,
    ]


def test_a_forged_notification_is_refused(verified: Walk, gateway: FakeWeChatPay) -> None:
    order = _order(verified)
    body = gateway.notification(order.order_id, 50000)
    assert _notify(gateway, body, gateway.signed_headers(body, key=new_key())).status_code == 403
    tampered = body.replace('"summary":"', '"summary":"x')
    assert _notify(gateway, tampered, gateway.signed_headers(body)).status_code == 403
    unknown = gateway.signed_headers(body, serial="ABCDEF")
    assert _notify(gateway, body, unknown).status_code == 403
    assert not Payment.objects.exists()
    reasons = set(Event.objects.filter(kind=EventKind.NOTIFICATION_REFUSED).values_list("detail__reason", flat=True))
    assert reasons == {"signature: forged", "signature: unknown certificate"}


def test_a_stale_notification_is_refused(verified: Walk, gateway: FakeWeChatPay) -> None:
    order = _order(verified)
    body = gateway.notification(order.order_id, 50000)
    assert _notify(gateway, body, gateway.signed_headers(body, timestamp=int(time.time()) - 3600)).status_code == 403
    assert not Payment.objects.exists()


def test_a_notification_encrypted_with_another_key_is_refused(verified: Walk, gateway: FakeWeChatPay) -> None:
    order = _order(verified)
    real = gateway.apiv3_key
    gateway.apiv3_key = "0" * 32
    body = gateway.notification(order.order_id, 50000)
    gateway.apiv3_key = real
    assert _notify(gateway, body).status_code == 403
    assert not Payment.objects.exists()


def test_an_amount_that_is_not_the_orders_is_refused(verified: Walk, gateway: FakeWeChatPay) -> None:
    order = _order(verified)
    assert _notify(gateway, gateway.notification(order.order_id, 50001)).status_code == 400
    assert not Payment.objects.exists()
    assert Event.objects.filter(kind=EventKind.NOTIFICATION_REFUSED, case_id=order.case_id).exists()


def test_an_order_above_the_balance_is_not_created(verified: Walk, gateway: FakeWeChatPay) -> None:
    assert verified.post("pay/", {"provider": "wechat", "amount": "3220.01"}).status_code == 400
    assert not gateway.orders and not PaymentOrder.objects.exists()


def test_without_credentials_only_the_bank_transfer_is_offered(verified: Walk, settings: Any) -> None:
    settings.HUIKUAN_WECHATPAY = {}
    settings.HUIKUAN_ALIPAY = {}
    page = verified.get().content.decode()
    assert 'data-testid="pay"' not in page and 'data-testid="bank-transfer"' in page
    from huikuan.kernel.selfservice import transfer_reference

    assert transfer_reference(verified.link.case_id) in page
    assert verified.post("pay/", {"provider": "wechat", "amount": "10.00"}).status_code == 400


def test_the_gateway_refuses_an_order_signed_with_another_merchant_key(verified: Walk, gateway: FakeWeChatPay,
                                                                       settings: Any) -> None:  # fmt: skip
    from tests.selfservice.gateways import private_pem

    settings.HUIKUAN_WECHATPAY = {**gateway.settings(), "private_key": private_pem(new_key())}
    assert verified.post("pay/", {"provider": "wechat", "amount": "10.00"}).status_code == 400
    assert gateway.refused_requests == 1
    assert PaymentOrder.objects.get().status == OrderStatus.FAILED


def test_the_notification_body_is_what_wechat_pay_sends(gateway: FakeWeChatPay) -> None:
    envelope = json.loads(gateway.notification("HK1XABC", 100))
    assert envelope["resource"]["algorithm"] == "AEAD_AES_256_GCM" and envelope["event_type"] == "TRANSACTION.SUCCESS"
