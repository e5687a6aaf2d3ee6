"""Care campaigns (关怀): greetings before traditional festivals, planned by the nightly run, sent by the outbox.

The policy's ``care`` campaigns name festivals and segments; the kernel (``kernel.festivals``) says which
festival's greeting goes out today (the working day on or before N days ahead of it, in the installation's
official calendar). The segments are read set-based: debtors with a plan in force, the cases the run has
just classified as sincere payers, and cases closed within the campaign's days. Debtors who asked to stop
the campaign's medium are left out here, and the gate asks again at send time (quiet hours, holidays).
The message is the outbox's ``holiday_greeting`` template, whose versions the screener keeps free of
collection content (``kernel.comms.care``). Birthdays need a date of birth on file, which the portfolio does
not keep yet: a campaign listing ``birthday`` greets no one on it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import F, QuerySet

from huikuan.cases.models import Case, CaseStatus
from huikuan.comms.models import Purpose, Tone
from huikuan.comms.outbox import Request, queue_messages
from huikuan.compliance.models import StopRequest
from huikuan.db.chunks import chunked
from huikuan.kernel.festivals import festivals_sent_on
from huikuan.kernel.holidays import Calendar
from huikuan.kernel.strategy.policy import CareCampaign, Policy
from huikuan.payments.models import PlanStatus, RepaymentPlan
from huikuan.strategy.snapshot import Shard

STAGE = "care"
# Greetings go out mid-morning, debtor-local: the gate moves anything that would land in quiet hours.
SEND_AT = time(10, 0)


@dataclass(frozen=True, slots=True)
class CareItem:
    campaign: CareCampaign
    festival: str
    festival_day: date
    debtor_id: int

    @property
    def idempotency_key(self) -> str:
        # One greeting per debtor, campaign and festival: a re-run, or two segments naming the debtor, send once.
        return f"care:{self.campaign.key}:{self.festival}:{self.festival_day.isoformat()}:{self.debtor_id}"


@dataclass
class CarePlan:
    items: list[CareItem] = field(default_factory=list)

    @property
    def counts(self) -> Counter[str]:
        return Counter(f"{STAGE}|{item.campaign.action}" for item in self.items)


def plan_care(
    as_of: date, policy: Policy, calendar: Calendar, sincere_case_ids: Iterable[int], shard: Shard | None = None
) -> CarePlan:
    """Today's care messages of this shard's cases' debtors."""
    plan = CarePlan()
    sincere = sorted(set(sincere_case_ids))
    for campaign in policy.care:
        due = festivals_sent_on(as_of, campaign.festivals, campaign.days_before, calendar, campaign.working_days_only)
        if not due:
            continue
        debtors = _segment_debtors(campaign, as_of, sincere, shard) - _opted_out(campaign.action)
        plan.items += [CareItem(campaign, key, day, d) for key, day in due for d in sorted(debtors)]
    return plan


def _in_shard(rows: QuerySet[Case], shard: Shard | None) -> QuerySet[Case]:
    # By case id, as the run's snapshot shards (snapshot.Shard.where("c.id")): the sincere payers handed in are
    # this shard's cases, and sharding the other segments by debtor instead dropped a sincere payer whose case
    # and debtor ids fell in different shards. A debtor with cases in two shards is greeted once all the same:
    # the greeting's key is per debtor and festival.
    if shard is None or shard.count == 1:
        return rows
    return rows.annotate(_shard=F("id") % shard.count).filter(_shard=shard.index)


def _segment_debtors(campaign: CareCampaign, as_of: date, sincere: list[int], shard: Shard | None) -> set[int]:
    debtors: set[int] = set()
    if "current_plans" in campaign.segments:
        with_plan = RepaymentPlan.objects.filter(status=PlanStatus.ACTIVE).values("case_id")
        debtors |= set(_in_shard(Case.objects.filter(pk__in=with_plan), shard).values_list("debtor_id", flat=True))
    if "sincere_payers" in campaign.segments:
        for chunk in chunked(sincere):
            debtors |= set(_in_shard(Case.objects.filter(pk__in=chunk), shard).values_list("debtor_id", flat=True))
    if "recently_closed" in campaign.segments:
        since = datetime.combine(
            as_of - timedelta(days=campaign.closed_within_days), time(0), ZoneInfo(settings.TIME_ZONE)
        )
        closed = Case.objects.filter(status=CaseStatus.CLOSED, closed_at__gte=since)
        debtors |= set(_in_shard(closed, shard).values_list("debtor_id", flat=True))
    return debtors


def _opted_out(channel: str) -> set[int]:
    return set(
        StopRequest.objects.filter(channel=channel, withdrawn_at__isnull=True).values_list("debtor_id", flat=True)
    )


def queue_care(plan: CarePlan, run_id: int, as_of: date) -> int:
    """Outbox rows for the plan, in the caller's transaction; a re-run queues nothing twice."""
    send_at = datetime.combine(as_of, SEND_AT, ZoneInfo(settings.TIME_ZONE))
    requests = [
        Request(
            item.idempotency_key,
            item.debtor_id,
            item.campaign.action,
            Purpose.HOLIDAY_GREETING,
            Tone.GENTLE,
            due_at=send_at,
            batch=f"run:{run_id}",
        )
        for item in plan.items
    ]
    return queue_messages(requests, as_of).queued
