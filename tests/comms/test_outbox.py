"""The outbox against real loopback providers: SMTP (aiosmtpd) and an HTTP/JSON SMS gateway."""

from __future__ import annotations

import io
import json
import time
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction

from tests.comms.conftest import DAYTIME, EMAIL, MOBILE, Gateway, SmtpSink, free_port, owed
from tests.conftest import Personas


def queue_sms(case: Any, key: str = "work:100", purpose: str = "reminder", **kwargs: Any) -> Any:
    from huikuan.comms.outbox import Request, queue_message

    message = queue_message(Request(key, case.debtor_id, "sms", purpose, case_id=case.pk, due_at=DAYTIME, **kwargs))
    assert message is not None
    return message


def dispatch(at: Any = DAYTIME) -> Any:
    from huikuan.comms.dispatch import dispatch_due

    return dispatch_due(now=at)


def test_message_exists_only_if_its_cause_commits(zhang: Any) -> None:
    from huikuan.comms.models import Message
    from huikuan.comms.outbox import Request, queue_messages

    with pytest.raises(RuntimeError), transaction.atomic():
        queue_messages([Request("work:1", zhang.debtor_id, "sms", "reminder", case_id=zhang.pk)])
        raise RuntimeError("the strategy run failed after queuing")
    assert not Message.objects.exists()
    queue_messages([Request("work:1", zhang.debtor_id, "sms", "reminder", case_id=zhang.pk)])
    again = queue_messages([Request("work:1", zhang.debtor_id, "sms", "reminder", case_id=zhang.pk)])
    assert again.duplicate == 1 and Message.objects.count() == 1


def test_sms_sent_through_the_http_gateway(zhang: Any, sms_gateway: Gateway) -> None:
    from huikuan.cases.models import Interaction
    from huikuan.comms.models import MessageStatus
    from huikuan.comms.timeline import case_timeline
    from huikuan.kernel.money import format_yuan

    message = queue_sms(zhang)
    report = dispatch()
    assert report.sent == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert (message.provider, message.provider_id, message.provider_status) == ("http", "gw-1", "queued")
    assert message.gate_decision["allowed"] is True and message.gate_decision["pack"] == "cn"
    (request,) = sms_gateway.requests
    assert request["auth"] == "Bearer test-key"
    assert request["body"]["mobile"] == MOBILE and request["body"]["ref"] == "work:100"
    assert f"待还{format_yuan(owed(zhang))}元" in request["body"]["content"]
    assert Interaction.objects.filter(case=zhang, channel="sms", notes=f"reminder #{message.pk}").count() == 1
    (entry,) = case_timeline(zhang.pk)
    assert entry.content_hash == message.content_hash and entry.template.endswith("v1")
    assert entry.recipient != MOBILE and entry.recipient.endswith("1111")
    assert dispatch().sent == 0  # nothing due twice


def test_gateway_failure_is_retried_with_backoff(zhang: Any, sms_gateway: Gateway, settings: Any) -> None:
    from huikuan.comms.models import MessageStatus

    settings.COMMS_RETRY_BASE_SECONDS = 30
    message = queue_sms(zhang)
    sms_gateway.fail_next = 2
    assert dispatch().retrying == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (MessageStatus.QUEUED, 1)
    assert "503" in message.last_error
    first_retry = message.due_at
    assert dispatch(DAYTIME + timedelta(seconds=10)).sent == 0  # not yet due
    assert dispatch(first_retry).retrying == 1
    message.refresh_from_db()
    assert message.due_at - first_retry >= timedelta(seconds=60)  # doubled
    assert dispatch(message.due_at).sent == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (MessageStatus.SENT, 3)
    assert list(sms_gateway.delivered) == ["work:100"]


def test_slow_gateway_times_out_and_the_retry_is_not_a_second_sms(zhang: Any, sms_gateway: Gateway) -> None:
    from huikuan.comms.models import MessageStatus

    message = queue_sms(zhang)
    sms_gateway.delay, sms_gateway.slow_first = 2.5, 1  # the client gives up after 1 s; the gateway still sends
    assert dispatch().retrying == 1
    time.sleep(2)
    message.refresh_from_db()
    assert dispatch(message.due_at).sent == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert len(sms_gateway.requests) == 2 and sms_gateway.delivered == {"work:100": "gw-1"}
    assert message.provider_id == "gw-1"


