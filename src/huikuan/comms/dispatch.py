"""The outbox dispatcher: claim due messages under a lease, ask the gate again, send, record.

Claim and record are short transactions; the provider call happens between them, outside any transaction,
so a slow gateway never holds row locks. A claim writes ``status=sending`` with a random lease token and an
expiry. Recording checks that the token is still ours: a worker that comes back after its lease was taken
over cannot overwrite the newer result. A lease that expired (the worker died mid-send) is recovered by the
next claim: resent under the same idempotency key when the provider de-duplicates, else marked uncertain.

On PostgreSQL the claim is SELECT … FOR UPDATE SKIP LOCKED, so any number of workers claim disjoint batches
without waiting on each other; SQLite has one writer at a time (IMMEDIATE transactions), which gives the same
exclusion.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q

from huikuan import clock
from huikuan.cases.models import Interaction, Outcome, Party
from huikuan.comms.channels.base import Outgoing, PermanentFailure, Provider, SendResult, TemporaryFailure
from huikuan.comms.channels.email.provider import EmailProvider
from huikuan.comms.channels.sms.providers import sms_provider
from huikuan.comms.compliance_adapter import decision_record, gate_inputs, gate_messages
from huikuan.comms.models import CommChannel, Message, MessageStatus
from huikuan.db.bulkread import one_of
from huikuan.kernel.comms.delivery import Recovery, next_try, recover_expired_lease

SENDABLE = (CommChannel.SMS, CommChannel.EMAIL)


@dataclass(slots=True)
class Claimed:
    """A claimed message: the columns the dispatcher reads and writes back, as plain values.

    Not a ``Message``: building a 22-field model instance per row was a fifth of the claim's cost, and nothing
    here uses the model's behaviour. The names are the model's, so the gate's reader and the record take either.
    """

    id: int
    case_id: int | None
    debtor_id: int
    contact_point_id: int | None
    channel: str
    purpose: str
    language: str
    idempotency_key: str
    recipient: str
    subject: str
    body: str
    html: str
    status: str
    attempts: int
    lease_until: datetime | None
    due_at: datetime
    sent_at: datetime | None
    provider: str
    provider_id: str
    provider_status: str
    gate_decision: Any
    last_error: str


_CLAIM_FIELDS = Claimed.__dataclass_fields__.keys()


@dataclass
class DispatchReport:
    sent: int = 0
    rescheduled: int = 0
    blocked: int = 0
    retrying: int = 0
    failed: int = 0
    uncertain: int = 0
    batches: int = 0

    def add(self, other: DispatchReport) -> None:
        for name in ("sent", "rescheduled", "blocked", "retrying", "failed", "uncertain", "batches"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in ("sent", "rescheduled", "blocked", "retrying", "failed", "uncertain")}


@dataclass
class Providers:
    """The adapters for this run and the threads that call them, built once per dispatch and closed at its end.

    The sending threads outlive a batch so that each keeps its provider connection (HTTP keep-alive, SMTP
    session) from one batch to the next instead of reconnecting every batch.
    """

    factories: Mapping[str, Callable[[], Provider]] = field(default_factory=dict)
    _built: dict[str, Provider] = field(default_factory=dict)
    _pool: ThreadPoolExecutor | None = None

    def get(self, channel: str) -> Provider:
        if channel not in self._built:
            self._built[channel] = self.factories[channel]() if channel in self.factories else _default(channel)
        return self._built[channel]

    def send_all(self, messages: list[Claimed]) -> list[SendResult | Exception]:
        """Each message's outcome, in order. A provider that pipelines (``send_many``, ``pipeline`` > 1) gets
        its messages in runs of ``pipeline``, one run per thread; the others get one message per call."""
        if not messages:
            return []
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=max(1, settings.COMMS_SEND_THREADS))
        runs: list[tuple[Provider, list[int]]] = []
        by_channel: dict[str, list[int]] = {}
        for index, message in enumerate(messages):
            by_channel.setdefault(message.channel, []).append(index)
        for channel, indexes in by_channel.items():
            provider = self.get(channel)
            size = getattr(provider, "pipeline", 1) if hasattr(provider, "send_many") else 1
            runs.extend((provider, indexes[i : i + size]) for i in range(0, len(indexes), size))
        results: list[SendResult | Exception | None] = [None] * len(messages)
        for (_, indexes), outcomes in zip(
            runs, self._pool.map(lambda run: _send_run(run[0], [messages[i] for i in run[1]]), runs), strict=True
        ):
            for index, outcome in zip(indexes, outcomes, strict=True):
                results[index] = outcome
        return [r if r is not None else TemporaryFailure("not sent") for r in results]

    def stop_threads(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def close(self) -> None:
        self.stop_threads()
        for provider in self._built.values():
            provider.close()
        self._built.clear()


def _default(channel: str) -> Provider:
    if channel == CommChannel.SMS:
        return sms_provider()
    if channel == CommChannel.EMAIL:
        return EmailProvider()
    raise ValueError(f"no sending provider for channel {channel!r}")


def claim(batch_size: int, now: datetime, providers: Providers) -> tuple[str, list[Claimed], int]:
    """Lease up to ``batch_size`` due messages; returns (token, claimed rows, expired leases marked uncertain)."""
    token = secrets.token_hex(16)
    lease_until = now + timedelta(seconds=settings.COMMS_LEASE_SECONDS)
    uncertain: list[int] = []
    with transaction.atomic():
        if connection.vendor == "postgresql":
            due = _lease_pg(batch_size, now, token, lease_until)
        else:
            due = _lease_rows(batch_size, now)
        rows = []
        for message in due:
            if message.status == MessageStatus.SENDING:
                dedupe = providers.get(message.channel).deduplicates
                if recover_expired_lease(dedupe) is Recovery.UNCERTAIN:
                    uncertain.append(message.id)
                    continue
            rows.append(message)
        if uncertain:
            Message.objects.filter(id__in=uncertain).update(
                status=MessageStatus.UNCERTAIN,
                lease_token="",
                lease_until=None,
                last_error="worker lost mid-send; the provider cannot de-duplicate, so it is not resent",
            )
        if rows and connection.vendor != "postgresql":
            Message.objects.filter(id__in=one_of([m.id for m in rows])).update(
                status=MessageStatus.SENDING, lease_token=token, lease_until=lease_until
            )
    return token, rows, len(uncertain)


def _lease_rows(batch_size: int, now: datetime) -> list[Claimed]:
    """The due rows, locked (SQLite: the IMMEDIATE transaction is the lock); the caller writes the lease."""
    due = (
        Message.objects.select_for_update(skip_locked=True)
        .filter(Q(status=MessageStatus.QUEUED, due_at__lte=now) | Q(status=MessageStatus.SENDING, lease_until__lt=now))
        .filter(channel__in=SENDABLE)
        .order_by("due_at", "id")
        .values_list(*_CLAIM_FIELDS)[:batch_size]
    )
    return [Claimed(*values) for values in due]


def _lease_pg(batch_size: int, now: datetime, token: str, lease_until: datetime) -> list[Claimed]:
    """Lock the due rows (SKIP LOCKED), lease them and read them back, in one statement.

    Every row comes back leased to us, with the status it had before (``status``): an expired lease of a provider
    that cannot de-duplicate is then marked uncertain by the caller, in the same transaction. The separate SELECT
    and UPDATE by the ids it read cost a round trip and an index lookup per row more.
    """
    table = connection.ops.quote_name(Message._meta.db_table)
    columns = ", ".join("due.status" if name == "status" else f"m.{name}" for name in _CLAIM_FIELDS)
    sql = (
        f"WITH due AS (SELECT id, status FROM {table}"
        " WHERE ((status = %s AND due_at <= %s) OR (status = %s AND lease_until < %s)) AND channel = ANY(%s)"
        " ORDER BY due_at, id LIMIT %s FOR UPDATE SKIP LOCKED)"
        f" UPDATE {table} AS m SET status = %s, lease_token = %s, lease_until = %s FROM due WHERE m.id = due.id"
        f" RETURNING {columns}"
    )
    queued, sending = MessageStatus.QUEUED.value, MessageStatus.SENDING.value
    params: list[Any] = [
        queued,
        now,
        sending,
        now,
        [c.value for c in SENDABLE],
        batch_size,
        sending,
        token,
        lease_until,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = [Claimed(*values) for values in cursor.fetchall()]
    for row in rows:
        # Django's connection reads jsonb as text and leaves the decoding to the field: a raw cursor gets the text.
        if row.gate_decision is not None:
            row.gate_decision = json.loads(row.gate_decision)
    rows.sort(key=lambda row: (row.due_at, row.id))  # RETURNING keeps no order
    return rows


def _outgoing(message: Claimed) -> Outgoing:
    return Outgoing(
        key=message.idempotency_key,
        recipient=message.recipient,
        subject=message.subject,
        body=message.body,
        html=message.html,
        language=message.language,
    )


def _send_run(provider: Provider, messages: list[Claimed]) -> list[SendResult | Exception]:
    """One thread's share: a run the provider pipelines, or a single message."""
    send_many = getattr(provider, "send_many", None)
    if send_many is None:
        return [_send_one(provider, message) for message in messages]
    try:
        outcomes: list[SendResult | Exception] = send_many([_outgoing(m) for m in messages])
    except Exception as exc:
        return [TemporaryFailure(f"{type(exc).__name__}: {exc}")] * len(messages)
    return outcomes


