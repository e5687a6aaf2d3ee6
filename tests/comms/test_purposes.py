"""What closing a case does to its queued messages, purpose by purpose, is what kernel.comms.purposes says."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from huikuan.cases.models import Case, CaseStatus
from huikuan.comms.compliance_adapter import gate_inputs, gate_messages
from huikuan.comms.models import Message, MessageStatus, Purpose
from huikuan.comms.optouts import cancel_collection_messages
from huikuan.kernel.comms import purposes
from huikuan.portfolio.models import ContactPoint, Debtor, Validity

# Wednesday 18 November 2026, 10:00 in Shanghai: a working day, outside quiet hours.
DAYTIME = datetime(2026, 11, 18, 2, 0, tzinfo=UTC)


def test_the_kernels_purposes_are_purposes_of_the_outbox() -> None:
    assert set(Purpose.values) >= purposes.NOT_CASE_COLLECTION


@pytest.mark.django_db
def test_closing_a_case_cancels_exactly_its_collection_messages_and_the_gate_refuses_exactly_those() -> None:
    debtor = Debtor.objects.create(customer_no="P-1", name="张伟")
    point = ContactPoint.objects.create(debtor=debtor, kind="mobile", value="+8613900001111", validity=Validity.VALID)
    case = Case.objects.create(debtor=debtor, status=CaseStatus.CLOSED)
    for purpose in Purpose.values:
        Message.objects.create(
            idempotency_key=f"k-{purpose}", case=case, debtor=debtor, contact_point=point, channel="sms",
            purpose=purpose, language="zh-hans", recipient=point.value, body="…", content_hash="x", due_at=DAYTIME,
        )  # fmt: skip
    queued = list(Message.objects.all())
    decisions = gate_messages(gate_inputs(queued), DAYTIME)
    refused = {m.purpose for m in queued if decisions[m.id].blocking_rule == "cn.case_closed"}
    cancel_collection_messages([case.pk])
    cancelled = set(Message.objects.filter(status=MessageStatus.CANCELLED).values_list("purpose", flat=True))
    wanted = {p for p in Purpose.values if purposes.collects_case(p)}
    assert cancelled == refused == wanted
    assert wanted and wanted != set(Purpose.values)
