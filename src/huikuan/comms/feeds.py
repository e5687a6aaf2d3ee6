"""What other apps hand to the outbox: the strategy's automatic work items and payments' pending messages."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple, Protocol

from django.db import transaction
from django.db.models import F

from huikuan import clock
from huikuan.cases.models import Case
from huikuan.comms import bulk_compose, compose, facts, outbox
from huikuan.comms.models import (
    CommChannel,
    Purpose,
    TemplateVersion,
    Tone,
    VersionStatus,
)
from huikuan.comms.outbox import QueueReport, Request, debtor_languages, queue_messages
from huikuan.db.bulkread import AnyOf
from huikuan.kernel.comms.variables import format_date
from huikuan.kernel.money import format_yuan
from huikuan.payments.models import Payment, PendingMessage


class WorkItemLike(Protocol):
    """The fields of strategy.WorkItem the outbox reads (kept structural so comms does not import strategy)."""

    @property
    def as_of(self) -> date: ...
    @property
    def case_id(self) -> int: ...
    @property
    def action(self) -> str: ...
    @property
    def template(self) -> str: ...
    @property
    def contact_point_id(self) -> int | None: ...
    @property
    def window_start(self) -> datetime: ...


class WorkItemRow(NamedTuple):
    """A work item as the nightly run holds it in memory, before any ORM object exists."""

    as_of: date
    case_id: int
    action: str
    template: str
    contact_point_id: int | None
    window_start: datetime


# The strategy's template keys name a stage tone; the purpose follows from the action.
_ACTION_CHANNEL = {"sms": CommChannel.SMS, "email": CommChannel.EMAIL, "letter": CommChannel.LETTER,
                   "lawyer_letter": CommChannel.LETTER}  # fmt: skip


@lru_cache(maxsize=1024)
def purpose_and_tone(action: str, template_key: str) -> tuple[str, str]:
    # Cached: a night asks it once per message about a handful of (action, template) pairs.
    if action == "lawyer_letter" or template_key.startswith("lawyer"):
        return Purpose.LAWYER_LETTER, Tone.FORMAL
    if action == "letter":
        return Purpose.DEMAND_LETTER, Tone.FORMAL
    for purpose in Purpose.values:
        if template_key.startswith(purpose):
            tone = Tone.FIRM if "firm" in template_key else Tone.GENTLE
            return purpose, tone
    firm = any(word in template_key for word in ("firm", "middle", "late", "final"))
    return Purpose.REMINDER, Tone.FIRM if firm else Tone.GENTLE


def enqueue_for_work_items(items: Iterable[WorkItemLike], run_id: int | str, today: date | None = None) -> QueueReport:
    """Outbox rows for a strategy run's message and letter items; call it inside the run's transaction.

    The key is the day, case and action (a work item's identity across re-runs of the same day, which rewrite
    the items), so re-running queues nothing twice; letters carry the run as their batch, which
    ``render_letter_batch`` prints together.
    """
    return queue_messages(work_item_requests(items, run_id), today)


def queuing_state() -> str:
    """What queuing a work item's message depends on besides the debtor's and the case's data: the templates
    in force, the code that composes and the day it composes on (its deadlines). A same-day re-run that
    finds it as the last hand-over left it needs to hand over only the cases whose data or items changed (a
    message left out for want of a template or a value is not in the outbox, so only a change here or in
    those data can let it in)."""
    digest = hashlib.sha256(clock.today().isoformat().encode())
    active = TemplateVersion.objects.filter(status=VersionStatus.ACTIVE).order_by("pk")
    digest.update(repr(list(active.values_list("pk", "template_id"))).encode())
    for module in (bulk_compose, compose, facts, outbox):
        digest.update(Path(str(module.__file__)).read_bytes())
    digest.update(Path(__file__).read_bytes())
    return digest.hexdigest()[:32]


def work_item_requests(items: Iterable[WorkItemLike], run_id: int | str) -> list[Request]:
    """The queuing requests of the items that are messages or letters (see ``enqueue_for_work_items``)."""

    chosen = [item for item in items if item.action in _ACTION_CHANNEL]
    debtors = dict(Case.objects.filter(AnyOf(F("id"), {i.case_id for i in chosen})).values_list("id", "debtor_id"))
    requests = []
    for item in chosen:
        purpose, tone = purpose_and_tone(item.action, item.template)
        channel = _ACTION_CHANNEL[item.action]
        requests.append(
            Request(
                idempotency_key=f"work:{item.as_of.isoformat()}:{item.case_id}:{item.action}",
                debtor_id=debtors[item.case_id],
                channel=channel,
                purpose=purpose,
                tone=tone,
                case_id=item.case_id,
                contact_point_id=item.contact_point_id,
                due_at=item.window_start,
                batch=f"run:{run_id}" if channel == CommChannel.LETTER else "",
            )
        )
    return requests


# Payments' pending messages → outbox -----------------------------------------------------------------------------

_PENDING_PURPOSE = {
    "payment_confirmation": Purpose.PAYMENT_CONFIRMATION,
    "plan_confirmation": Purpose.PLAN_CONFIRMATION,
    "case_closed": Purpose.CASE_CLOSED,
    "instalment_thanks": Purpose.INSTALMENT_THANKS,
}


def consume_pending_messages(limit: int = 5000, channel: str = CommChannel.SMS) -> QueueReport:
    """Turn payments' PendingMessage rows into outbox messages; both sides change in one transaction.

    The pending row's cause becomes the idempotency key, so a crash between the two halves cannot happen
    (one transaction) and a replay cannot queue twice (unique key). An entry point (the beat task, the
    dispatch command): the outermost transaction.
    """

    report = QueueReport()
    with transaction.atomic(durable=True):
        pending = list(
            PendingMessage.objects.select_for_update(skip_locked=True)
            .filter(consumed_at__isnull=True)
            .order_by("id")[:limit]
        )
        if not pending:
            return report
        payment_ids = [int(p.cause.split(":")[1]) for p in pending if p.cause.startswith("payment:")]
        payments = {p.id: p for p in Payment.objects.filter(id__in=payment_ids).only("id", "amount", "paid_on")}
        languages = debtor_languages({p.debtor_id for p in pending})
        requests = []
        for item in pending:
            extra: list[tuple[str, str]] = []
            if item.cause.startswith("payment:"):
                payment = payments.get(int(item.cause.split(":")[1]))
                if payment is not None:
                    lang = languages.get(item.debtor_id, ("zh-hans", "", ""))[0]
                    extra = [("payment_amount", format_yuan(payment.amount)),
                             ("payment_date", format_date(payment.paid_on, lang))]  # fmt: skip
            requests.append(
                Request(
                    idempotency_key=f"pending:{item.cause}",
                    debtor_id=item.debtor_id,
                    channel=channel,
                    purpose=_PENDING_PURPOSE.get(item.kind, Purpose.PAYMENT_CONFIRMATION),
                    extra=tuple(extra),
                )
            )
        report = queue_messages(requests)
        PendingMessage.objects.filter(id__in=[p.id for p in pending]).update(consumed_at=clock.now())
    return report
