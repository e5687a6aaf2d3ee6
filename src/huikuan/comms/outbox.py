"""Queuing messages into the outbox, each request in the caller's transaction.

Queuing writes the outbox row in the caller's transaction (``transaction.atomic`` joins it), so a message
exists exactly when its cause does: a rolled-back payment leaves no confirmation behind.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection, transaction

from huikuan import clock
from huikuan.cases.models import Case
from huikuan.comms.bulk_compose import BulkComposer, OptOutLinks
from huikuan.comms.compose import compose
from huikuan.comms.facts import facts_for_debtors
from huikuan.comms.models import (
    CommChannel,
    Message,
    MessageStatus,
    TemplateVersion,
    Tone,
)
from huikuan.comms.signals import links_wanted
from huikuan.comms.templates import active_version
from huikuan.compliance.validation import disclosure_rule, time_bar_disclosures
from huikuan.db.bulkread import bulk_reads, one_of
from huikuan.db.bulkwrite import insert_rows
from huikuan.kernel.comms import purposes
from huikuan.kernel.comms.render import placeholders
from huikuan.kernel.comms.variables import MessageFacts, format_date, values_for
from huikuan.kernel.compliance.validation import disclosure_for
from huikuan.portfolio.models import ContactPoint, Debtor, Relation, Validity

DEADLINE_DAYS = 15  # a demand letter's deadline: long enough to pay or to answer a dispute
LINK = "self_service_link"
BULK_BATCH = 1000  # from this many requests, queuing reads with the settings for whole-book queries


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


def default_points(debtor_ids: set[int]) -> dict[tuple[int, str], tuple[int, str]]:
    """The debtor's own usable point per channel: valid before unverified, then the oldest."""

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

    return dict(Case.objects.filter(debtor_id__in=one_of(debtor_ids)).values_list("debtor_id", "id"))


def debtor_languages(debtor_ids: set[int]) -> dict[int, tuple[str, str, str]]:

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
        self.links: dict[str, str] = {}
        self.today = today or clock.today()
        self.now = clock.now()
        if not requests:
            return
        # A night's batch groups and joins over a hundred thousand debtors; a single message needs no tuning.
        with bulk_reads() if len(requests) >= BULK_BATCH else nullcontext():
            self._read(requests)

    def _read(self, requests: Sequence[Request]) -> None:

        self.existing = _existing_keys([r.idempotency_key for r in requests])
        # Only what is not queued yet needs facts: a same-day re-run of the strategy reads nothing more.
        fresh = [r for r in requests if r.idempotency_key not in self.existing]
        debtor_ids = {r.debtor_id for r in fresh}
        self.facts = facts_for_debtors(debtor_ids, self.today)
        self.points = default_points(debtor_ids)
        self.explicit = {
            p[0]: (p[1], p[2])
            for p in ContactPoint.objects.filter(
                id__in=one_of({r.contact_point_id for r in fresh if r.contact_point_id})
            ).values_list("id", "value", "debtor_id")
        }
        self.cases = _cases_of(debtor_ids)
        self.disclosures = _time_bar_disclosures(fresh, self.cases, self.now)
        self.debtors = debtor_languages(debtor_ids)
        keys = {(r.channel, r.purpose, r.tone, self.debtors.get(r.debtor_id, ("zh-hans", "", ""))[0]) for r in fresh}
        self.versions: dict[tuple[str, str, str, str], TemplateVersion | None] = {
            key: active_version(*key) for key in keys
        }
        self.links = self._links(fresh)

    def _links(self, fresh: list[Request]) -> dict[str, str]:
        """Self-service links for the messages whose template asks for one and whose cause gave none."""
        wanting = [
            r
            for r in fresh
            if LINK not in dict(r.extra)
            and (version := self.versions.get(self._key(r))) is not None
            and LINK in placeholders(version.subject + version.body)
        ]
        links: dict[str, str] = {}
        for _receiver, answer in links_wanted.send(sender=QueueBatch, requests=wanting) if wanting else ():
            links.update(answer if isinstance(answer, dict) else {})
        return links

    def _key(self, r: Request) -> tuple[str, str, str, str]:
        return (r.channel, r.purpose, r.tone, self.debtors.get(r.debtor_id, ("zh-hans", "", ""))[0])

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
            point_id, recipient = recipient_for(request, self.points, self.explicit, name, address)
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
            if request.idempotency_key in self.links:
                values[LINK] = self.links[request.idempotency_key]
            values.update(dict(request.extra))
            if request.channel == CommChannel.LETTER:
                values["recipient_name"] = name
                values["recipient_address"] = recipient
            if composer.missing(values):
                # A reminder reading "{{promise_amount}}" must never leave: count it, queue nothing.
                report.missing_values += 1
                continue
            disclosure = self._disclosure(request, version.template.language)
            composed = (None if disclosure else composer.compose_one(values, request.idempotency_key)) or compose(
                request.channel,
                version.template.language,
                version.subject,
                # The statement the debtor's state requires on a time-barred debt closes the text, so the
                # gate's us.time_barred_disclosure finds it whatever the template says.
                f"{version.body.rstrip()}\n\n{disclosure}" if disclosure else version.body,
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

    def _disclosure(self, request: Request, language: str) -> str:
        """The time-barred disclosure this message must carry, or "" (a service message or an unwritten channel
        owes none: the rule's channels say which)."""
        case_id = request.case_id or self.cases.get(request.debtor_id)
        wordings = self.disclosures.wordings.get(case_id or 0)
        if not wordings or request.channel not in self.disclosures.channels or purposes.is_service(request.purpose):
            return ""
        return disclosure_for(wordings, language)

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


@dataclass(frozen=True, slots=True)
class _Disclosures:
    wordings: dict[int, Mapping[str, str]]  # case id -> language -> wording
    channels: frozenset[str] = frozenset()


def _time_bar_disclosures(requests: Sequence[Request], cases_of: dict[int, int], now: datetime) -> _Disclosures:
    """The disclosures owed by the cases of these requests; no query unless the pack in force has the rule."""
    rule = disclosure_rule()
    if rule is None or not requests:
        return _Disclosures({})
    case_ids = {case_id for r in requests if (case_id := r.case_id or cases_of.get(r.debtor_id))}
    cases = Case.objects.filter(pk__in=one_of(case_ids)).only("id", "debtor_id")
    return _Disclosures(dict(time_bar_disclosures(cases, now)), frozenset(rule.params["channels"]))


def _existing_keys(keys: list[str]) -> set[str]:
    return set(Message.objects.filter(idempotency_key__in=one_of(keys)).values_list("idempotency_key", flat=True))


def recipient_for(
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
