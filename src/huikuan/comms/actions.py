"""Communications use cases, each in one transaction: template versions, queuing, opt-outs, receipts.

Queuing writes the outbox row in the caller's transaction (``transaction.atomic`` joins it), so a message
exists exactly when its cause does: a rolled-back payment leaves no confirmation behind.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple, Protocol

import yaml
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext

from huikuan.audit.records import record_change
from huikuan.comms.bulk_compose import BulkComposer, OptOutLinks
from huikuan.comms.compliance_adapter import NOT_CASE_COLLECTION_PURPOSES, screen_texts
from huikuan.comms.compose import Composed, compose
from huikuan.comms.facts import facts_for_debtors, with_deadline
from huikuan.comms.models import (
    CommChannel,
    DeliveryReceipt,
    Message,
    MessageStatus,
    OptOutSource,
    Purpose,
    Template,
    TemplateVersion,
    Tone,
    VersionStatus,
)
from huikuan.compliance.models import StopRequest
from huikuan.kernel.comms.delivery import is_opt_out_reply
from huikuan.kernel.comms.render import TemplateError, unknown_variables
from huikuan.kernel.comms.variables import MessageFacts, format_date, masked_for_display, values_for
from huikuan.portfolio.bulkread import bulk_reads, one_of
from huikuan.portfolio.bulkwrite import insert_rows

DEFAULTS_FILE = Path(__file__).with_name("defaults.yaml")
DEADLINE_DAYS = 15  # a demand letter's deadline: long enough to pay or to answer a dispute
BULK_BATCH = 1000  # from this many requests, queuing reads with the settings for whole-book queries


class ActivationRefused(ValueError):
    """The version has screening flags or unknown variables; it stays a draft."""

    def __init__(self, message: str, flags: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.flags = flags


# Templates -----------------------------------------------------------------------------------------------------


def create_version(user: Any, template: Template, *, body: str, subject: str = "", html: str = "") -> TemplateVersion:
    if not body.strip():
        raise TemplateError(gettext("The text cannot be empty."))
    unknown = unknown_variables([subject, body, html])
    if unknown:
        raise TemplateError(gettext("Unknown variables: %(names)s") % {"names": ", ".join(unknown)})
    with transaction.atomic():
        Template.objects.select_for_update().filter(pk=template.pk).first()
        last = template.versions.order_by("-number").values_list("number", flat=True).first() or 0
        version = TemplateVersion.objects.create(
            template=template, number=last + 1, subject=subject, body=body, html=html, created_by=user
        )
        record_change(user, version, "template:version_created", {}, {"number": version.number})
    return version


_SCREENED_PARTS = ("subject", "body", "html")


def screen_version(version: TemplateVersion) -> list[dict[str, Any]]:
    """The screener's flags on each part; offsets are into that part, and the flagged words come along."""
    flags = []
    for part in _SCREENED_PARTS:
        text = getattr(version, part)
        for f in screen_texts([text], version.template.language):
            flags.append(
                {"category": f.category, "severity": f.severity, "start": f.start, "end": f.end,
                 "rule_id": f.rule_id, "suggestion": f.suggestion, "part": part, "excerpt": text[f.start : f.end]}
            )  # fmt: skip
    return flags


def activate_version(user: Any, version: TemplateVersion) -> TemplateVersion:
    """Screen the version; with no flag it becomes the template's active version and the previous one retires."""
    flags = screen_version(version)
    with transaction.atomic():
        version = TemplateVersion.objects.select_for_update().get(pk=version.pk)
        version.screening = flags
        version.screened_at = timezone.now()
        if flags:
            version.save(update_fields=["screening", "screened_at"])
            categories = sorted({f["category"] for f in flags})
            record_change(user, version, "template:activation_refused", None, {"flags": categories})
        else:
            previous = TemplateVersion.objects.filter(template_id=version.template_id, status=VersionStatus.ACTIVE)
            previous.update(status=VersionStatus.RETIRED)
            version.status = VersionStatus.ACTIVE
            version.activated_at = timezone.now()
            version.activated_by = user if getattr(user, "pk", None) else None
            version.save()
            record_change(user, version, "template:activated", {"status": "draft"}, {"status": "active"})
    if flags:
        raise ActivationRefused(f"{len(flags)} screening flag(s): the version stays a draft", flags)
    return version