def test_a_kept_alive_connection_the_gateway_closed_is_reopened_once(sms_gateway: Gateway) -> None:
    from huikuan.comms.channels.base import Outgoing
    from huikuan.comms.channels.sms.providers import sms_provider

    provider = sms_provider("http")
    sms_gateway.hang_up_after_answer = True
    try:
        first = provider.send(Outgoing("k:1", MOBILE, "", "第一条", "", "zh-hans"))
        second = provider.send(Outgoing("k:2", MOBILE, "", "第二条", "", "zh-hans"))
        assert (first.provider_id, second.provider_id) == ("gw-1", "gw-2")
        assert [r["body"]["ref"] for r in sms_gateway.requests] == ["k:1", "k:2"]
    finally:
        provider.close()


def test_an_unreachable_gateway_is_a_temporary_failure_without_resend(sms_gateway: Gateway, settings: Any) -> None:
    from huikuan.comms.channels.base import Outgoing, TemporaryFailure
    from huikuan.comms.channels.sms.providers import HttpJsonProvider

    provider = HttpJsonProvider({**settings.COMMS_SMS_HTTP, "url": f"http://127.0.0.1:{free_port()}/sms"})
    try:
        with pytest.raises(TemporaryFailure, match="unreachable"):
            provider.send(Outgoing("k:3", MOBILE, "", "第三条", "", "zh-hans"))
    finally:
        provider.close()


def test_a_batch_of_sms_is_pipelined_on_one_connection_and_each_answer_goes_to_its_message(
    zhang: Any, sms_gateway: Gateway, settings: Any
) -> None:
    """Requests written ahead of their answers: each answer belongs to the request at its place in the line."""
    from huikuan.comms.models import MessageStatus

    settings.COMMS_SMS_HTTP = {**settings.COMMS_SMS_HTTP, "pipeline": 25}
    messages = [queue_sms(zhang, f"work:{n}") for n in range(5)]
    sms_gateway.fail_next = 1  # the first request in the line is answered 503, the others 200
    report = dispatch()
    assert (report.sent, report.retrying) == (4, 1)
    assert len({r["connection"] for r in sms_gateway.requests}) == 1
    for message in messages:
        message.refresh_from_db()
    first, *others = messages
    assert first.status == MessageStatus.QUEUED and "503" in first.last_error
    assert [m.provider_id for m in others] == [sms_gateway.delivered[m.idempotency_key] for m in others]
    assert len({m.provider_id for m in others}) == 4


def test_a_gateway_that_hangs_up_mid_line_gets_the_unanswered_requests_again(
    zhang: Any, sms_gateway: Gateway, settings: Any
) -> None:
    """It answered one request and closed: the others it never read are written again on a new connection."""
    from huikuan.comms.models import MessageStatus

    settings.COMMS_SMS_HTTP = {**settings.COMMS_SMS_HTTP, "pipeline": 25}
    messages = [queue_sms(zhang, f"work:{n}") for n in range(3)]
    sms_gateway.hang_up_after_answer = True
    assert dispatch().sent == 3
    assert [r["body"]["ref"] for r in sms_gateway.requests] == ["work:0", "work:1", "work:2"]
    assert len({r["connection"] for r in sms_gateway.requests}) == 3
    for message in messages:
        message.refresh_from_db()
        assert message.status == MessageStatus.SENT
        assert message.provider_id == sms_gateway.delivered[message.idempotency_key]


