"""Provider webhooks are accepted once: a replayed receipt or "退订" is refused, bad headers are 4xx, never 500."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from tests.comms.conftest import DAYTIME, MOBILE, Gateway
from tests.conftest import Personas

RECEIPTS = "/comms/webhooks/delivery/"
INBOUND = "/comms/webhooks/inbound-sms/"


def sent_sms(case: Any) -> Any:
    from huikuan.comms.dispatch import dispatch_due
    from huikuan.comms.outbox import Request, queue_message

    message = queue_message(Request("work:hook", case.debtor_id, "sms", "reminder", case_id=case.pk, due_at=DAYTIME))
    assert message is not None
    dispatch_due(now=DAYTIME)
    message.refresh_from_db()
    assert message.provider_id
    return message


def signed_request(payload: dict[str, Any], secret: str, stamp: int | None = None) -> dict[str, Any]:
    """A provider's request as it goes over the wire: one body, one timestamp, one signature."""
    from huikuan.kernel.comms.webhook import sign

    body = json.dumps(payload).encode()
    stamp = int(time.time()) if stamp is None else stamp
    return {"body": body, "stamp": str(stamp), "signature": sign(secret, stamp, body)}


def deliver(client: Client, url: str, request: dict[str, Any], **override: str) -> Any:
    headers = {"X-Huikuan-Timestamp": request["stamp"], "X-Huikuan-Signature": request["signature"], **override}
    return client.post(url, request["body"], content_type="application/json", headers=headers)


def test_a_replayed_delivery_receipt_is_refused(
    zhang: Any, sms_gateway: Gateway, client: Client, settings: Any
) -> None:
    from huikuan.comms.models import DeliveryReceipt, MessageStatus

    message = sent_sms(zhang)
    receipt = signed_request({"id": message.provider_id, "status": "delivered"}, settings.COMMS_WEBHOOK_SECRET)
    assert deliver(client, RECEIPTS, receipt).status_code == 200
    replay = deliver(client, RECEIPTS, receipt)
    assert replay.status_code == 409 and "replayed" in replay.json()["error"]
    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED and DeliveryReceipt.objects.count() == 1
    # The provider's next report is a new request with its own signature: accepted.
    later = signed_request({"id": message.provider_id, "status": "delivered", "n": 2}, settings.COMMS_WEBHOOK_SECRET)
    assert deliver(client, RECEIPTS, later).status_code == 200 and DeliveryReceipt.objects.count() == 2


def test_a_replayed_opt_out_reply_is_refused(zhang: Any, client: Client, settings: Any) -> None:
    from huikuan.compliance.models import StopRequest

    reply = signed_request({"from": MOBILE, "text": "退订"}, settings.COMMS_WEBHOOK_SECRET)
    first = deliver(client, INBOUND, reply)
    assert first.status_code == 200 and first.json()["opted_out"] is True
    assert deliver(client, INBOUND, reply).status_code == 409
    assert StopRequest.objects.filter(debtor_id=zhang.debtor_id, source="sms_reply").count() == 1


def test_a_request_signed_with_the_demo_secret_is_forged_in_production(
    zhang: Any, client: Client, settings: Any
) -> None:
    from huikuan.compliance.models import StopRequest
    from huikuan.config.secrets import DEMO_SECRETS

    settings.COMMS_WEBHOOK_SECRET = "an-installation-s-own-secret"
    forged = signed_request({"from": MOBILE, "text": "退订"}, DEMO_SECRETS["HUIKUAN_WEBHOOK_SECRET"])
    assert deliver(client, INBOUND, forged).status_code == 403
    assert not StopRequest.objects.exists()


@pytest.mark.parametrize(
    ("stamp", "status"),
    [
        ("17\xb2", 400),  # a Latin-1 byte (superscript two) in the header: isdigit() said yes, int() raised
        ("\u0661\u0667\u0660\u0660\u0660\u0660\u0660\u0660\u0660\u0660", 400),  # Arabic-Indic digits
        ("１７００００００００", 400),  # fullwidth digits
        ("1" * 40, 400),
        ("-5", 400),
        ("", 403),
        ("1000", 403),  # 1970: stale
    ],
)
def test_a_bad_timestamp_header_is_a_4xx(client: Client, settings: Any, stamp: str, status: int, db: None) -> None:
    request = signed_request({"id": "gw-1", "status": "delivered"}, settings.COMMS_WEBHOOK_SECRET)
    assert deliver(client, RECEIPTS, request, **{"X-Huikuan-Timestamp": stamp}).status_code == status