def active_version(channel: str, purpose: str, tone: str, language: str) -> TemplateVersion | None:
    """The active version for the key, falling back to the gentle tone and then to zh-hans."""
    candidates = [(tone, language), (Tone.GENTLE, language), (Tone.FORMAL, language)]
    candidates += [(t, "zh-hans") for t, _ in candidates]
    for t, lang in candidates:
        version = (
            TemplateVersion.objects.select_related("template")
            .filter(status=VersionStatus.ACTIVE, template__channel=channel, template__purpose=purpose,
                    template__tone=t, template__language=lang)
            .first()
        )  # fmt: skip
        if version is not None:
            return version
    return None


def seed_default_templates(user: Any = None) -> int:
    """Version 1 of every default template, activated through the screener; returns how many were created."""
    created = 0
    for raw in yaml.safe_load(DEFAULTS_FILE.read_text(encoding="utf-8")):
        template, _ = Template.objects.get_or_create(
            channel=raw["channel"], purpose=raw["purpose"], tone=raw["tone"], language=raw["language"]
        )
        if template.versions.exists():
            continue
        version = create_version(user, template, body=raw["body"], subject=raw.get("subject", ""))
        activate_version(user, version)
        created += 1
    return created


@dataclass(frozen=True, slots=True)
class Preview:
    composed: Composed
    values: dict[str, str]
    letter_html: str = ""  # the letter as printed, for letter templates


def preview(version: TemplateVersion, case: Any, today: date | None = None, *, masked: bool = False) -> Preview:
    """The version rendered with a real case's values, SMS length included; nothing is written.

    ``masked`` is for screens: the full contract number and a letter's recipient are masked, the amounts and
    dates stay exact, because checking them is what a preview is for.
    """
    today = today or timezone.localdate()
    facts = facts_for_debtors([case.debtor_id], today)[case.debtor_id]
    facts = with_deadline(facts, today + timedelta(days=DEADLINE_DAYS))
    values = values_for(facts, version.template.language)
    template = version.template
    if template.channel == CommChannel.LETTER:
        # The address the outbox would print: the postal contact point, else the registered address.
        request = Request("preview", case.debtor_id, CommChannel.LETTER, template.purpose)
        points = _default_points({case.debtor_id})
        values["recipient_name"] = case.debtor.name
        values["recipient_address"] = _recipient(request, points, {}, case.debtor.name, case.debtor.address)[1]
    if masked:
        values = masked_for_display(values)
    composed = compose(template.channel, template.language, version.subject, version.body, values, "preview")
    letter = ""
    if template.channel == CommChannel.LETTER:
        from huikuan.comms.channels.letter.render import letter_document

        unsaved = Message(idempotency_key="preview", language=template.language, purpose=template.purpose,
                          subject=composed.subject, body=composed.body, variables=values)  # fmt: skip
        letter = letter_document(unsaved)
    return Preview(composed, values, letter)


# Queuing -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Request:
    """One message to queue: who, what, when and why (the idempotency key names the cause)."""

    idempotency_key: str
    debtor_id: int
    channel: str
    purpose: str
    tone: str = Tone.GENTLE
    case_id: int | None = None
    contact_point_id: int | None = None
    due_at: datetime | None = None
    batch: str = ""
    extra: tuple[tuple[str, str], ...] = ()  # values the cause knows (payment amount and date)
    deadline: date | None = None


@dataclass
class QueueReport:
    queued: int = 0
    duplicate: int = 0
    no_contact_point: int = 0
    no_template: int = 0
    missing_values: int = 0


_POINT_KIND: dict[str, tuple[str, ...]] = {
    CommChannel.SMS: ("mobile",),
    CommChannel.EMAIL: ("email",),
    CommChannel.LETTER: ("postal",),
}


