"""The nightly settlement: promise states from the payments, and where each agreed plan stands.

Both are recomputed from facts (promises, schedules, payments still posted) so a reversed payment
simply stops counting and the states fall back; the actions call the same functions for one case
right after a payment or a reversal, the nightly job calls them for everything still open.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import polars as pl
from django.db import connection, transaction
from django.utils import timezone

from huikuan import clock
from huikuan.audit.models import ChangeLog
from huikuan.audit.records import change_record
from huikuan.cases.models import Case, Promise, PromiseState
from huikuan.db.bulkread import read_frame
from huikuan.db.bulkwrite import update_rows
from huikuan.kernel.localtime import local_days, with_local_day
from huikuan.kernel.plans import Instalment as KernelInstalment
from huikuan.kernel.plans.tracking import PlanPayment, PlanProgress, track_plan
from huikuan.kernel.promises import settle_promises_frame
from huikuan.payments.models import (
    TRACKED_PLAN_STATUSES,
    Instalment,
    InstalmentStatus,
    MessageKind,
    Payment,
    PaymentStatus,
    PendingMessage,
    PlanStatus,
    RepaymentPlan,
)
from huikuan.payments.policy import PaymentsPolicy, current_policy
from huikuan.portfolio.models import Debtor, default_time_zone


@dataclass
class SettleCounts:
    promises: int = 0
    changed: int = 0
    by_state: dict[str, int] = field(default_factory=dict)
    plans: int = 0
    plans_changed: int = 0


def _case_clause(case_ids: Iterable[int] | None, column: str) -> tuple[str, list[Any]]:
    if case_ids is None:
        return "", []
    ids = sorted(set(case_ids))
    if not ids:
        return " AND 1 = 0", []
    return f" AND {column} IN ({','.join(['%s'] * len(ids))})", list(ids)


def promise_frame(as_of: date, case_ids: Iterable[int] | None, horizon: date) -> pl.DataFrame:
    """Promises still open, or settled but young enough that late news may change them, with their debtor's zone.

    For named cases every promise is read: a reversal may reopen one settled long ago.
    """
    ids = None if case_ids is None else sorted(set(case_ids))
    where, params = _case_clause(ids, "p.case_id")
    scope = "1 = 1" if ids is not None else "(p.state = %s OR p.due_date >= %s)"
    scope_params: list[Any] = [] if ids is not None else [PromiseState.PENDING.value, horizon]
    # The day a promise was made is the debtor's day, as record_promise checked the due date against it:
    # in the server's zone, a New York debtor's promise made on the evening of 1 March for 1 March was
    # made "on 2 March", and the payment of 1 March fell before it. The SQL and Polars forms of
    # kernel.localtime.local_day (a test holds both to it); a debtor with no zone lives in the setting's.
    zone = "COALESCE(NULLIF(d.time_zone, ''), %s)"
    source = (
        f"{Promise._meta.db_table} p JOIN {Case._meta.db_table} c ON c.id = p.case_id "
        f"JOIN {Debtor._meta.db_table} d ON d.id = c.debtor_id"
    )
    columns = {
        "promise_id": pl.Int64,
        "key": pl.Int64,
        "amount": pl.Int64,
        "due_date": pl.Date,
        "created_on": pl.Date,
        "old_state": pl.String,
        "old_paid": pl.Int64,
    }
    select = "p.id, p.case_id, p.amount, p.due_date, {made}, p.state, p.paid_amount"
    if connection.vendor == "postgresql":
        return read_frame(
            f"SELECT {select.format(made=f'(p.created_at AT TIME ZONE {zone})::date')}, {zone} FROM {source} "
            f"WHERE {scope}{where}",
            [default_time_zone(), default_time_zone(), *scope_params, *params],
            {**columns, "zone": pl.String},
        )
    # SQLite keeps UTC text and knows no time zones: the local day is taken in Polars, zone by zone.
    frame = read_frame(
        f"SELECT {select.format(made='substr(p.created_at, 1, 19)')}, {zone} FROM {source} WHERE {scope}{where}",
        [default_time_zone(), *scope_params, *params],
        {**columns, "created_on": pl.String, "zone": pl.String},
    )
    if frame.is_empty():
        return frame.cast({"created_on": pl.Date})
    made = frame.with_columns(pl.col("created_on").str.to_datetime("%Y-%m-%d %H:%M:%S", time_zone="UTC"))
    return with_local_day(made, "created_on", "zone", "created_on", default_time_zone())


def payment_frame(case_ids: Iterable[int] | None, since: date) -> pl.DataFrame:
    """Posted (not reversed) payments by case, amounts in fen."""
    where, params = _case_clause(case_ids, "case_id")
    return read_frame(
        f"SELECT case_id, paid_on, amount FROM {Payment._meta.db_table} "
        f"WHERE status = %s AND case_id IS NOT NULL AND paid_on >= %s{where}",
        [PaymentStatus.POSTED.value, since, *params],
        {"key": pl.Int64, "paid_on": pl.Date, "amount": pl.Int64},
    )


def settle_promises(
    as_of: date,
    *,
    case_ids: Iterable[int] | None = None,
    policy: PaymentsPolicy | None = None,
    now: datetime | None = None,
) -> SettleCounts:
    """Settle promise states in bulk through the kernel's Polars rules; only changed rows are written.

    With ``now`` each promise is judged as of its debtor's day at that instant, as the actions judge it (they
    settle a case by the debtor's today): the night's run on the server's date would call a Los Angeles
    debtor's promise broken while it is still the last day of grace there, and the collector's next action on
    the case would turn it pending again. Without ``now`` every promise is judged as of ``as_of``.
    """
    policy = policy or current_policy()
    horizon = as_of - timedelta(days=policy.promise_grace_days + policy.resettle_days)
    counts = SettleCounts()
    with transaction.atomic():
        promises = promise_frame(as_of, case_ids, horizon)
        counts.promises = promises.height
        if promises.is_empty():
            return counts
        since = promises["created_on"].min()
        assert isinstance(since, date)
        keys = None if case_ids is None else promises["key"].unique().to_list()
        payments = payment_frame(keys, since)
        # Amounts stay integer fen end to end: exact, and what the columns hold.
        settled = pl.concat(
            [
                settle_promises_frame(group.drop("zone", "day"), payments, day, policy.promise_grace_days)
                for day, group in _by_day(promises, as_of, now)
            ]
        )
        changed = settled.join(promises.select("promise_id", "old_state", "old_paid"), on="promise_id").filter(
            (pl.col("state") != pl.col("old_state")) | (pl.col("paid") != pl.col("old_paid"))
        )
        counts.changed = update_rows(
            Promise._meta.db_table, ["state", "paid_amount"], changed.select("promise_id", "state", "paid").rows()
        )
        counts.by_state = dict(settled.group_by("state").len().iter_rows())
    return counts


def _by_day(promises: pl.DataFrame, as_of: date, now: datetime | None) -> list[tuple[date, pl.DataFrame]]:
    """The promises grouped by the day they are judged on: ``as_of``, or each debtor's day at ``now``."""
    if now is None:
        return [(as_of, promises.with_columns(pl.lit(as_of).alias("day")))]
    day_in = local_days(now, default_time_zone())
    zones = promises["zone"].unique().to_list()
    days = pl.DataFrame({"zone": zones, "day": [day_in(z) for z in zones]}, schema={"zone": pl.String, "day": pl.Date})
    with_day = promises.join(days, on="zone", how="left")
    return [(group["day"][0], group) for group in with_day.partition_by("day")]


