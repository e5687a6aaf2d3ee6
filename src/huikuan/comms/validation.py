"""US validation notices and verifications through the outbox (12 CFR 1006.34).

Every case in collection without a notice gets one, as a letter, the first time this runs after the case is
placed (hourly through Celery beat, and ``huikuan comms notices``): the model notice's
itemisation from the ledger and the end of the validation period to the day. The notice is recorded in
compliance (``ValidationNotice``) only when its message was queued, in the same transaction. A dispute inside
the period stops collection (the gate's ``us.validation_dispute``) until ``send_verification`` queues the
verification, which the dispute does not stop (a service purpose).

Nothing runs unless the pack in force has the rule ``validation_dispute`` (the US pack).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from huikuan import clock
from huikuan.cases.access import require_visible_case
from huikuan.cases.models import Case
from huikuan.comms.models import CommChannel, Message, Purpose, Tone
from huikuan.comms.outbox import Request, queue_messages
from huikuan.compliance.models import ValidationNotice
from huikuan.compliance.pack import current_pack
from huikuan.compliance.validation import (
    SentNotice,
    itemization_of,
    itemization_values,
    itemizations_of,
    open_dispute_case_ids,
    record_notices,
    record_verification,
    rule_in_force,
)
from huikuan.kernel.comms.variables import format_date
from huikuan.kernel.compliance.validation import Itemization, validation_period_end
from huikuan.kernel.lifecycle import IN_COLLECTION
from huikuan.org.permissions import can_negotiate, require
from huikuan.portfolio.models import debtor_today

BATCH = 200


@dataclass
class NoticeReport:
    queued: int = 0
    not_queued: int = 0  # no address, no template, or a value missing: nothing recorded, tried again next run


def _lang(case: Case) -> str:
    return case.debtor.preferred_language or "zh-hans"


def _values(case: Case, item: Itemization, extra: dict[str, str]) -> tuple[tuple[str, str], ...]:
    values = itemization_values(item)
    values["itemization_date"] = format_date(item.itemization_date, _lang(case))
    values["currency"] = str(getattr(settings, "DEFAULT_CURRENCY", "CNY"))
    values.update(extra)
    return tuple(values.items())


def _request(case: Case, key: str, purpose: str, values: tuple[tuple[str, str], ...]) -> Request:
    return Request(
        idempotency_key=key,
        debtor_id=case.debtor_id,
        channel=CommChannel.LETTER,
        purpose=purpose,
        tone=Tone.FORMAL,
        case_id=case.pk,
        extra=values,
    )


def queue_validation_notices(now: datetime | None = None) -> NoticeReport:
    """Queue and record the notice of every case in collection that has none. Idempotent.

    A chunk of cases costs a fixed number of queries: the itemisations, one queue of all its letters, the
    messages queued, and the notices with their change log.
    """
    report = NoticeReport()
    if not rule_in_force("validation_dispute"):
        return report
    now = now or clock.now()
    calendar = current_pack().calendar
    pending = Case.objects.filter(status__in=IN_COLLECTION, validation_notice__isnull=True).select_related("debtor")
    last_id = 0
    while chunk := list(pending.filter(pk__gt=last_id).order_by("pk")[:BATCH]):
        last_id = chunk[-1].pk
        # Each debtor's own day dates the notice; a chunk's debtors mostly share one, queued together.
        by_day: dict[date, list[Case]] = {}
        for case in chunk:
            by_day.setdefault(debtor_today(case.debtor.time_zone, now), []).append(case)
        for today, cases in by_day.items():
            items = itemizations_of(cases, today)
            end = validation_period_end(today, calendar)
            keys = {case.pk: f"validation:{case.pk}" for case in cases}
            requests = [
                _request(
                    case,
                    keys[case.pk],
                    Purpose.VALIDATION_NOTICE,
                    _values(case, items[case.pk], {"validation_end_date": format_date(end, _lang(case))}),
                )
                for case in cases
            ]
            with transaction.atomic():
                queue_messages(requests, today)
                queued = dict(
                    Message.objects.filter(idempotency_key__in=keys.values()).values_list("idempotency_key", "id")
                )
                sent = [
                    SentNotice(case, today, queued[keys[case.pk]], items[case.pk])
                    for case in cases
                    if keys[case.pk] in queued
                ]
                record_notices(sent, CommChannel.LETTER)
            report.queued += len(sent)
            report.not_queued += len(cases) - len(sent)
    return report


class VerificationRefused(ValueError):
    pass


def send_verification(user: Any, case: Case, now: datetime | None = None) -> Message:
    """Queue the verification answering the debtor's dispute and record it: collection may resume.

    An entry point. Refused when the case has no notice or no dispute awaiting verification.
    """
    require(can_negotiate(user), _("Your role may not send a verification."))
    require_visible_case(user, case)
    now = now or clock.now()
    with transaction.atomic(durable=True):
        notice = ValidationNotice.objects.select_for_update().filter(case=case).first()
        if notice is None:
            raise VerificationRefused(_("This case has no validation notice."))
        if case.pk not in open_dispute_case_ids([case.pk]):
            raise VerificationRefused(_("No dispute on this case is waiting for verification."))
        today = debtor_today(case.debtor.time_zone, now)
        item = itemization_of(case, today)
        key = f"verification:{case.pk}:{today.isoformat()}"
        queue_messages([_request(case, key, Purpose.VERIFICATION, _values(case, item, {}))], today)
        message = Message.objects.filter(idempotency_key=key).first()
        if message is None:
            raise VerificationRefused(_("The verification could not be queued: the debtor has no postal address."))
        record_verification(user, notice, sent_on=today, message_id=message.pk)
    return message