def _default_points(debtor_ids: set[int]) -> dict[tuple[int, str], tuple[int, str]]:
    """The debtor's own usable point per channel: valid before unverified, then the oldest."""
    from huikuan.portfolio.models import ContactPoint, Relation, Validity

    points: dict[tuple[int, str], tuple[int, str]] = {}
    rows = (
        ContactPoint.objects.filter(debtor_id__in=one_of(debtor_ids), relation=Relation.SELF, do_not_contact=False)
        .exclude(validity=Validity.INVALID)
        .order_by("debtor_id", "validity", "id")  # "unverified" < "valid": reversed below
        .values_list("debtor_id", "kind", "id", "value", "validity")
    )
    ranked = sorted(rows, key=lambda r: (r[0], r[1], r[4] != Validity.VALID, r[2]))
    for debtor_id, kind, point_id, value, _ in ranked:
        points.setdefault((debtor_id, kind), (point_id, value))
    return points


def _cases_of(debtor_ids: set[int]) -> dict[int, int]:
    from huikuan.cases.models import Case

    return dict(Case.objects.filter(debtor_id__in=one_of(debtor_ids)).values_list("debtor_id", "id"))


def _languages(debtor_ids: set[int]) -> dict[int, tuple[str, str, str]]:
    from huikuan.portfolio.models import Debtor

    return {
        row[0]: (row[1] or "zh-hans", row[2], row[3])
        for row in Debtor.objects.filter(id__in=one_of(debtor_ids)).values_list(
            "id", "preferred_language", "name", "address"
        )
    }


def queue_messages(requests: Sequence[Request], today: date | None = None) -> QueueReport:
    """Render and insert the outbox rows for ``requests`` in the caller's transaction, skipping duplicates."""
    batch = QueueBatch(requests, today)
    batch.insert(batch.compose())
    return batch.report


class QueueBatch:
    """Queuing in three steps: read (on creation), ``compose`` and ``insert``.

    Everything ``compose`` needs (facts, contact points, template versions) is read up front in a handful of
    set-based queries, and ``compose`` itself touches neither the ORM nor the connection: the loop over a
    night's hundred thousand messages cannot fall into a query per message, and a test holds it to that.
    """

    def __init__(self, requests: Sequence[Request], today: date | None = None) -> None:
        self.requests = requests
        self.report = QueueReport()
        self.today = today or timezone.localdate()
        self.now = timezone.now()
        if not requests:
            return
        # A night's batch groups and joins over a hundred thousand debtors; a single message needs no tuning.
        with bulk_reads() if len(requests) >= BULK_BATCH else nullcontext():
            self._read(requests)

    def _read(self, requests: Sequence[Request]) -> None:
        from huikuan.portfolio.models import ContactPoint

        self.existing = _existing_keys([r.idempotency_key for r in requests])
        # Only what is not queued yet needs facts: a same-day re-run of the strategy reads nothing more.
        fresh = [r for r in requests if r.idempotency_key not in self.existing]
        debtor_ids = {r.debtor_id for r in fresh}
        self.facts = facts_for_debtors(debtor_ids, self.today)
        self.points = _default_points(debtor_ids)
        self.explicit = {
            p[0]: (p[1], p[2])
            for p in ContactPoint.objects.filter(
                id__in=one_of({r.contact_point_id for r in fresh if r.contact_point_id})
            ).values_list("id", "value", "debtor_id")
        }
        self.cases = _cases_of(debtor_ids)
        self.debtors = _languages(debtor_ids)
        keys = {(r.channel, r.purpose, r.tone, self.debtors.get(r.debtor_id, ("zh-hans", "", ""))[0]) for r in fresh}
        self.versions: dict[tuple[str, str, str, str], TemplateVersion | None] = {
            key: active_version(*key) for key in keys
        }

    def compose(self) -> list[tuple[Any, ...]]:
        """The outbox rows (``_MESSAGE_COLUMNS``) of the requests not queued yet; counts land in ``report``."""
        report = self.report
        if not self.requests:
            return []
        today, now, existing, facts, debtors = self.today, self.now, set(self.existing), self.facts, self.debtors
        composers: dict[int, BulkComposer] = {}
        links = OptOutLinks()
        rows: list[tuple[Any, ...]] = []
        created_at = connection.ops.adapt_datetimefield_value(now)
        # Per debtor and language, the values without the deadline: a debtor's messages share them.
        shared: dict[tuple[int, str], dict[str, str]] = {}
        for request in self.requests:
            if request.idempotency_key in existing:
                report.duplicate += 1
                continue
            existing.add(request.idempotency_key)
            language, name, address = debtors.get(request.debtor_id, ("zh-hans", "", ""))
            point_id, recipient = _recipient(request, self.points, self.explicit, name, address)
            if not recipient:
                report.no_contact_point += 1
                continue
            version = self.versions[(request.channel, request.purpose, request.tone, language)]
            if version is None or request.debtor_id not in facts:
                report.no_template += 1
                continue
            composer = composers.get(version.pk)
            if composer is None:
                composer = BulkComposer(
                    request.channel, version.template.language, version.subject, version.body, links
                )
                composers[version.pk] = composer
            deadline = request.deadline or (today + timedelta(days=DEADLINE_DAYS))
            values = _values(shared, facts, request.debtor_id, version.template.language, deadline)
            values.update(dict(request.extra))
            if request.channel == CommChannel.LETTER:
                values["recipient_name"] = name
                values["recipient_address"] = recipient
            if composer.missing(values):
                # A reminder reading "{{promise_amount}}" must never leave: count it, queue nothing.
                report.missing_values += 1
                continue
            composed = composer.compose_one(values, request.idempotency_key) or compose(
                request.channel,
                version.template.language,
                version.subject,
                version.body,
                values,
                request.idempotency_key,
            )
            rows.append(
                (
                    request.idempotency_key,
                    request.case_id or self.cases.get(request.debtor_id),
                    request.debtor_id,
                    point_id,
                    request.channel,
                    request.purpose,
                    version.template.language,
                    version.pk,
                    recipient,
                    composed.subject,
                    composed.body,
                    composed.html,
                    composed.content_hash,
                    json.dumps(values),
                    request.batch,
                    connection.ops.adapt_datetimefield_value(request.due_at or now),
                    created_at,
                    *_MESSAGE_DEFAULTS.values(),
                )
            )
        return rows

    def insert(self, rows: list[tuple[Any, ...]]) -> None:
        with transaction.atomic():
            insert_rows(Message._meta.db_table, _MESSAGE_COLUMNS, rows, conflict=["idempotency_key"])
        self.report.queued = len(rows)