def refresh_plans(
    as_of: date,
    *,
    case_ids: Iterable[int] | None = None,
    policy: PaymentsPolicy | None = None,
    now: datetime | None = None,
) -> SettleCounts:
    """Instalment and plan states of each case's current plan, from the payments since it was agreed.

    With ``now``, each plan is judged as of its debtor's day at that instant (see ``settle_promises``).
    """
    policy = policy or current_policy()
    counts = SettleCounts()
    plans_qs = RepaymentPlan.objects.filter(status__in=TRACKED_PLAN_STATUSES).order_by("case_id", "-created_at")
    if case_ids is not None:
        plans_qs = plans_qs.filter(case_id__in=sorted(set(case_ids)))
    with transaction.atomic():
        current: dict[int, RepaymentPlan] = {}
        for plan in plans_qs.select_for_update():
            current.setdefault(plan.case_id, plan)
        if not current:
            return counts
        plans = list(current.values())
        counts.plans = len(plans)
        schedule: dict[int, list[Instalment]] = defaultdict(list)
        for item in Instalment.objects.filter(plan__in=plans).order_by("plan_id", "n"):
            schedule[item.plan_id].append(item)
        since = min((p.accepted_on or as_of) for p in plans)
        paid: dict[int, list[PlanPayment]] = defaultdict(list)
        for case_id, paid_on, amount in Payment.objects.filter(
            case_id__in=list(current), status=PaymentStatus.POSTED, paid_on__gte=since
        ).values_list("case_id", "paid_on", "amount"):
            paid[case_id].append(PlanPayment(paid_on, amount))
        day_of = _debtor_days(list(current), as_of, now)
        changed_items: list[Instalment] = []
        changed_plans: list[RepaymentPlan] = []
        audit: list[ChangeLog] = []
        thanks: list[PendingMessage] = []
        debtor_of = dict(Case.objects.filter(pk__in=list(current)).values_list("pk", "debtor_id"))
        now = clock.now()
        for plan in plans:
            items = schedule[plan.pk]
            start = plan.accepted_on or as_of
            status = track_plan(
                [KernelInstalment(i.n, i.due_date, i.amount) for i in items],
                [p for p in paid[plan.case_id] if p.paid_on >= start],
                day_of(plan.case_id),
                grace_days=policy.instalment_grace_days,
                broken_after_days=policy.plan_broken_after_days,
            )
            for item, tracked in zip(items, status.instalments, strict=True):
                new = (tracked.state.value, tracked.paid, tracked.paid_on)
                if (item.status, item.paid_amount, item.paid_on) != new:
                    if paid_on_time(tracked.state.value, tracked.paid_on, item.due_date, item.status):
                        thanks.append(
                            PendingMessage(kind=MessageKind.INSTALMENT_THANKS, debtor_id=debtor_of[plan.case_id],
                                           cause=f"instalment:{item.pk}:on_time")
                        )  # fmt: skip
                    item.status, item.paid_amount, item.paid_on = new
                    changed_items.append(item)
            wanted = {
                PlanProgress.ACTIVE: PlanStatus.ACTIVE,
                PlanProgress.COMPLETED: PlanStatus.COMPLETED,
                PlanProgress.BROKEN: PlanStatus.BROKEN,
            }[status.progress]
            if plan.status != wanted:
                audit.append(change_record(None, plan, f"plan:{wanted}", {"status": plan.status}, {"status": wanted}))
                plan.status = wanted
                plan.status_changed_at = now
                changed_plans.append(plan)
        Instalment.objects.bulk_update(changed_items, ["status", "paid_amount", "paid_on"], batch_size=2000)
        RepaymentPlan.objects.bulk_update(changed_plans, ["status", "status_changed_at"], batch_size=2000)
        ChangeLog.objects.bulk_create(audit, batch_size=2000)
        # The cause names the instalment: a payment reversed and made again thanks nobody twice.
        PendingMessage.objects.bulk_create(thanks, batch_size=2000, ignore_conflicts=True)
        counts.plans_changed = len(changed_plans)
    return counts


