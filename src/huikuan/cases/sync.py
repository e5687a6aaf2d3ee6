"""Keeping cases in step with the ledger: one case per debtor with delinquent accounts.

Called after bulk writes (import, generator) and after each posted entry. Works in chunks with a
handful of statements per chunk, never one query per debtor; the ids go to the database as one array
parameter and the cases come back as plain tuples, since building a model instance per case cost more
than the queries at import sizes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from django.db import connection
from django.db.models import Min
from django.utils import timezone

from huikuan.audit.models import ChangeLog
from huikuan.cases.models import Case, CaseStatus
from huikuan.cases.signals import cases_closed
from huikuan.db.bulkread import one_of
from huikuan.db.bulkwrite import insert_rows, update_rows
from huikuan.portfolio.models import Account

_CHUNK = 20000


@dataclass(frozen=True)
class Assignment:
    team_id: int | None = None
    assignee_id: int | None = None


@dataclass(slots=True)
class _CaseState:
    """The columns of a case that syncing reads and may change."""

    pk: int | None
    debtor_id: int
    status: str
    oldest_due_date: date | None
    team_id: int | None
    assignee_id: int | None
    closed_at: datetime | None = None
    close_reason: str = ""
    cured_episodes: int = 0


@dataclass
class SyncCounts:
    created: int = 0
    updated: int = 0
    closed: int = 0


def refresh_cases(
    debtor_ids: Iterable[int],
    as_of: date,
    assignments: Mapping[int, Assignment] | None = None,
) -> SyncCounts:
    counts = SyncCounts()
    ids = sorted(set(debtor_ids))
    assignments = assignments or {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        owing = dict(
            Account.objects.filter(debtor_id__in=one_of(chunk), balance__total__gt=0)
            .values("debtor_id")
            .annotate(oldest=Min("due_date"))
            .values_list("debtor_id", "oldest")
        )
        existing = {
            row[1]: _CaseState(*row)
            for row in Case.objects.filter(debtor_id__in=one_of(chunk)).values_list(
                "id",
                "debtor_id",
                "status",
                "oldest_due_date",
                "team_id",
                "assignee_id",
                "closed_at",
                "close_reason",
                "cured_episodes",
            )
        }
        existing_status = {c.pk: c.status for c in existing.values()}
        existing_owner = {c.pk: (c.team_id, c.assignee_id) for c in existing.values()}
        to_create: list[_CaseState] = []
        to_update: list[_CaseState] = []
        for debtor_id in chunk:
            oldest = owing.get(debtor_id)
            case = existing.get(debtor_id)
            wanted = assignments.get(debtor_id, Assignment())
            if case is None:
                if oldest is not None and oldest < as_of:
                    to_create.append(
                        _CaseState(None, debtor_id, CaseStatus.OPEN.value, oldest, wanted.team_id, wanted.assignee_id)
                    )
                continue
            changed = _apply(case, oldest, as_of, wanted)
            if changed == "closed":
                counts.closed += 1
            if changed:
                to_update.append(case)
        now = timezone.now()
        insert_rows(
            Case._meta.db_table,
            [
                "debtor_id",
                "status",
                "hold_reason",
                "oldest_due_date",
                "team_id",
                "assignee_id",
                "opened_at",
                "close_reason",
            ],
            [
                (
                    c.debtor_id,
                    CaseStatus.OPEN.value,
                    "",
                    c.oldest_due_date.isoformat() if c.oldest_due_date else None,
                    c.team_id,
                    c.assignee_id,
                    now,
                    "",
                )
                for c in to_create
            ],
            conflict=["debtor_id"],
        )
        counts.created += len(to_create)
        _audit_status_changes(to_update, existing_status)
        _audit_assignments(to_update, existing_owner)
        update_rows(
            Case._meta.db_table,
            ["oldest_due_date", "status", "closed_at", "close_reason", "team_id", "assignee_id", "cured_episodes"],
            [
                (
                    c.pk,
                    connection.ops.adapt_datefield_value(c.oldest_due_date),
                    c.status,
                    connection.ops.adapt_datetimefield_value(c.closed_at),
                    c.close_reason,
                    c.team_id,
                    c.assignee_id,
                    c.cured_episodes,
                )
                for c in to_update
            ],
        )
        counts.updated += len(to_update)
        _cancel_collection_messages(
            [c.pk for c in to_update if c.status == CaseStatus.CLOSED and existing_status.get(c.pk) != c.status]
        )
    return counts


def _cancel_collection_messages(closed_case_ids: list[int | None]) -> None:
    """A closed case's queued reminders carry an amount no longer owed: the apps that queued them hear of it.

    Comms cancels them as an opt-out does (receipts and the thank-you still go; the gate refuses anything
    else at claim time, so this only keeps the outbox honest about what will never be sent).
    """
    ids = [pk for pk in closed_case_ids if pk is not None]
    if ids:
        cases_closed.send(sender=Case, case_ids=ids)


def _apply(case: _CaseState, oldest: date | None, as_of: date, wanted: Assignment) -> str:
    changed = ""
    if case.oldest_due_date != oldest:
        case.oldest_due_date = oldest
        changed = "updated"
    if wanted.team_id is not None and case.team_id != wanted.team_id:
        case.team_id = wanted.team_id
        changed = "updated"
    if wanted.assignee_id is not None and case.assignee_id != wanted.assignee_id:
        case.assignee_id = wanted.assignee_id
        changed = "updated"
    if oldest is None and case.status in (CaseStatus.OPEN, CaseStatus.ON_HOLD):
        case.status = CaseStatus.CLOSED
        case.closed_at = timezone.now()
        case.close_reason = "balance_paid"
        return "closed"
    if oldest is not None and oldest < as_of and case.status == CaseStatus.CLOSED:
        # New delinquency on a debtor whose earlier file was closed: the same case reopens. Money owed from a
        # due date after the close is a new delinquency, so the earlier one was paid off; a due date from
        # before it is the old debt come back (a reversed payment), the same delinquency going on.
        if case.closed_at is not None and oldest >= timezone.localdate(case.closed_at):
            case.cured_episodes += 1
        case.status = CaseStatus.OPEN
        case.closed_at = None
        case.close_reason = ""
        changed = "updated"
    return changed


def _audit_assignments(cases: list[_CaseState], before: Mapping[int | None, tuple[int | None, int | None]]) -> None:
    """A case handed to another team or collector by an imported file is a change to the case: logged as done by
    the system, like the ledger's closes and reopens."""
    ChangeLog.objects.bulk_create(
        [
            ChangeLog(
                user=None,
                subject_type=Case._meta.label_lower,
                subject_id=str(c.pk),
                action="sync:assign",
                before={"team_id": before[c.pk][0], "assignee_id": before[c.pk][1]},
                after={"team_id": c.team_id, "assignee_id": c.assignee_id},
            )
            for c in cases
            if before.get(c.pk) != (c.team_id, c.assignee_id)
        ]
    )


def _audit_status_changes(cases: list[_CaseState], before: Mapping[int | None, str]) -> None:
    """A case closed or reopened by the ledger is a change to the case: logged as done by the system."""
    ChangeLog.objects.bulk_create(
        [
            ChangeLog(
                user=None,
                subject_type=Case._meta.label_lower,
                subject_id=str(c.pk),
                action="sync:close" if c.status == CaseStatus.CLOSED else "sync:reopen",
                before={"status": before[c.pk]},
                after={"status": c.status, "close_reason": c.close_reason},
            )
            for c in cases
            if before.get(c.pk) != c.status
        ]
    )