def _values(
    shared: dict[tuple[int, str], dict[str, str]],
    facts: dict[int, MessageFacts],
    debtor_id: int,
    language: str,
    deadline: date,
) -> dict[str, str]:
    """The message's placeholder values: exactly ``values_for`` with the deadline, computed once per debtor."""
    base = shared.get((debtor_id, language))
    if base is None:
        base = shared[(debtor_id, language)] = values_for(facts[debtor_id], language)
    values = dict(base)
    # values_for formats the deadline like the other optional dates; the facts' own deadline is unset.
    values["deadline"] = format_date(deadline, language)
    return values


# The outbox row as queuing writes it: set-based (COPY on PostgreSQL), as the ORM would, defaults included.
_MESSAGE_DEFAULTS: dict[str, Any] = {
    "status": MessageStatus.QUEUED.value,
    "attempts": 0,
    "lease_token": "",
    "gate_decision": "{}",
    "provider": "",
    "provider_id": "",
    "provider_status": "",
    "last_error": "",
    "document": "",
}
_MESSAGE_COLUMNS = (
    "idempotency_key", "case_id", "debtor_id", "contact_point_id", "channel", "purpose", "language",
    "template_version_id", "recipient", "subject", "body", "html", "content_hash", "variables", "batch", "due_at",
    "created_at", *_MESSAGE_DEFAULTS,
)  # fmt: skip


def _existing_keys(keys: list[str]) -> set[str]:
    return set(Message.objects.filter(idempotency_key__in=one_of(keys)).values_list("idempotency_key", flat=True))


def _recipient(
    request: Request,
    points: dict[tuple[int, str], tuple[int, str]],
    explicit: dict[int, tuple[str, int]],
    name: str,
    address: str,
) -> tuple[int | None, str]:
    if request.contact_point_id and request.contact_point_id in explicit:
        value, owner = explicit[request.contact_point_id]
        if owner == request.debtor_id:
            return request.contact_point_id, value
    for kind in _POINT_KIND.get(request.channel, ()):
        found = points.get((request.debtor_id, kind))
        if found:
            return found
    if request.channel == CommChannel.LETTER and address:
        # The debtor's registered address when no postal contact point was recorded.
        return None, address
    return None, ""


