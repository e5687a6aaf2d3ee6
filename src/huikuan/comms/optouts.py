"""Opt-outs, inbound replies and delivery receipts: what comes back from debtors and providers.

All are building blocks that join the caller's transaction: a signed webhook records a receipt or an opt-out
in the transaction that claims its signature (comms.views, the outermost one), the opt-out page and the
close of a case call them on their own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from huikuan import clock
from huikuan.comms.models import (
    CommChannel,
    DeliveryReceipt,
    Message,
    MessageStatus,
    OptOutSource,
)
from huikuan.compliance.models import StopRequest
from huikuan.kernel.comms import purposes
from huikuan.kernel.comms.delivery import is_opt_out_reply
from huikuan.kernel.identifiers import normalise_phone
from huikuan.portfolio.models import PHONE_KINDS, ContactPoint, Relation


def record_opt_out(debtor_id: int, channel: str, source: str, evidence: str = "") -> bool:
    """Record the opt-out and cancel what is still queued on that channel; False if it was already recorded.

    An opt-out is the compliance app's stop request, the one record every gate reads, whether the debtor
    replied TD, clicked the e-mail link or told a collector on the phone.
    """
    with transaction.atomic():
        try:
            with transaction.atomic():
                StopRequest.objects.create(debtor_id=debtor_id, channel=channel, source=source, note=evidence[:300])
        except IntegrityError:
            return False
        Message.objects.filter(debtor_id=debtor_id, channel=channel, status=MessageStatus.QUEUED).update(
            status=MessageStatus.CANCELLED, last_error="debtor opted out"
        )
    return True


def cancel_collection_messages(case_ids: Iterable[int]) -> int:
    """Cancel what is still queued for these (closed) cases, except receipts, confirmations and pre-due reminders.

    The ORM form of ``kernel.comms.purposes.collects_case``.
    """
    return (
        Message.objects.filter(case_id__in=list(case_ids), status=MessageStatus.QUEUED)
        .exclude(purpose__in=sorted(purposes.NOT_CASE_COLLECTION))
        .update(status=MessageStatus.CANCELLED, last_error="case closed")
    )


@dataclass(frozen=True, slots=True)
class InboundResult:
    opted_out: bool
    debtor_ids: tuple[int, ...]


def record_inbound_sms(sender: str, text: str) -> InboundResult:
    """An SMS reply: 退订/TD/STOP from a debtor's own number stops SMS for that debtor."""

    if not is_opt_out_reply(text):
        return InboundResult(False, ())
    # The gateway's spelling of the sender is folded as every stored number was: a reply from
    # '13８00138000' or '+86 138 0013 8000' is a reply from +8613800138000.
    number = normalise_phone(sender, settings.DEFAULT_PHONE_REGION)
    if number is None:
        return InboundResult(False, ())
    # Any of the debtor's own phone kinds: a mobile filed as the home phone still receives (and answers) SMS.
    debtor_ids = tuple(
        ContactPoint.objects.filter(value=number, kind__in=PHONE_KINDS, relation=Relation.SELF)
        .values_list("debtor_id", flat=True)
        .distinct()
    )
    for debtor_id in debtor_ids:
        record_opt_out(debtor_id, CommChannel.SMS, OptOutSource.SMS_REPLY, f"{number}: {text}")
    return InboundResult(bool(debtor_ids), debtor_ids)


_FINAL_STATUSES = {"delivered": MessageStatus.DELIVERED, "undelivered": MessageStatus.UNDELIVERED,
                   "failed": MessageStatus.UNDELIVERED, "rejected": MessageStatus.UNDELIVERED}  # fmt: skip


def record_receipts(payloads: list[dict[str, Any]]) -> int:
    """Many delivery receipts by provider id (a provider's batch callback, the simulator's day), in one
    transaction: the same rows as ``record_receipt`` for each in turn, in a few statements. Returns how many
    found their message; a receipt for an unknown id is dropped, as one at a time."""
    ids = {str(p.get("id") or p.get("provider_id") or "") for p in payloads} - {""}
    found = 0
    with transaction.atomic():
        messages = {m.provider_id: m for m in Message.objects.select_for_update().filter(provider_id__in=ids)}
        receipts: list[DeliveryReceipt] = []
        changed: dict[int, Message] = {}
        now = clock.now()
        for payload in payloads:
            message = messages.get(str(payload.get("id") or payload.get("provider_id") or ""))
            if message is None:
                continue
            found += 1
            status = str(payload.get("status") or "").lower()
            receipts.append(DeliveryReceipt(message=message, status=status[:60], payload=payload))
            message.provider_status = status[:60]
            new_status = _FINAL_STATUSES.get(status)
            if new_status is not None and message.status in (MessageStatus.SENT, MessageStatus.SENDING):
                message.status = new_status
                if new_status == MessageStatus.DELIVERED:
                    message.delivered_at = now
            changed[message.pk] = message
        DeliveryReceipt.objects.bulk_create(receipts, batch_size=2000)
        Message.objects.bulk_update(
            list(changed.values()), ["provider_status", "status", "delivered_at"], batch_size=2000
        )
    return found


def record_receipt(payload: dict[str, Any]) -> Message | None:
    """A delivery receipt found by provider id or by our reference; stored as received, status updated."""
    provider_id = str(payload.get("id") or payload.get("provider_id") or "")
    reference = str(payload.get("reference") or "")
    status = str(payload.get("status") or "").lower()
    with transaction.atomic():
        query = Message.objects.select_for_update()
        message = None
        if provider_id:
            message = query.filter(provider_id=provider_id).first()
        if message is None and reference:
            message = query.filter(idempotency_key=reference).first()
        if message is None:
            return None
        DeliveryReceipt.objects.create(message=message, status=status[:60], payload=payload)
        message.provider_status = status[:60]
        new_status = _FINAL_STATUSES.get(status)
        if new_status is not None and message.status in (MessageStatus.SENT, MessageStatus.SENDING):
            message.status = new_status
            if new_status == MessageStatus.DELIVERED:
                message.delivered_at = clock.now()
        message.save(update_fields=["provider_status", "status", "delivered_at"])
    return message
