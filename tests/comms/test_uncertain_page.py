"""The uncertain messages page: QA and team leads settle what a dead worker left uncertain, each step audited."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.comms.conftest import DAYTIME, Gateway
from tests.conftest import client_for


def uncertain(case: Any) -> Any:
    from huikuan.comms.models import Message, MessageStatus
    from huikuan.comms.outbox import Request, queue_message

    message = queue_message(Request("work:900", case.debtor_id, "sms", "reminder", case_id=case.pk, due_at=DAYTIME))
    assert message is not None
    # As the dispatcher leaves it when a lease expires on a provider that cannot de-duplicate.
    Message.objects.filter(pk=message.pk).update(status=MessageStatus.UNCERTAIN, attempts=0,
                                                 last_error="worker lost mid-send")  # fmt: skip
    return message


def test_only_qa_leads_and_admins_see_the_page_and_a_lead_only_the_teams_messages(zhang: Any) -> None:
    from huikuan.cases.access import can_view_case
    from huikuan.org.models import User

    message = uncertain(zhang)
    users = {u.username: u for u in User.objects.all()}
    assert client_for(users["alice"]).get("/comms/uncertain/").status_code == 403
    for name in ("quinn", "adam"):
        page = client_for(users[name]).get("/comms/uncertain/")
        assert page.status_code == 200 and f'data-message="{message.pk}"' in page.content.decode()
    lena = users["lena"]
    shown = f'data-message="{message.pk}"' in client_for(lena).get("/comms/uncertain/").content.decode()
    assert shown == can_view_case(lena, zhang)


def test_resend_needs_a_reason_then_queues_it_for_the_gate_and_the_dispatcher(zhang: Any, sms_gateway: Gateway) -> None:
    from huikuan.audit.models import ChangeLog
    from huikuan.comms.dispatch import dispatch_due
    from huikuan.comms.models import MessageStatus
    from huikuan.org.models import User

    message = uncertain(zhang)
    quinn = client_for(User.objects.get(username="quinn"))
    refused = quinn.post(f"/comms/uncertain/{message.pk}/resend/", {"reason": "  "})
    assert refused.status_code == 400
    message.refresh_from_db()
    assert message.status == MessageStatus.UNCERTAIN
    assert quinn.post(f"/comms/uncertain/{message.pk}/resend/", {"reason": "网关后台无此短信"}).status_code == 302
    message.refresh_from_db()
    assert message.status == MessageStatus.QUEUED
    change = ChangeLog.objects.get(action="message:resent", subject_id=str(message.pk))
    assert change.after is not None and change.before is not None
    assert change.after["reason"] == "网关后台无此短信" and change.before["status"] == "uncertain"
    # Resent "now": sent at the first daytime hour from then in the debtor's zone (the suite may run at night).
    local = max(message.due_at, DAYTIME).astimezone(ZoneInfo(zhang.debtor.time_zone))
    if not 9 <= local.hour < 20:
        local = (local + timedelta(days=1 if local.hour >= 20 else 0)).replace(hour=10, minute=0)
    assert dispatch_due(now=local).sent == 1
    assert len(sms_gateway.requests) == 1
    # Settled once: a second decision on the same message finds nothing uncertain.
    assert quinn.post(f"/comms/uncertain/{message.pk}/delivered/", {"reason": "x"}).status_code == 404


def test_mark_delivered_records_the_contact_in_the_case_history(zhang: Any) -> None:
    from huikuan.audit.models import ChangeLog
    from huikuan.cases.models import Interaction
    from huikuan.comms.models import MessageStatus
    from huikuan.org.models import User

    message = uncertain(zhang)
    lead = User.objects.get(username="adam")
    response = client_for(lead).post(f"/comms/uncertain/{message.pk}/delivered/", {"reason": "网关显示已送达"})
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED and message.delivered_at and message.sent_at
    sent = Interaction.objects.get(case=zhang, channel="sms", outcome="sent", notes=f"reminder #{message.pk}")
    assert sent.user == lead and sent.contact_point_id == message.contact_point_id
    assert ChangeLog.objects.filter(action="message:marked_delivered", subject_id=str(message.pk)).exists()


@pytest.mark.parametrize("reason", ["a\x00b", "x" * 201])
def test_a_reason_that_is_no_text_is_refused(zhang: Any, reason: str) -> None:
    from huikuan.comms.models import MessageStatus
    from huikuan.org.models import User

    message = uncertain(zhang)
    client = client_for(User.objects.get(username="quinn"))
    assert client.post(f"/comms/uncertain/{message.pk}/delivered/", {"reason": reason}).status_code == 400
    message.refresh_from_db()
    assert message.status == MessageStatus.UNCERTAIN
