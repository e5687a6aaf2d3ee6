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
_CLAIM_FIELDS = ("id", "case_id", "debtor_id", "contact_point_id", "channel", "purpose", "language",
                 "idempotency_key", "recipient", "subject", "body", "html", "status", "attempts", "lease_until",
                 "due_at", "sent_at", "provider", "provider_id", "provider_status", "gate_decision",
                 "last_error")  # fmt: skip


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

    def send_all(self, messages: list[Message]) -> list[SendResult | Exception]:
        if not messages:
            return []
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=max(1, settings.COMMS_SEND_THREADS))
        return list(self._pool.map(lambda m: _send_one(self.get(m.channel), m), messages))

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


def claim(batch_size: int, now: datetime, providers: Providers) -> tuple[str, list[Message], int]:
    """Lease up to ``batch_size`` due messages; returns (token, claimed rows, expired leases marked uncertain)."""
    token = secrets.token_hex(16)
    lease_until = now + timedelta(seconds=settings.COMMS_LEASE_SECONDS)
    uncertain: list[int] = []
    with transaction.atomic():
        due = (
            Message.objects.select_for_update(skip_locked=True)
            .filter(
                Q(status=MessageStatus.QUEUED, due_at__lte=now) | Q(status=MessageStatus.SENDING, lease_until__lt=now)
            )
            .filter(channel__in=SENDABLE)
            .order_by("due_at", "id")
            .only(*_CLAIM_FIELDS)[:batch_size]
        )
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
        if rows:
            Message.objects.filter(id__in=one_of([m.id for m in rows])).update(
                status=MessageStatus.SENDING, lease_token=token, lease_until=lease_until
            )
    return token, rows, len(uncertain)


def _send_one(provider: Provider, message: Message) -> SendResult | Exception:
    outgoing = Outgoing(
        key=message.idempotency_key,
        recipient=message.recipient,
        subject=message.subject,
        body=message.body,
        html=message.html,
        language=message.language,
    )
    try:
        return provider.send(outgoing)
    except (TemporaryFailure, PermanentFailure) as exc:
        return exc
    except Exception as exc:
        return TemporaryFailure(f"{type(exc).__name__}: {exc}")


_RECORD_FIELDS = ("status", "due_at", "attempts", "sent_at", "provider", "provider_id", "provider_status",
                  "gate_decision", "last_error")  # fmt: skip


def _record(token: str, updates: list[tuple[Message, dict[str, Any]]], interactions: list[Any]) -> None:
    """Write the outcomes of a batch, only for rows whose lease is still ours.

    A message whose lease expired and was taken over is left to the newer worker. On PostgreSQL one UPDATE
    over the batch's outcomes as arrays (``_record_pg``); elsewhere the rows still carrying our token are
    locked first (one SELECT … FOR UPDATE) and the updates go as one executemany. Per-row ORM updates or
    bulk_update's CASE expressions were the dispatcher's bottleneck.
    """
    if not updates:
        return
    with transaction.atomic():
        ours = _record_pg(token, updates) if connection.vendor == "postgresql" else _record_rows(token, updates)
        kept = [i.row for i in interactions if i.message_id in ours]
        if kept:
            Interaction.objects.bulk_create(kept, batch_size=500)


def _record_rows(token: str, updates: list[tuple[Message, dict[str, Any]]]) -> set[int]:
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


def _record_pg(token: str, updates: list[tuple[Message, dict[str, Any]]]) -> set[int]:
    """The batch's outcomes in one statement, bound as one JSON document (``jsonb_to_recordset``).

    The UPDATE's own condition keeps the lease check: PostgreSQL locks each row and re-reads its token
    before writing it (READ COMMITTED), so a row taken over since is skipped, as a SELECT … FOR UPDATE would.
    The ids written come back for the interactions. One ``json.dumps`` of the batch replaces preparing and
    binding nine parameters per row.
    """
    rows = []
    for message, values in updates:
        row: dict[str, Any] = {"id": message.id}
        for name in _RECORD_FIELDS:
            value = values.get(name, getattr(message, name))
            row[name] = value.isoformat() if isinstance(value, datetime) else value
        rows.append(row)
    table = connection.ops.quote_name(Message._meta.db_table)
    assignments = ", ".join(f"{name} = v.{name}" for name in _RECORD_FIELDS)
    record = ", ".join(f"{name} {kind}" for name, kind in zip(_RECORD_FIELDS, _RECORD_TYPES, strict=True))
    sql = (
        f"UPDATE {table} AS m SET {assignments}, lease_token = '', lease_until = NULL"
        f" FROM jsonb_to_recordset(%s::jsonb) AS v(id bigint, {record})"
        " WHERE m.id = v.id AND m.lease_token = %s RETURNING m.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [json.dumps(rows), token])
        return {row[0] for row in cursor.fetchall()}


@dataclass(frozen=True, slots=True)
class _Evidence:
    message_id: int
    row: Any


def dispatch_batch(providers: Providers, now: datetime | None = None, batch_size: int | None = None) -> DispatchReport:

    report = DispatchReport(batches=1)
    now = now or clock.now()
    token, rows, report.uncertain = claim(batch_size or settings.COMMS_BATCH_SIZE, now, providers)
    if not rows:
        return report
    decisions = gate_messages(gate_inputs(rows), now)
    updates: list[tuple[Message, dict[str, Any]]] = []
    to_send: list[Message] = []
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
                evidence.append(
                    _Evidence(
                        message.id,
                        Interaction(case_id=message.case_id, contact_point_id=message.contact_point_id,
                                    channel=message.channel, party=Party.NOBODY, outcome=Outcome.SENT,
                                    notes=f"{message.purpose} #{message.id}", at=sent_at),
                    )
                )  # fmt: skip
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