def _send_one(provider: Provider, message: Claimed) -> SendResult | Exception:
    try:
        return provider.send(_outgoing(message))
    except (TemporaryFailure, PermanentFailure) as exc:
        return exc
    except Exception as exc:
        return TemporaryFailure(f"{type(exc).__name__}: {exc}")


_RECORD_FIELDS = ("status", "due_at", "attempts", "sent_at", "provider", "provider_id", "provider_status",
                  "gate_decision", "last_error")  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Evidence:
    """The interaction a sent message leaves on its case ("sent", nobody reached), written with the outcomes."""

    message_id: int
    case_id: int
    contact_point_id: int | None
    channel: str
    notes: str
    at: datetime


def _record(token: str, updates: list[tuple[Claimed, dict[str, Any]]], evidence: list[_Evidence]) -> None:
    """Write the outcomes of a batch, only for rows whose lease is still ours, and the sent ones' interactions.

    A message whose lease expired and was taken over is left to the newer worker, and so is its interaction. On
    PostgreSQL one statement does both (``_record_pg``); elsewhere the rows still carrying our token are locked
    first (one SELECT … FOR UPDATE), the updates go as one executemany and the interactions as a bulk_create.
    Per-row ORM updates or bulk_update's CASE expressions were the dispatcher's bottleneck.
    """
    if not updates:
        return
    with transaction.atomic():
        if connection.vendor == "postgresql":
            _record_pg(token, updates, evidence)
            return
        ours = _record_rows(token, updates)
        kept = [
            Interaction(case_id=e.case_id, contact_point_id=e.contact_point_id, channel=e.channel,
                        party=Party.NOBODY, outcome=Outcome.SENT, notes=e.notes, at=e.at)
            for e in evidence
            if e.message_id in ours
        ]  # fmt: skip
        if kept:
            Interaction.objects.bulk_create(kept, batch_size=500)