def test_pipelined_answers_are_read_one_after_the_other_from_one_buffer() -> None:
    """http.client cannot: each response reads through a buffer of its own and swallows the next answer."""
    from huikuan.comms.channels.sms.providers import read_answer

    stream = io.BufferedReader(
        io.BytesIO(
            b"HTTP/1.1 100 Continue\r\n\r\n"
            b'HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n{"id": "a"}'
            b'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{"id\r\n7;x=y\r\n": "b"}\r\n0\r\n\r\n'
            b"HTTP/1.1 503 Busy\r\nContent-Length: 2\r\nConnection: close\r\n\r\nno"
            b"HTTP/1.0 200 OK\r\n\r\nto the end"
        )
    )
    answers = [read_answer(stream) for _ in range(4)]
    assert [(a.status, a.body, a.keep_alive) for a in answers] == [
        (200, b'{"id": "a"}', True),
        (200, b'{"id": "b"}', True),
        (503, b"no", False),
        (200, b"to the end", False),
    ]


def test_rejected_message_fails_without_retry(zhang: Any, sms_gateway: Gateway) -> None:
    from huikuan.comms.models import MessageStatus

    message = queue_sms(zhang)
    sms_gateway.fail_next, sms_gateway.fail_status = 1, 400
    assert dispatch().failed == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED and "400" in message.last_error


def test_quiet_hours_reschedule_instead_of_sending(zhang: Any, sms_gateway: Gateway) -> None:
    from datetime import UTC, datetime

    from huikuan.comms.models import MessageStatus

    late = datetime(2026, 11, 18, 15, 30, tzinfo=UTC)  # 23:30 in Shanghai
    message = queue_sms(zhang)
    assert dispatch(late).rescheduled == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.QUEUED and message.attempts == 0
    assert message.due_at == datetime(2026, 11, 19, 0, 0, tzinfo=UTC)  # 08:00 the next morning, local
    assert message.gate_decision["blocking_rule"] == "cn.quiet_hours"
    assert sms_gateway.requests == []
    assert dispatch(late + timedelta(hours=1)).sent == 0
    assert dispatch(message.due_at).sent == 1


def signed(client: Any, url: str, payload: dict[str, Any], secret: str) -> Any:
    from huikuan.kernel.comms.webhook import sign

    body = json.dumps(payload).encode()
    stamp = int(time.time())
    return client.post(url, body, content_type="application/json", HTTP_X_HUIKUAN_TIMESTAMP=str(stamp),
                       HTTP_X_HUIKUAN_SIGNATURE=sign(secret, stamp, body))  # fmt: skip


def test_sms_reply_td_opts_out_and_the_gate_honours_it(zhang: Any, sms_gateway: Gateway, client: Any,
                                                        settings: Any) -> None:  # fmt: skip
    from huikuan.comms.models import MessageStatus
    from huikuan.compliance.models import StopRequest as OptOut

    waiting = queue_sms(zhang, "work:1")
    forged = signed(client, "/comms/webhooks/inbound-sms/", {"from": MOBILE, "text": "TD"}, "wrong-secret")
    assert forged.status_code == 403 and not OptOut.objects.exists()
    answer = signed(client, "/comms/webhooks/inbound-sms/", {"from": "13900001111", "text": " td "},
                    settings.COMMS_WEBHOOK_SECRET)  # fmt: skip
    assert answer.status_code == 200 and answer.json()["opted_out"] is True
    assert OptOut.objects.filter(debtor_id=zhang.debtor_id, channel="sms", source="sms_reply").exists()
    waiting.refresh_from_db()
    assert waiting.status == MessageStatus.CANCELLED
    later = queue_sms(zhang, "work:2")
    assert dispatch().blocked == 1
    later.refresh_from_db()
    assert later.status == MessageStatus.BLOCKED and later.gate_decision["blocking_rule"] == "cn.stop_medium"
    assert sms_gateway.requests == []


@pytest.mark.parametrize("sender", ["13９00001111", "١٣٩٠٠٠٠١١١١", "+86 139-0000-1111", "＋８６１３９００００１１１１"])
def test_an_opt_out_from_any_spelling_of_the_number_stops_sms(zhang: Any, sender: str) -> None:
    """Gateways and handsets spell senders their own way; before folding, a full-width digit slipped the match."""
    from huikuan.comms.optouts import record_inbound_sms
    from huikuan.compliance.models import StopRequest

    result = record_inbound_sms(sender, "退订")
    assert result.opted_out and result.debtor_ids == (zhang.debtor_id,)
    assert StopRequest.objects.filter(debtor_id=zhang.debtor_id, channel="sms").exists()