def paid_on_time(state: str, paid_on: date | None, due: date, before: str) -> bool:
    """An instalment that has just become paid, on or before its due date: the debtor is thanked for it."""
    return state == InstalmentStatus.PAID and before != InstalmentStatus.PAID and paid_on is not None and paid_on <= due


def _debtor_days(case_ids: list[int], as_of: date, now: datetime | None) -> Callable[[int], date]:
    """The day each case is judged on: ``as_of``, or its debtor's day at ``now``."""
    if now is None:
        return lambda case_id: as_of
    day_in = local_days(now, default_time_zone())
    zones = dict(Case.objects.filter(pk__in=case_ids).values_list("pk", "debtor__time_zone"))
    return lambda case_id: day_in(zones.get(case_id))


def nightly_settlement(as_of: date | None = None, *, now: datetime | None = None) -> SettleCounts:
    """The nightly job: promises first, then plans; one policy for both.

    Without ``as_of`` (the scheduled run) each promise is judged by its debtor's day now, as every action
    judges it later that day; an operator's ``--as-of`` judges everything as of that day.
    """
    policy = current_policy()
    if as_of is None:
        now = now or clock.now()
        as_of = timezone.localdate(now)  # the installation's day at that instant
    counts = settle_promises(as_of, policy=policy, now=now)
    plans = refresh_plans(as_of, policy=policy, now=now)
    counts.plans, counts.plans_changed = plans.plans, plans.plans_changed
    return counts


def settle_cases(case_ids: Iterable[int], as_of: date, policy: PaymentsPolicy) -> None:
    """The same settlement for a few cases right after their money moved."""
    ids = sorted(set(case_ids))
    # Chunked so a statement touching fifty thousand cases stays within SQLite's parameter limit.
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        settle_promises(as_of, case_ids=chunk, policy=policy)
        refresh_plans(as_of, case_ids=chunk, policy=policy)