@pytest.mark.parametrize("signature", ["\xff" * 64, "sha256=é", "0" * 64, ""])
def test_a_bad_signature_header_is_a_403(client: Client, settings: Any, signature: str, db: None) -> None:
    request = signed_request({"id": "gw-1", "status": "delivered"}, settings.COMMS_WEBHOOK_SECRET)
    assert deliver(client, RECEIPTS, request, **{"X-Huikuan-Signature": signature}).status_code == 403


def test_a_signed_body_that_is_not_an_object_is_a_400(client: Client, settings: Any, db: None) -> None:
    from huikuan.kernel.comms.webhook import sign

    for body in (b"[1, 2]", b"\xff\xfe", b"{"):
        stamp = int(time.time())
        request = {"body": body, "stamp": str(stamp), "signature": sign(settings.COMMS_WEBHOOK_SECRET, stamp, body)}
        assert deliver(client, RECEIPTS, request).status_code == 400


def test_a_receipt_before_its_message_is_known_can_be_retried(
    zhang: Any, sms_gateway: Gateway, client: Client, settings: Any
) -> None:
    """A fast provider's receipt can arrive before the send is recorded: the 404 keeps the retry acceptable."""
    receipt = signed_request({"id": "gw-1", "status": "delivered"}, settings.COMMS_WEBHOOK_SECRET)
    assert deliver(client, RECEIPTS, receipt).status_code == 404
    message = sent_sms(zhang)
    assert message.provider_id == "gw-1"
    assert deliver(client, RECEIPTS, receipt).status_code == 200
    assert deliver(client, RECEIPTS, receipt).status_code == 409


def test_signatures_are_kept_only_while_they_could_be_accepted(client: Client, settings: Any, db: None) -> None:
    from huikuan.comms.models import SeenWebhook
    from huikuan.comms.webhooks import forget_stale
    from huikuan.kernel.comms.webhook import TOLERANCE_SECONDS

    reply = signed_request({"from": "13900009999", "text": "你好"}, settings.COMMS_WEBHOOK_SECRET)
    assert deliver(client, INBOUND, reply).status_code == 200
    kept = SeenWebhook.objects.get()
    assert kept.keep_until.timestamp() == int(reply["stamp"]) + TOLERANCE_SECONDS
    assert forget_stale(now=int(reply["stamp"]) + TOLERANCE_SECONDS - 1) == 0
    assert forget_stale(now=int(reply["stamp"]) + TOLERANCE_SECONDS + 1) == 1
    assert not SeenWebhook.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_deliveries_of_one_request_at_once_are_handled_once(small_portfolio: Personas, settings: Any) -> None:
    from huikuan.comms.models import SeenWebhook

    reply = signed_request({"from": "13900009999", "text": "你好"}, settings.COMMS_WEBHOOK_SECRET)
    start = threading.Barrier(2)
    answers: list[int] = []

    def send() -> None:
        try:
            start.wait()
            answers.append(deliver(Client(), INBOUND, reply).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(answers) == [200, 409]
    assert SeenWebhook.objects.count() == 1


def test_a_batch_of_receipts_records_each_in_turn_as_one_at_a_time_would(zhang: Any, sms_gateway: Gateway) -> None:
    from huikuan.comms.models import DeliveryReceipt, MessageStatus
    from huikuan.comms.optouts import record_receipts

    message = sent_sms(zhang)
    batch = [
        {"id": message.provider_id, "status": "accepted"},
        {"id": "gw-unknown", "status": "delivered"},
        {"id": message.provider_id, "status": "DELIVERED"},
    ]
    assert record_receipts(batch) == 2
    message.refresh_from_db()
    assert (message.status, message.provider_status) == (MessageStatus.DELIVERED, "delivered")
    assert message.delivered_at is not None
    assert list(DeliveryReceipt.objects.filter(message=message).order_by("pk").values_list("status", flat=True)) == [
        "accepted",
        "delivered",
    ]
    # A final status stays final: a later failure is stored as a receipt, not as the message's status.
    assert record_receipts([{"id": message.provider_id, "status": "failed"}]) == 1
    message.refresh_from_db()
    assert (message.status, message.provider_status) == (MessageStatus.DELIVERED, "failed")