def test_an_opt_out_from_a_sender_that_is_no_number_stops_nobody(zhang: Any) -> None:
    from huikuan.comms.optouts import record_inbound_sms

    assert record_inbound_sms("1390000111\x00", "TD").opted_out is False
    assert record_inbound_sms("139²0001111", "TD").opted_out is False


def test_delivery_receipt_webhook_checks_the_signature(zhang: Any, sms_gateway: Gateway, client: Any,
                                                        settings: Any) -> None:  # fmt: skip
    from huikuan.comms.models import DeliveryReceipt, MessageStatus

    message = queue_sms(zhang)
    dispatch()
    url = "/comms/webhooks/delivery/"
    assert signed(client, url, {"id": "gw-1", "status": "delivered"}, "not-the-secret").status_code == 403
    unsigned = client.post(url, b'{"id": "gw-1", "status": "delivered"}', content_type="application/json")
    assert unsigned.status_code == 403
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT and not DeliveryReceipt.objects.exists()
    assert signed(client, url, {"id": "gw-1", "status": "delivered"}, settings.COMMS_WEBHOOK_SECRET).status_code == 200
    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED and message.delivered_at is not None
    assert DeliveryReceipt.objects.get().payload == {"id": "gw-1", "status": "delivered"}


def test_email_over_smtp_with_html_text_and_opt_out(zhang: Any, smtp_server: SmtpSink, client: Any) -> None:
    from huikuan.comms.models import MessageStatus
    from huikuan.comms.outbox import Request, queue_message
    from huikuan.compliance.models import StopRequest as OptOut
    from huikuan.kernel.money import format_yuan

    message = queue_message(Request("work:200", zhang.debtor_id, "email", "e_bill", case_id=zhang.pk, due_at=DAYTIME))
    assert message is not None
    assert dispatch().sent == 1
    (mail,) = smtp_server.messages
    assert mail["To"] == EMAIL and "电子账单" in mail["Subject"]
    assert mail["Message-ID"].strip("<>") == (message.__class__.objects.get(pk=message.pk).provider_id)
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    amount = format_yuan(owed(zhang))
    assert f"合计待还人民币{amount}元" in text and amount in html
    link = next(line.split()[-1] for line in text.splitlines() if "/comms/opt-out/" in line)
    assert link in html
    path = link.split("127.0.0.1:8000", 1)[1]
    assert client.get(path).status_code == 200 and not OptOut.objects.exists()  # a mail scanner's GET
    assert client.post(path).status_code == 200
    assert OptOut.objects.filter(debtor_id=zhang.debtor_id, channel="email").exists()
    assert client.get(path[:-3] + "xx/").status_code == 400
    second = queue_message(Request("work:201", zhang.debtor_id, "email", "reminder", case_id=zhang.pk, due_at=DAYTIME))
    assert second is not None and dispatch().blocked == 1
    assert len(smtp_server.messages) == 1
    second.refresh_from_db()
    assert second.status == MessageStatus.BLOCKED


def test_smtp_message_lost_mid_send_is_not_resent(zhang: Any, smtp_server: SmtpSink) -> None:
    from huikuan.comms.models import Message, MessageStatus
    from huikuan.comms.outbox import Request, queue_message

    message = queue_message(Request("work:300", zhang.debtor_id, "email", "reminder", case_id=zhang.pk, due_at=DAYTIME))
    assert message is not None
    # What a worker killed after handing the mail to SMTP leaves behind: a claimed row whose lease ran out.
    Message.objects.filter(pk=message.pk).update(status=MessageStatus.SENDING, lease_token="dead", attempts=1,
                                                 lease_until=DAYTIME - timedelta(seconds=1))  # fmt: skip
    assert dispatch().uncertain == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.UNCERTAIN and smtp_server.messages == []


