"""Uncertain messages: a worker died while the provider held the message, and the provider cannot de-duplicate.

The dispatcher does not resend such a message by itself (the debtor may have it already) and marks it
``uncertain``. A person who can check the provider's console (QA, a team lead for the team's cases, an
admin) settles it here: *resend* puts it back in the outbox (the gate is asked again at send time, under the
same idempotency key), *mark delivered* records it as sent and delivered, with the contact in the case's
history as the dispatcher would have written it. Each decision needs a reason and goes to the change log.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from huikuan import clock
from huikuan.audit.records import record_change, snapshot
from huikuan.cases.models import Interaction, Outcome, Party
from huikuan.comms.models import Message, MessageStatus
from huikuan.org.permissions import can_settle_messages, require
from huikuan.org.visibility import case_filter

_AUDITED = ["status", "due_at", "sent_at", "delivered_at", "last_error"]


class NotUncertain(ValueError):
    """The message is no longer uncertain (someone settled it first) or the request lacks a reason."""


def uncertain_messages(user: Any) -> QuerySet[Message]:
    """The uncertain messages of the cases the user may see, oldest first."""
    require(can_settle_messages(user), _("Only QA, a team lead or an admin may settle uncertain messages."))
    return (
        Message.objects.filter(case_filter(user, "case__"), status=MessageStatus.UNCERTAIN)
        .select_related("case", "debtor")
        .order_by("due_at", "id")
    )


def _locked(user: Any, message: Message, reason: str) -> Message:
    if not reason.strip():
        raise NotUncertain(_("Say why: what the provider's console shows."))
    locked = uncertain_messages(user).select_for_update(of=("self",)).filter(pk=message.pk).first()
    if locked is None:
        raise NotUncertain(_("The message is no longer uncertain; someone has settled it."))
    return locked


def resend_uncertain(user: Any, message: Message, reason: str) -> Message:
    """Back to the outbox, due now; the dispatcher asks the gate again before it sends."""
    with transaction.atomic(durable=True):
        message = _locked(user, message, reason)
        before = snapshot(message, _AUDITED)
        message.status = MessageStatus.QUEUED
        message.due_at = clock.now()
        message.last_error = ""
        message.save(update_fields=["status", "due_at", "last_error"])
        record_change(user, message, "message:resent", before, {**snapshot(message, _AUDITED), "reason": reason})
    return message


def mark_delivered(user: Any, message: Message, reason: str) -> Message:
    """The provider confirms delivery: sent and delivered, and the contact in the case's history."""
    with transaction.atomic(durable=True):
        message = _locked(user, message, reason)
        before = snapshot(message, _AUDITED)
        now = clock.now()
        message.status = MessageStatus.DELIVERED
        message.sent_at = message.sent_at or now
        message.delivered_at = now
        message.last_error = ""
        message.save(update_fields=["status", "sent_at", "delivered_at", "last_error"])
        if message.case_id:
            Interaction.objects.create(
                case_id=message.case_id, contact_point_id=message.contact_point_id, channel=message.channel,
                party=Party.NOBODY, outcome=Outcome.SENT, notes=f"{message.purpose} #{message.id}",
                at=message.sent_at, user=user,
            )  # fmt: skip
        record_change(user, message, "message:marked_delivered", before, {**snapshot(message, _AUDITED),
                                                                           "reason": reason})  # fmt: skip
    return message
