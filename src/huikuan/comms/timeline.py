"""What the case page shows of communications: each message with its evidence, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from huikuan.comms.models import Message
from huikuan.kernel import pii


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    at: datetime
    message_id: int
    channel: str
    purpose: str
    status: str
    status_label: str
    recipient: str
    text: str
    content_hash: str
    template: str  # "sms/reminder/gentle/zh-hans v3"
    gate_allowed: bool | None
    gate_rule: str | None
    provider_id: str
    delivered_at: datetime | None
    document: str


def case_timeline(case_id: int, limit: int = 200) -> list[TimelineEntry]:
    """Messages and letters of a case. The recipient is masked: the timeline is seen by every collector."""

    rows = (
        Message.objects.filter(case_id=case_id)
        .select_related("template_version__template")
        .order_by("-created_at", "-id")[:limit]
    )
    entries = []
    for m in rows:
        version = m.template_version
        gate = m.gate_decision or {}
        if m.channel == "sms":
            recipient = pii.mask_phone(m.recipient.removeprefix("+86"))
        elif m.channel == "email":
            recipient = pii.mask_email(m.recipient)
        else:
            recipient = pii.mask_text(m.recipient, keep=3)
        entries.append(
            TimelineEntry(
                at=m.sent_at or m.created_at,
                message_id=m.pk,
                channel=m.channel,
                purpose=m.purpose,
                status=m.status,
                status_label=str(m.get_status_display()),
                recipient=recipient,
                text=m.body,
                content_hash=m.content_hash,
                template=f"{version.template} v{version.number}" if version else "",
                gate_allowed=gate.get("allowed"),
                gate_rule=gate.get("blocking_rule"),
                provider_id=m.provider_id,
                delivered_at=m.delivered_at,
                document=m.document,
            )
        )
    return entries