def test_payments_pending_messages_become_confirmations(zhang: Any, sms_gateway: Gateway) -> None:
    from datetime import date
    from decimal import Decimal

    from huikuan.comms.feeds import consume_pending_messages
    from huikuan.comms.models import Message
    from huikuan.payments.models import Payment, PendingMessage

    payment = Payment.objects.create(
        idempotency_key="bank:1", debtor_id=zhang.debtor_id, case=zhang, amount=Decimal("1234.50"),
        paid_on=date(2026, 11, 17), source="bank",
    )  # fmt: skip
    PendingMessage.objects.create(kind="payment_confirmation", debtor_id=zhang.debtor_id,
                                  cause=f"payment:{payment.pk}")  # fmt: skip
    assert consume_pending_messages().queued == 1
    assert consume_pending_messages().queued == 0
    message = Message.objects.get(idempotency_key=f"pending:payment:{payment.pk}")
    assert "收到您的还款1,234.50元" in message.body and "2026年11月17日" in message.body
    assert PendingMessage.objects.get().consumed_at is not None


def test_strategy_work_items_feed_the_outbox(zhang: Any) -> None:
    from types import SimpleNamespace

    from huikuan.comms.feeds import enqueue_for_work_items
    from huikuan.comms.models import Message

    items = [
        SimpleNamespace(id=11, as_of=DAYTIME.date(), case_id=zhang.pk, action="sms", template="middle_firm",
                        contact_point_id=None, window_start=DAYTIME),
        SimpleNamespace(id=12, as_of=DAYTIME.date(), case_id=zhang.pk, action="letter", template="demand_letter",
                        contact_point_id=None, window_start=DAYTIME),
        SimpleNamespace(id=13, as_of=DAYTIME.date(), case_id=zhang.pk, action="call", template="early_call",
                        contact_point_id=None, window_start=DAYTIME),
    ]  # fmt: skip
    assert enqueue_for_work_items(items, run_id=5).queued == 2
    assert enqueue_for_work_items(items, run_id=5).duplicate == 2
    sms = Message.objects.get(idempotency_key=f"work:{DAYTIME.date().isoformat()}:{zhang.pk}:sms")
    assert sms.template_version is not None
    assert (sms.purpose, sms.template_version.template.tone) == ("reminder", "firm")
    letter = Message.objects.get(idempotency_key=f"work:{DAYTIME.date().isoformat()}:{zhang.pk}:letter")
    assert (letter.purpose, letter.batch) == ("demand_letter", "run:5")


def test_composing_a_batch_touches_no_database_and_queues_what_queue_messages_would(zhang: Any) -> None:
    """Composing is the per-message loop of a night's queuing: everything it needs is read before it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from huikuan.comms.models import Message
    from huikuan.comms.outbox import QueueBatch, Request

    requests = [
        Request("work:1", zhang.debtor_id, "sms", "reminder", case_id=zhang.pk, due_at=DAYTIME),
        Request("work:2", zhang.debtor_id, "email", "reminder", case_id=zhang.pk, due_at=DAYTIME),
        Request("work:3", zhang.debtor_id, "letter", "demand_letter", "formal", case_id=zhang.pk, due_at=DAYTIME),
    ]
    batch = QueueBatch(requests)
    with CaptureQueriesContext(connection) as queries:
        rows = batch.compose()
    assert len(queries) == 0
    assert len(rows) == 3
    batch.insert(rows)
    assert batch.report.queued == 3
    letter = Message.objects.get(idempotency_key="work:3")
    assert letter.variables["deadline"] and letter.variables["recipient_address"] == "上海市徐汇区漕溪北路88号5楼"


def test_values_shared_per_debtor_are_values_for_with_the_deadline(zhang: Any) -> None:
    from datetime import date

    from huikuan.comms.facts import facts_for_debtors, with_deadline
    from huikuan.comms.outbox import _values
    from huikuan.kernel.comms.variables import values_for

    today = date(2026, 11, 20)
    facts = facts_for_debtors({zhang.debtor_id}, today)
    shared: dict[tuple[int, str], dict[str, str]] = {}
    for language in ("zh-hans", "en"):
        for deadline in (date(2026, 12, 5), date(2026, 12, 31)):
            expected = values_for(with_deadline(facts[zhang.debtor_id], deadline), language)
            got = _values(shared, facts, zhang.debtor_id, language, deadline)
            assert got == expected
            got["recipient_name"] = "changed"  # a message's own values never leak into the next one
    assert "recipient_name" not in shared[(zhang.debtor_id, "en")]


def test_the_contract_named_and_its_days_overdue_come_from_one_account(db: None) -> None:
    """HT1 is overdue longest, HT2 owes more: the letter names HT1 with HT1's date; totals cover both."""
    from datetime import date
    from decimal import Decimal

    from huikuan.comms.facts import facts_for_debtors
    from huikuan.portfolio.models import Account, AccountBalance, Debtor

    debtor = Debtor.objects.create(customer_no="MIX1", name="周敏")
    for contract, due, amount in (("HT2", date(2026, 10, 20), "9000.00"), ("HT1", date(2026, 9, 1), "1000.00")):
        account = Account.objects.create(
            debtor=debtor, contract_no=contract, product="consumer_loan", original_amount=Decimal(amount),
            open_date=date(2026, 1, 1), due_date=due,
        )  # fmt: skip
        AccountBalance.objects.create(account=account, principal=Decimal(amount), total=Decimal(amount))
    paid = Account.objects.create(
        debtor=debtor, contract_no="HT0", product="consumer_loan", original_amount=Decimal("500.00"),
        open_date=date(2025, 1, 1), due_date=date(2026, 1, 1),
    )  # fmt: skip
    AccountBalance.objects.create(account=paid, principal=Decimal("0.00"), total=Decimal("0.00"))
    facts = facts_for_debtors({debtor.pk}, date(2026, 11, 20))[debtor.pk]
    assert (facts.contract_no, facts.due_date) == ("HT1", date(2026, 9, 1))
    assert facts.amounts.total == Decimal("10000.00")