def _record_rows(token: str, updates: list[tuple[Claimed, dict[str, Any]]]) -> set[int]:
    table = connection.ops.quote_name(Message._meta.db_table)
    assignments = ", ".join(f"{connection.ops.quote_name(f)} = %s" for f in _RECORD_FIELDS)
    sql = f"UPDATE {table} SET {assignments}, lease_token = '', lease_until = NULL WHERE id = %s"
    by_field = {f.name: f for f in Message._meta.fields}
    ours = set(
        Message.objects.select_for_update()
        .filter(id__in=[m.id for m, _ in updates], lease_token=token)
        .values_list("id", flat=True)
    )
    params = []
    for message, values in updates:
        if message.id not in ours:
            continue
        row = []
        for name in _RECORD_FIELDS:
            value = values.get(name, getattr(message, name))
            row.append(by_field[name].get_db_prep_save(value, connection))
        params.append((*row, message.id))
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
    return ours


# The outcome columns' types in the batch's JSON rows that ``_record_pg`` reads, in _RECORD_FIELDS order.
_RECORD_TYPES = ("text", "timestamptz", "integer", "timestamptz", "text", "text", "text", "jsonb", "text")


def _record_pg(token: str, updates: list[tuple[Claimed, dict[str, Any]]], evidence: list[_Evidence]) -> set[int]:
    """The batch's outcomes and interactions in one statement, bound as two JSON documents (``jsonb_to_recordset``).

    The UPDATE's own condition keeps the lease check: PostgreSQL locks each row and re-reads its token
    before writing it (READ COMMITTED), so a row taken over since is skipped, as a SELECT … FOR UPDATE would.
    The interactions are inserted from the UPDATE's RETURNING, so only messages written by us leave one, in
    the batch's order (``WITH ORDINALITY``), as bulk_create numbered them. One ``json.dumps`` of the batch
    replaces preparing and binding nine parameters per row, and Interaction instances and their INSERT's
    thousands of parameters are not built at all.
    """
    rows = []
    for message, values in updates:
        row: dict[str, Any] = {"id": message.id}
        for name in _RECORD_FIELDS:
            value = values.get(name, getattr(message, name))
            row[name] = value.isoformat() if isinstance(value, datetime) else value
        rows.append(row)
    sent = [
        {"message_id": e.message_id, "case_id": e.case_id, "contact_point_id": e.contact_point_id,
         "channel": e.channel, "notes": e.notes, "at": e.at.isoformat()}
        for e in evidence
    ]  # fmt: skip
    table = connection.ops.quote_name(Message._meta.db_table)
    interactions = connection.ops.quote_name(Interaction._meta.db_table)
    assignments = ", ".join(f"{name} = v.{name}" for name in _RECORD_FIELDS)
    record = ", ".join(f"{name} {kind}" for name, kind in zip(_RECORD_FIELDS, _RECORD_TYPES, strict=True))
    sql = (
        f"WITH written AS (UPDATE {table} AS m SET {assignments}, lease_token = '', lease_until = NULL"
        f" FROM jsonb_to_recordset(%s::jsonb) AS v(id bigint, {record})"
        " WHERE m.id = v.id AND m.lease_token = %s RETURNING m.id),"
        f" evidence AS (INSERT INTO {interactions} (case_id, contact_point_id, channel, party, outcome, notes, at)"
        " SELECT e.case_id, e.contact_point_id, e.channel, %s, %s, e.notes, e.at"
        " FROM jsonb_array_elements(%s::jsonb) WITH ORDINALITY AS j(value, n)"
        " CROSS JOIN LATERAL jsonb_to_record(j.value)"
        " AS e(message_id bigint, case_id bigint, contact_point_id bigint, channel text, notes text, at timestamptz)"
        " JOIN written ON written.id = e.message_id ORDER BY j.n)"
        " SELECT id FROM written"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [json.dumps(rows), token, Party.NOBODY.value, Outcome.SENT.value, json.dumps(sent)])
        return {row[0] for row in cursor.fetchall()}


