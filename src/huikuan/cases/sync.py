"""Keeping cases in step with the ledger: one case per debtor with delinquent accounts.

Called after bulk writes (import, generator) and after each posted entry. What happens to a case (opens,
closes when paid, reopens, counts a cured delinquency) is ``kernel.lifecycle``'s; this module reads the
facts it needs and writes what it decides. Works in chunks with a handful of statements per chunk, never
one query per debtor; the ids go to the database as one array parameter and the cases come back as plain
tuples, since building a model instance per case cost more than the queries at import sizes.

"Today" is the debtor's. A caller acting for one debtor passes that debtor's day; the import, which writes
debtors of any zone at once, passes the instant, and each debtor's day is taken in their own zone. The zone
is read only for the few debtors whose answer depends on it: those whose oldest owing due date lies
between the earliest and the latest day the instant falls on anywhere, and those whose closed case
reopens (the day of the close decides whether the delinquency is a new one).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from django.db import connection
from django.db.models import Min

from huikuan import clock
from huikuan.audit.models import ChangeLog
from huikuan.cases.models import Case, CaseStatus
from huikuan.cases.signals import cases_closed
from huikuan.db.bulkread import one_of
from huikuan.db.bulkwrite import insert_rows, update_rows
from huikuan.kernel import lifecycle
from huikuan.kernel.localtime import possible_days
from huikuan.portfolio.models import Account, Debtor, debtor_today

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
    as_of: date | datetime,
    assignments: Mapping[int, Assignment] | None = None,
    *,
    user_id: int | None = None,
) -> SyncCounts:
    """Open, update, close and reopen the debtors' cases from their balances; ``as_of`` is the debtors' today
    (a day for all of them, or an instant read in each debtor's zone); ``user_id`` is who caused the change
    (an import's user), written on the change log's rows, None for the system."""
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
        today, zone_of = _debtor_days(as_of, owing, existing)
        to_create: list[_CaseState] = []
        to_update: list[_CaseState] = []
        for debtor_id in chunk:
            oldest = owing.get(debtor_id)
            case = existing.get(debtor_id)
            wanted = assignments.get(debtor_id, Assignment())
            if case is None:
                if lifecycle.opens_case(oldest, today(debtor_id)):
                    to_create.append(
                        _CaseState(None, debtor_id, CaseStatus.OPEN.value, oldest, wanted.team_id, wanted.assignee_id)
                    )
                continue
            changed = _apply(case, oldest, today(debtor_id), wanted, zone_of)
            if changed == "closed":
                counts.closed += 1
            if changed:
                to_update.append(case)
        now = clock.now()
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
        _audit_status_changes(to_update, existing_status, user_id)
        _audit_assignments(to_update, existing_owner, user_id)
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
            [c.pk for c in to_update if lifecycle.newly_closed(existing_status.get(c.pk), c.status)]
        )
    return counts


def _debtor_days(
    as_of: date | datetime, owing: Mapping[int, date], cases: Mapping[int, _CaseState]
) -> tuple[Callable[[int], date], Callable[[int], str]]:
    """Each debtor's today, and their zone, read in one query for the debtors whose answer depends on it."""
    reopening = {d for d, c in cases.items() if c.status == CaseStatus.CLOSED and d in owing}
    unsure: set[int] = set()
    if isinstance(as_of, datetime):
        earliest, latest = possible_days(as_of)
        unsure = {d for d, oldest in owing.items() if earliest <= oldest < latest}
    wanted = sorted(reopening | unsure)
    zones: dict[int, str] = (
        dict(Debtor.objects.filter(id__in=one_of(wanted)).values_list("id", "time_zone")) if wanted else {}
    )

    def zone_of(debtor_id: int) -> str:
        return zones.get(debtor_id, "")

    if not isinstance(as_of, datetime):
        day = as_of
        return (lambda _debtor_id: day), zone_of
    at = as_of
    # Outside the unsure dates every zone gives the same answer, so the default zone's day serves.
    default_day = debtor_today(None, at)
    return (lambda debtor_id: debtor_today(zones[debtor_id], at) if debtor_id in unsure else default_day), zone_of


def _cancel_collection_messages(closed_case_ids: list[int | None]) -> None:
    """A closed case's queued reminders carry an amount no longer owed: the apps that queued them hear of it.

    Comms cancels them as an opt-out does (receipts and the thank-you still go; the gate refuses anything
    else at claim time, so this only keeps the outbox honest about what will never be sent).
    """
    ids = [pk for pk in closed_case_ids if pk is not None]
    if ids:
        cases_closed.send(sender=Case, case_ids=ids)


def _apply(
    case: _CaseState, oldest: date | None, today: date, wanted: Assignment, zone_of: Callable[[int], str]
) -> str:
    changed = ""
    if case.oldest_due_date != oldest:
        case.oldest_due_date = oldest
        changed = "updated"
    if wanted.team_id is not None and case.team_id != wanted.team_id:
        case.team_id = wanted.team_id
        # A collector works their own team's cases: one handed to another team without a collector
        # named waits for that team's lead to assign it.
        case.assignee_id = None
        changed = "updated"
    if wanted.assignee_id is not None and case.assignee_id != wanted.assignee_id:
        case.assignee_id = wanted.assignee_id
        changed = "updated"
    step = lifecycle.next_change(case.status, oldest, today)
    if step is lifecycle.Change.CLOSE:
        case.status = CaseStatus.CLOSED
        case.closed_at = clock.now()
        case.close_reason = lifecycle.PAID_OFF
        return "closed"
    if step is lifecycle.Change.REOPEN:
        assert oldest is not None
        # The day of the close is the debtor's, as the due dates are.
        closed_on = debtor_today(zone_of(case.debtor_id), case.closed_at) if case.closed_at else None
        if lifecycle.cures(oldest, closed_on):
            case.cured_episodes += 1
        case.status = CaseStatus.OPEN
        case.closed_at = None
        case.close_reason = ""
        changed = "updated"
    return changed


def _audit_assignments(
    cases: list[_CaseState], before: Mapping[int | None, tuple[int | None, int | None]], user_id: int | None
) -> None:
    """A case handed to another team or collector by an imported file is a change to the case: logged with
    the importing user."""
    ChangeLog.objects.bulk_create(
        [
            ChangeLog(
                user_id=user_id,
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


def _audit_status_changes(cases: list[_CaseState], before: Mapping[int | None, str], user_id: int | None) -> None:
    """A case closed or reopened by the ledger is a change to the case: logged with who moved the ledger
    (an import's user), or as done by the system."""
    ChangeLog.objects.bulk_create(
        [
            ChangeLog(
                user_id=user_id,
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