PAID = (("payment_amount", "100.00"), ("payment_date", "2026年11月17日"))


def test_closing_a_case_by_payment_cancels_its_queued_reminders_but_not_receipts(
    zhang: Any, small_portfolio: Personas, sms_gateway: Gateway
) -> None:
    """A reminder queued before the payment carries the old amount: it must not go out once the case closes."""
    from huikuan.cases.models import CaseStatus
    from huikuan.comms.models import MessageStatus
    from huikuan.payments.incoming import post_payment

    reminder = queue_sms(zhang)
    receipt = queue_sms(zhang, key="pending:payment:x", purpose="payment_confirmation", extra=PAID)
    post_payment(small_portfolio.lena, zhang, owed(zhang), DAYTIME.date(), "bank:all", today=DAYTIME.date())
    zhang.refresh_from_db()
    assert zhang.status == CaseStatus.CLOSED
    reminder.refresh_from_db()
    receipt.refresh_from_db()
    assert (reminder.status, reminder.last_error) == (MessageStatus.CANCELLED, "case closed")
    assert receipt.status == MessageStatus.QUEUED
    assert dispatch().sent == 1
    receipt.refresh_from_db()
    assert receipt.status == MessageStatus.SENT


def test_the_gate_refuses_collection_messages_on_a_closed_case_at_claim_time(zhang: Any, sms_gateway: Gateway) -> None:
    """Whatever closed the case, the outbox drops a collection message it still finds queued."""
    from huikuan.cases.models import Case, CaseStatus
    from huikuan.comms.models import MessageStatus

    reminder = queue_sms(zhang)
    receipt = queue_sms(zhang, key="pending:payment:x", purpose="payment_confirmation", extra=PAID)
    Case.objects.filter(pk=zhang.pk).update(status=CaseStatus.CLOSED)  # closed without the sync path
    report = dispatch()
    assert (report.sent, report.blocked) == (1, 1)
    reminder.refresh_from_db()
    receipt.refresh_from_db()
    assert reminder.status == MessageStatus.BLOCKED and receipt.status == MessageStatus.SENT
    assert reminder.gate_decision["blocking_rule"] == "cn.case_closed"
    assert reminder.gate_decision["next_allowed_at"] is None
    assert "案件已结清关闭" in reminder.gate_decision["reasons"][0]["text_zh"]
    assert not sms_gateway.requests[1:]