def dispatch_batch(providers: Providers, now: datetime | None = None, batch_size: int | None = None) -> DispatchReport:

    report = DispatchReport(batches=1)
    now = now or clock.now()
    token, rows, report.uncertain = claim(batch_size or settings.COMMS_BATCH_SIZE, now, providers)
    if not rows:
        return report
    decisions = gate_messages(gate_inputs(rows), now)
    updates: list[tuple[Claimed, dict[str, Any]]] = []
    to_send: list[Claimed] = []
    for message in rows:
        decision = decisions[message.id]
        record = decision_record(decision, now)
        if decision.allowed:
            message.gate_decision = record
            to_send.append(message)
        elif decision.next_allowed_at is not None:
            report.rescheduled += 1
            updates.append((message, {"status": MessageStatus.QUEUED, "due_at": decision.next_allowed_at,
                                      "gate_decision": record}))  # fmt: skip
        else:
            report.blocked += 1
            updates.append((message, {"status": MessageStatus.BLOCKED, "gate_decision": record}))
    results = providers.send_all(to_send)
    sent_at = clock.now()
    evidence = []
    for message, result in zip(to_send, results, strict=True):
        attempt = message.attempts + 1
        provider_name = providers.get(message.channel).name
        if isinstance(result, SendResult):
            report.sent += 1
            updates.append((message, {"status": MessageStatus.SENT, "attempts": attempt, "sent_at": sent_at,
                                      "provider": provider_name, "provider_id": result.provider_id,
                                      "provider_status": result.status, "gate_decision": message.gate_decision,
                                      "last_error": ""}))  # fmt: skip
            if message.case_id:
                evidence.append(_Evidence(message.id, message.case_id, message.contact_point_id, message.channel,
                                          f"{message.purpose} #{message.id}", sent_at))  # fmt: skip
            continue
        retry_at = next_try(now, attempt, settings.COMMS_MAX_ATTEMPTS, base_seconds=settings.COMMS_RETRY_BASE_SECONDS)
        if isinstance(result, TemporaryFailure) and retry_at is not None:
            report.retrying += 1
            updates.append((message, {"status": MessageStatus.QUEUED, "attempts": attempt, "due_at": retry_at,
                                      "provider": provider_name, "last_error": str(result)[:500],
                                      "gate_decision": message.gate_decision}))  # fmt: skip
        else:
            report.failed += 1
            updates.append((message, {"status": MessageStatus.FAILED, "attempts": attempt,
                                      "provider": provider_name, "last_error": str(result)[:500],
                                      "gate_decision": message.gate_decision}))  # fmt: skip
    _record(token, updates, evidence)
    return report


def dispatch_due(
    *,
    now: datetime | None = None,
    max_batches: int | None = None,
    batch_size: int | None = None,
    providers: Providers | None = None,
) -> DispatchReport:
    """Send everything due, batch after batch, until nothing is due (or ``max_batches`` ran)."""
    own = providers is None
    providers = providers or Providers()
    total = DispatchReport()
    try:
        while max_batches is None or total.batches < max_batches:
            report = dispatch_batch(providers, now, batch_size)
            total.add(report)
            if sum(report.as_dict().values()) == 0:
                break
    finally:
        if own:
            providers.close()
        else:
            providers.stop_threads()
    return total