def queue_message(request: Request, today: date | None = None) -> Message | None:
    queue_messages([request], today)
    return Message.objects.filter(idempotency_key=request.idempotency_key).first()


# Strategy work items → outbox ------------------------------------------------------------------------------------


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


def work_item_requests(items: Iterable[WorkItemLike], run_id: int | str) -> list[Request]:
    """The queuing requests of the items that are messages or letters (see ``enqueue_for_work_items``)."""
    from huikuan.cases.models import Case

    chosen = [item for item in items if item.action in _ACTION_CHANNEL]
    debtors = dict(Case.objects.filter(id__in=one_of({i.case_id for i in chosen})).values_list("id", "debtor_id"))
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
}


def consume_pending_messages(limit: int = 5000, channel: str = CommChannel.SMS) -> QueueReport:
    """Turn payments' PendingMessage rows into outbox messages; both sides change in one transaction.

    The pending row's cause becomes the idempotency key, so a crash between the two halves cannot happen
    (one transaction) and a replay cannot queue twice (unique key).
    """
    from huikuan.payments.models import Payment, PendingMessage

    report = QueueReport()
    with transaction.atomic():
        pending = list(
            PendingMessage.objects.select_for_update(skip_locked=True)
            .filter(consumed_at__isnull=True)
            .order_by("id")[:limit]
        )
        if not pending:
            return report
        payment_ids = [int(p.cause.split(":")[1]) for p in pending if p.cause.startswith("payment:")]
        payments = {p.id: p for p in Payment.objects.filter(id__in=payment_ids).only("id", "amount", "paid_on")}
        languages = _languages({p.debtor_id for p in pending})
        requests = []
        for item in pending:
            extra: list[tuple[str, str]] = []
            if item.cause.startswith("payment:"):
                payment = payments.get(int(item.cause.split(":")[1]))
                if payment is not None:
                    from huikuan.kernel.comms.variables import format_date
                    from huikuan.kernel.money import format_yuan

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
        PendingMessage.objects.filter(id__in=[p.id for p in pending]).update(consumed_at=timezone.now())
    return report


# Opt-outs and receipts -------------------------------------------------------------------------------------------


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
    """Cancel what is still queued for these (closed) cases, except receipts, confirmations and pre-due reminders."""
    return (
        Message.objects.filter(case_id__in=list(case_ids), status=MessageStatus.QUEUED)
        .exclude(purpose__in=NOT_CASE_COLLECTION_PURPOSES)
        .update(status=MessageStatus.CANCELLED, last_error="case closed")
    )


@dataclass(frozen=True, slots=True)
class InboundResult:
    opted_out: bool
    debtor_ids: tuple[int, ...]


def record_inbound_sms(sender: str, text: str) -> InboundResult:
    """An SMS reply: 退订/TD/STOP from a debtor's own number stops SMS for that debtor."""
    from huikuan.portfolio.models import ContactPoint, Relation

    if not is_opt_out_reply(text):
        return InboundResult(False, ())
    number = sender if sender.startswith("+") else f"+86{sender}" if len(sender) == 11 else sender
    debtor_ids = tuple(
        ContactPoint.objects.filter(value=number, kind="mobile", relation=Relation.SELF)
        .values_list("debtor_id", flat=True)
        .distinct()
    )
    for debtor_id in debtor_ids:
        record_opt_out(debtor_id, CommChannel.SMS, OptOutSource.SMS_REPLY, f"{number}: {text}")
    return InboundResult(bool(debtor_ids), debtor_ids)


_FINAL_STATUSES = {"delivered": MessageStatus.DELIVERED, "undelivered": MessageStatus.UNDELIVERED,
                   "failed": MessageStatus.UNDELIVERED, "rejected": MessageStatus.UNDELIVERED}  # fmt: skip


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
                message.delivered_at = timezone.now()
        message.save(update_fields=["provider_status", "status", "delivered_at"])
    return message


def load_default_templates_file() -> list[dict[str, Any]]:
    return list(yaml.safe_load(DEFAULTS_FILE.read_text(encoding="utf-8")))
