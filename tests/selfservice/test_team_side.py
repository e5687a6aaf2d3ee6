"""The team's side: the case timeline shows the debtor's visits and actions; a template's link placeholder."""

from __future__ import annotations

from datetime import timedelta

import pytest

from huikuan import clock
from huikuan.comms.models import Message, Purpose, Template
from huikuan.comms.outbox import Request, queue_message
from huikuan.selfservice.models import Link
from tests.conftest import Personas, client_for
from tests.payments.conftest import Debt
from tests.selfservice.conftest import Walk, walk_for

pytestmark = pytest.mark.django_db


def test_the_case_timeline_shows_the_debtors_visits_and_actions(walk: Walk, personas: Personas) -> None:
    assert walk.get().status_code == 200
    walk.verify()
    verified = walk
    due = verified.link.case.debtor.today(clock.now()) + timedelta(days=2)
    assert verified.post("promise/", {"amount": "100.00", "due": due.isoformat()}).status_code == 302
    page = client_for(personas.alice).get(f"/cases/{verified.link.case_id}/").content.decode()
    for label in ("自助服务：打开了链接", "自助服务：已发送验证码", "自助服务：验证码通过", "自助服务：承诺还款"):
        assert label in page, label
    assert "127.0.0.1" not in page  # the address is evidence, not for the timeline


def test_a_template_with_the_link_placeholder_gets_a_link_of_its_own_per_message(debt: Debt) -> None:
    template = Template.objects.get(channel="sms", purpose=Purpose.SELF_SERVICE_LINK, language="zh-hans", tone="gentle")
    assert "{{self_service_link}}" in template.versions.get(status="active").body
    message = queue_message(
        Request("work:ss-1", debt.case.debtor_id, "sms", Purpose.SELF_SERVICE_LINK, case_id=debt.case.pk)
    )
    assert message is not None
    link = Link.objects.get(message_key="work:ss-1")
    token = walk_for(link).token
    assert f"/s/{token}/" in message.body
    assert walk_for(link).get().status_code == 200
    assert Message.objects.count() == 1
