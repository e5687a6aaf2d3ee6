"""Read models of the workbench: today's queue and the case page, each in a fixed number of queries.

The gate is asked here only to *show* when a contact may be made: these answers are previews and are not
written to the QA register (a page view is not a contact). The contact itself goes through
compliance.contacts.log_contact, which asks the gate again and records what it must.
"""

from __future__ import annotations

import heapq
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huikuan.cases.counts import cases_held
from huikuan.cases.models import Case, CaseStatus, Channel, Interaction, Outcome, Promise, PromiseState
from huikuan.cases.views_data import CaseView, load_case
from huikuan.comms.models import Purpose
from huikuan.compliance.facts import GateFacts, case_gate_facts, gate_facts, point_facts
from huikuan.compliance.labels import FLAG_CATEGORIES, FLAG_SEVERITIES
from huikuan.compliance.models import ContactDecision, TextFlag
from huikuan.compliance.pack import current_pack, training_rule
from huikuan.compliance.validation import region_disclosure, time_barred_case_ids
from huikuan.kernel.compliance import gate
from huikuan.kernel.compliance.picker import Number, Pick, callable_own, offer_order, pick_number, rank
from huikuan.kernel.compliance.validation import disclosure_for
from huikuan.kernel.delinquency import bucket, stage
from huikuan.kernel.money import MoneyError, parse_amount
from huikuan.kernel.names import honorific
from huikuan.kernel.plans import PlanOption, summary
from huikuan.kernel.scripts import (
    DEFAULT_TONES,
    Agreement,
    Library,
    ObjectionCard,
    Script,
    ScriptFacts,
    card,
    compose,
    values,
)
from huikuan.kernel.strategy.policy import parse_policy
from huikuan.kernel.strategy.queue import CALL, CONTACT_ACTIONS, LEGAL_REVIEW, SPECIALIST, VISIT
from huikuan.org.staff import closable_by, team_gaps
from huikuan.org.training import collector_of, last_trained_on_each
from huikuan.payments.guards import ActionError
from huikuan.payments.models import (
    Instalment,
    InstalmentStatus,
    MessageKind,
    Payment,
    PendingMessage,
    PlanStatus,
    RepaymentPlan,
    WaiverRequest,
    WaiverStatus,
)
from huikuan.payments.plans import propose_options
from huikuan.portfolio.models import PHONE_KINDS, AccountBalance, ContactKind, ContactPoint, Relation
from huikuan.strategy.counts import queue_counts
from huikuan.strategy.models import PolicyVersion, WorkItem, WorkStatus
from huikuan.workbench.identity import IdentityState, identity_state
from huikuan.workbench.library import current_library
from huikuan.workbench.models import CallBack
from huikuan.workbench.signals import case_timeline_wanted

# The channel the gate is asked about for each kind of contact point.
CHANNEL_OF_KIND = {
    ContactKind.MOBILE: gate.Channel.CALL,
    ContactKind.HOME: gate.Channel.CALL,
    ContactKind.WORK: gate.Channel.CALL,
    ContactKind.EMAIL: gate.Channel.EMAIL,
    ContactKind.POSTAL: gate.Channel.LETTER,
}
# A visit goes out in a party of two (the China pack's cn.visit_collectors); the visit form names the second.
VISIT_PARTY = 2
# One screen of work: a collector takes the next case from the top; "next case" always sees the best one.
QUEUE_LIMIT = 50


# ----------------------------------------------------------------------------------------- gate previews


def preview(
    case: Case,
    point: ContactPoint | None,
    channel: str,
    facts: GateFacts,
    at: datetime,
    collector: gate.Collector | None = None,
    *,
    collectors: int = 1,
) -> gate.Decision:
    """The gate's answer for a contact at ``at`` (not logged), made by ``collector`` (org.training.collector_of)
    in a party of ``collectors`` (a visit's)."""
    target = point_facts(point) if point is not None else gate.ContactPoint(id="", kind=gate.PointKind.POSTAL)
    return gate.check_contact(
        facts.history.get(case.pk, []),
        case_gate_facts(case, facts),
        target,
        gate.Outreach(gate.Channel(channel), collector=collector, collectors=collectors),
        at,
        current_pack(),
    )


def first_own_phone(points: list[ContactPoint]) -> ContactPoint | None:
    """The debtor's own number that the contact order puts first (the one the script names by its tail);
    an invalid or do-not-contact one when the debtor has no other, since the account is still named by it."""
    by_id = {p.pk: p for p in points}
    best = pick_number([_unasked(p) for p in points if p.kind in PHONE_KINDS]).best
    if best is not None:
        return by_id[best.id]
    own = [p for p in points if p.relation == Relation.SELF and p.kind in PHONE_KINDS]
    return min(own, key=lambda p: rank(_unasked(p))) if own else None


def reason_text(decision: gate.Decision, lang: str) -> str:
    return gate.reasons_in(((r.text_zh, r.text_en) for r in decision.reasons), lang)


# ------------------------------------------------------------------------------------------------ queue


@dataclass(frozen=True)
class Workable:
    """Whether an item can be closed now and, when not, when and why."""

    now: bool
    next_at: datetime | None = None
    reason: str = ""


def item_workable(
    case: Case, item: WorkItem, facts: GateFacts, now: datetime, lang: str, collector: gate.Collector | None = None
) -> Workable:
    """A hand-over or a legal review can be closed at any time; a call needs a number the gate allows now
    (the picker's choice, or the third party the run planned for an unreachable debtor); a visit needs the
    gate's yes for a visit."""
    if item.action not in CONTACT_ACTIONS:
        return Workable(True)
    points = facts.points.get(case.debtor_id, [])
    if item.action == VISIT:
        postal = next((p for p in points if p.pk == item.contact_point_id), None)
        # Asked for two: the visit form (fieldwork) names the second collector, and the gate is asked with
        # both when the visit is recorded.
        decision = preview(case, postal, gate.Channel.VISIT, facts, now, collector, collectors=VISIT_PARTY)
        return Workable(decision.allowed, decision.next_allowed_at, reason_text(decision, lang))
    # The gate is asked number by number in the picker's order and only until one is allowed: a queue of
    # fifty rows asks it about fifty times when the best numbers are callable, as it did before the picker.
    ranked = callable_own([_unasked(p) for p in points if p.kind in PHONE_KINDS])
    by_id = {p.pk: p for p in points}
    candidates = [by_id[n.id] for n in ranked]
    planned = by_id.get(item.contact_point_id) if item.contact_point_id is not None else None
    if planned is not None and planned.kind in PHONE_KINDS and planned not in candidates:
        candidates.append(planned)
    if not candidates:
        return Workable(False, None, _("No number of the debtor may be called."))
    refusals = []
    for point in candidates:
        decision = preview(case, point, gate.Channel.CALL, facts, now, collector)
        if decision.allowed:
            return Workable(True)
        refusals.append(decision)
    times = [d.next_allowed_at for d in refusals if d.next_allowed_at is not None]
    return Workable(False, min(times) if times else None, reason_text(refusals[0], lang))


def _unasked(point: ContactPoint) -> Number:
    """A number as the picker ranks it, before the gate is asked about it."""
    own = point.relation == Relation.SELF
    return Number(point.pk, point.kind, own, point.validity, point.do_not_contact, True)


@dataclass
class QueueRow:
    """One case of the user's queue with every item of the day they hold on it."""

    case: Case
    items: list[WorkItem]
    name: str
    dpd: int
    bucket: str
    stage: str
    amount: Decimal
    allowed: bool
    next_at: datetime | None
    gate_reason: str
    # Items here the user cannot close (dealt before the routing rule, or the user's role changed since).
    foreign: list[WorkItem] = field(default_factory=list)

    @property
    def priority(self) -> int:
        return max(i.priority for i in self.items)

    @property
    def actions(self) -> list[str]:
        return [i.action for i in self.items]

    @property
    def behaviour(self) -> str:
        return self.items[0].behaviour

    def reasons(self, lang: str) -> str:
        return "；".join(i.reason_en if lang.startswith("en") else i.reason for i in self.items)

    @property
    def reason(self) -> str:
        return self.reasons("zh")

    @property
    def reason_en(self) -> str:
        return self.reasons("en")


@dataclass
class QueueFilters:
    stage: str = ""
    action: str = ""
    behaviour: str = ""
    callable_now: bool = False


def queue_items(user: Any, day: date) -> Any:
    return WorkItem.objects.filter(as_of=day, assignee=user, status=WorkStatus.PENDING)


def top_cases(items: Any, limit: int) -> list[int]:
    """The first ``limit`` cases of these items by their best priority (ties by case id).

    Read down the queue index (assignee, day, status, priority, case) in priority order: a case's first item
    there carries its best priority, so the cases in order of first appearance are the cases in order of
    their best priority, and only the top of the index is read. Grouping every item by case first read
    the whole queue, 80,000 items for the busiest collector at a million cases (half a second).
    """
    found: dict[int, None] = {}
    page = limit * 4  # a case has one to three items a day
    offset = 0
    ordered = items.order_by("-priority", "case_id").values_list("case_id", flat=True)
    while len(found) < limit:
        chunk = list(ordered[offset : offset + page])
        for case_id in chunk:
            found.setdefault(case_id, None)
            if len(found) == limit:
                break
        if len(chunk) < page:
            break
        offset += page
    return list(found)


def _rows(
    user: Any, case_ids: list[int], day: date, now: datetime, lang: str, collector: gate.Collector | None = None
) -> list[QueueRow]:
    """The queue rows of these cases, in the order given: their items, gate answers and amounts."""
    items = list(
        queue_items(user, day)
        .filter(case_id__in=case_ids)
        .select_related("case__debtor")
        .order_by("-priority", "action")
    )
    by_case: dict[int, list[WorkItem]] = defaultdict(list)
    for item in items:
        by_case[item.case_id].append(item)
    cases = {i.case_id: i.case for i in items}
    owed = dict(
        AccountBalance.objects.filter(account__debtor_id__in=[c.debtor_id for c in cases.values()])
        .values("account__debtor_id")
        .annotate(total=Sum("total"))
        .values_list("account__debtor_id", "total")
    )
    facts = gate_facts(cases.values(), now)
    kinds = closable_by(user)
    collector = collector or collector_of(user)
    result = []
    for case_id in case_ids:
        if case_id not in by_case:
            continue
        case = cases[case_id]
        mine = [i for i in by_case[case_id] if i.action in kinds]
        foreign = [i for i in by_case[case_id] if i.action not in kinds]
        answers = [item_workable(case, i, facts, now, lang, collector) for i in mine]
        blocked = [a for a in answers if not a.now]
        times = [a.next_at for a in blocked if a.next_at is not None]
        dpd = case.dpd(day)
        debtor = case.debtor
        result.append(
            QueueRow(
                case=case,
                items=mine or foreign,
                name=honorific(debtor.name, debtor.gender, company=debtor.kind == "company", lang=lang),
                dpd=dpd,
                bucket=bucket(dpd).value,
                stage=(mine or foreign)[0].stage or case.stage(day).value,
                amount=owed.get(case.debtor_id) or Decimal("0.00"),
                allowed=any(a.now for a in answers),
                next_at=min(times) if times else None,
                gate_reason="；".join(dict.fromkeys(a.reason for a in blocked if a.reason)),
                foreign=foreign,
            )
        )
    return result


def _filtered(items: Any, filters: QueueFilters) -> Any:
    if filters.stage:
        items = items.filter(stage=filters.stage)
    if filters.action:
        items = items.filter(action=filters.action)
    if filters.behaviour:
        items = items.filter(behaviour=filters.behaviour)
    return items


# Items read to count a queue's cases: counting every case of the busiest queue at a million cases (81,000
# items) took 65 ms of the page's 100; past this many items the page says "N+" cases.
QUEUE_COUNT_ITEMS = 3000


def queue_size(user: Any, day: date, filters: QueueFilters) -> tuple[int, bool]:
    """How many cases the filtered queue holds (the page shows the first ``QUEUE_LIMIT``), and whether there
    are more than that: the cases of the first ``QUEUE_COUNT_ITEMS`` items, read down the queue index."""
    items = _filtered(queue_items(user, day), filters).order_by("-priority", "case_id")
    case_ids = list(items.values_list("case_id", flat=True)[:QUEUE_COUNT_ITEMS])
    return len(set(case_ids)), len(case_ids) == QUEUE_COUNT_ITEMS


def load_queue(
    user: Any,
    day: date,
    filters: QueueFilters,
    now: datetime,
    lang: str = "zh",
    collector: gate.Collector | None = None,
) -> list[QueueRow]:
    """Today's cases of this user, one row each with its items, best item first, each with when it can be
    worked (the gate's next allowed time for contacts)."""
    items = _filtered(queue_items(user, day), filters)
    # The top of the queue by case first, then those cases' items: joining before the LIMIT made
    # PostgreSQL join every item of a busy queue (8,000 items: 100 ms).
    result = _rows(user, top_cases(items, QUEUE_LIMIT), day, now, lang, collector)
    if filters.callable_now:
        result = [r for r in result if r.allowed]
    return result


@dataclass(frozen=True)
class TrainingNotice:
    """Why a collector's live contacts are refused today: the pack's training rule, its reason and source."""

    rule_id: str
    reason: str
    source: str


def training_notice(
    user: Any, day: date, lang: str = "zh", collector: gate.Collector | None = None
) -> TrainingNotice | None:
    """The training rule's notice when it keeps this user off live contact today (cn.collector_training)."""
    collector = collector or collector_of(user)
    if collector is None or not collector.training_required:
        return None
    rule = training_rule()
    if rule is None or gate.training_current(collector.trained_on, day, rule.params["months"]):
        return None
    trained = collector.trained_on.isoformat() if collector.trained_on else "—"
    zh, en = rule.texts(trained_on=trained)
    return TrainingNotice(rule.id, en if lang.startswith("en") else zh, rule.source)


@dataclass(frozen=True)
class TrainingRow:
    """A collector on the team's training page: their last training and whether they may contact today."""

    person: Any
    last: date | None
    required: bool
    current: bool


def training_rows(people: list[Any], day: date) -> list[TrainingRow]:
    """The training page's rows, in one query for every person's last training."""
    rule = training_rule()
    last = last_trained_on_each([p.pk for p in people])
    rows = []
    for person in people:
        current = rule is None or gate.training_current(last.get(person.pk), day, rule.params["months"])
        required = bool(person.team and person.team.training_required)
        rows.append(TrainingRow(person, last.get(person.pk), required, current))
    return rows


def callbacks_due(user: Any, day_end: datetime) -> list[CallBack]:
    # The case's collector calls back, not whoever took the request: a call-back follows the case through a
    # reassignment (team lead, nightly run, import) without each of those having to move it.
    return list(
        CallBack.objects.filter(case__assignee=user, done=False, at__lt=day_end)
        .select_related("case__debtor")
        .order_by("at")
    )


def _day_stream(items: Any, page: int) -> Iterator[tuple[int, int]]:
    """(priority, case) of these items in the queue's order, best first, read down the queue index a page at
    a time from where the last page ended (a case's further items at the same priority add nothing)."""
    ordered = items.order_by("-priority", "case_id").values_list("priority", "case_id")
    last: tuple[int, int] | None = None
    while True:
        after = (
            ordered
            if last is None
            else ordered.filter(Q(priority__lt=last[0]) | Q(priority=last[0], case_id__gt=last[1]))
        )
        chunk = list(after[:page])
        yield from chunk
        if len(chunk) < page:
            return
        last = chunk[-1]


# Cases handed to the gate at once by "next case": the first one is usually workable, so a short first batch.
NEXT_BATCH = 10
NEXT_PAGE = 200


def next_case_id(user: Any, day: date, now: datetime, after: int | None = None) -> int | None:
    """The case to work next: the first case after ``after`` in the queue's order that has an item the user
    can close now, or None at the end of the queue.

    The order is the day's best priority of the items on each case that the user can close, done ones
    included, so a case
    keeps its place while its items are closed: each "next" moves strictly forward through the queue and a
    pass ends, whatever the user saves or skips (it used to offer the best case other than the current one,
    so two cases whose items the collector could not close took turns for ever). Cases whose only items the
    user cannot close (another role's kind) are never offered; contacts the gate refuses now are skipped.

    Read as a walk down the queue index: one stream per status (pending, done, cancelled), each in the index's
    order, merged; a case's first item in the merged stream carries its best priority, so the cases come in
    the queue's order and only the head of the queue is read. Grouping the collector's whole day first took
    0.3–1 s for the busiest queue at a million cases.
    """
    kinds = closable_by(user)
    mine = WorkItem.objects.filter(as_of=day, assignee=user, action__in=kinds)
    start: int | None = None
    if after is not None:
        start = mine.filter(case_id=after).aggregate(top=Max("priority"))["top"]
    streams = []
    for status in WorkStatus.values:
        items = mine.filter(status=status)
        if start is not None:
            items = items.filter(Q(priority__lt=start) | Q(priority=start, case_id__gt=after))
        streams.append(_day_stream(items, NEXT_PAGE))
    seen: set[int] = {after} if after is not None else set()
    batch: list[tuple[int, int]] = []
    for priority, case_id in heapq.merge(*streams, key=lambda row: (-row[0], row[1])):
        if case_id in seen:
            continue
        seen.add(case_id)
        batch.append((priority, case_id))
        if len(batch) == NEXT_BATCH:
            if (found := _first_workable(user, mine, batch, day, now, start is not None)) is not None:
                return found
            batch = []
    return _first_workable(user, mine, batch, day, now, start is not None) if batch else None


def _first_workable(
    user: Any, mine: Any, batch: list[tuple[int, int]], day: date, now: datetime, resumed: bool
) -> int | None:
    """The first case of the batch (in its order) with an item the user can close now. After a resumed walk,
    a case whose best item lies before where the walk began is not in this part of the queue: left out."""
    case_ids = [case_id for _priority, case_id in batch]
    if resumed:
        tops = dict(
            mine.filter(case_id__in=case_ids)
            .values("case_id")
            .annotate(top=Max("priority"))
            .values_list("case_id", "top")
        )
        case_ids = [case_id for priority, case_id in batch if tops.get(case_id) == priority]
    for row in _rows(user, case_ids, day, now, "zh"):
        if row.allowed:
            return row.case.pk
    return None


def has_open_items(user: Any, case: Case, day: date) -> bool:
    """Whether the user still holds an item of the day on this case that they can close."""
    return queue_items(user, day).filter(case_id=case.pk, action__in=closable_by(user)).exists()


def queue_left(user: Any, day: date) -> int:
    """How many cases still have items of the day for this user (the end-of-pass message counts them)."""
    return queue_items(user, day).values("case_id").distinct().count()


# ------------------------------------------------------------------------------------------- case page


@dataclass
class PointRow:
    point: ContactPoint
    channel: str
    allowed: bool
    next_at: datetime | None
    reason: str
    third_party: bool


@dataclass
class TimelineEntry:
    at: datetime
    kind: str
    title: str
    detail: str = ""
    flagged: bool = False


@dataclass
class Arrangement:
    """What the debtor has agreed and not yet finished: the newest of an accepted plan and an open promise."""

    kind: str  # "plan" or "promise"
    label: str
    amount: Decimal  # the promise's amount, or the plan's next instalment
    due: date | None
    summary: str
    status: str
    at: datetime


@dataclass
class CaseItem:
    """One of the case's work items of the day, with whether this user can close it here and now."""

    item: WorkItem
    mine: bool
    can_close: bool


@dataclass
class Workbench:
    view: CaseView
    name: str
    phone_tail: str
    risk_band: str
    behaviour: str
    promise: Promise | None
    promise_label: str
    items: list[WorkItem]
    points: list[PointRow]
    timeline: list[TimelineEntry]
    options: list[PlanOption]
    option_texts: list[tuple[str, str]]
    script: Script
    objections: list[ObjectionCard]
    plans: list[RepaymentPlan]
    open_flags: int
    library: Library
    # The earliest day a promise may fall on: the debtor's today, as record_promise checks it.
    debtor_today: date
    known: dict[str, str] = field(default_factory=dict)
    arrangement: Arrangement | None = None
    # The read-back of step 4 for each choice of step 3: "" (nothing agreed yet), "plan:<kind>".
    confirms: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    # The number picker: phones in the order offered, the preselected one, and why the best is refused.
    phones: list[tuple[ContactPoint, Number]] = field(default_factory=list)
    pick: Pick | None = None
    case_items: list[CaseItem] = field(default_factory=list)
    identity: IdentityState | None = None
    company: bool = False

    @property
    def refused_point(self) -> ContactPoint | None:
        refused = self.pick.refused if self.pick is not None else None
        return next((p for p, n in self.phones if refused is not None and n.id == refused.id), None)


@lru_cache(maxsize=8)
def _stage_tones(source: str) -> dict[str, str]:
    return {s.key: s.tone for s in parse_policy(source).stages}


def stage_tone(stage_key: str) -> str:
    """The tone the policy in force gives the stage (gentle/firm/legal); the kernel default otherwise."""
    source = PolicyVersion.objects.filter(in_force=True).values_list("source", flat=True).first()
    tones = _stage_tones(source) if source else {}
    tone = tones.get(stage_key) or DEFAULT_TONES.get(stage_key, "gentle")
    return tone if tone in ("gentle", "firm", "legal") else DEFAULT_TONES.get(stage_key, "gentle")


def _agent(user: Any) -> str:
    return str(user.get_full_name() or user.get_username()) if hasattr(user, "get_username") else ""


def script_facts(
    case: Case,
    user: Any,
    now: datetime,
    lang: str,
    view: CaseView | None = None,
    points: list[ContactPoint] | None = None,
    pending: Promise | None = None,
    time_barred: bool | None = None,
) -> tuple[ScriptFacts, list[PlanOption]]:
    """The facts the script is composed from, and the plan options of step 3 (``time_barred`` when the caller
    read the gate's facts already)."""
    debtor = case.debtor
    company = debtor.kind == "company"
    view = view if view is not None else load_case(case, timezone.localdate(now))
    if points is None:
        points = list(ContactPoint.objects.filter(debtor_id=debtor.pk))
    if pending is None:
        pending = Promise.objects.filter(case=case, state=PromiseState.PENDING).order_by("-created_at").first()
    own = first_own_phone(points)
    try:
        options = list(propose_options(user, case, now=now).options)
    except (ActionError, PermissionDenied):
        options = []
    facts = ScriptFacts(
        name=honorific(debtor.name, debtor.gender, company=company, lang=lang),
        agent=_agent(user),
        amount=view.totals.total,
        dpd=view.dpd,
        stage=view.stage,
        deadline=options[0].schedule[0].due_date if options else None,
        phone_tail=own.national[-4:] if own is not None else "",
        tone=stage_tone(view.stage),
        promise_amount=pending.amount if pending else None,
        promise_date=pending.due_date if pending else None,
        options=tuple(options),
        has_id=bool(debtor.id_last4),
        company=company,
        time_barred=time_barred if time_barred is not None else case.pk in time_barred_case_ids([case], now),
    )
    if facts.time_barred:
        wordings = region_disclosure(debtor.region)
        if wordings:
            facts = replace(facts, time_bar_disclosure=disclosure_for(wordings, lang))
    return facts, options


def confirm_lines(facts: ScriptFacts, library: Library, lang: str, agreed: Agreement | None) -> tuple[str, ...]:
    """Step 4 as it reads with ``agreed`` (None: nothing agreed yet)."""
    script = compose(replace(facts, agreed=agreed), library, lang)
    return next((step.lines for step in script.steps if step.key == "confirm"), ())


def promise_confirm(case: Case, user: Any, now: datetime, lang: str, amount: Decimal, due: date) -> tuple[str, ...]:
    """Step 4 for a promise the collector is typing: the amount and date exactly as the form holds them."""
    facts, _options = script_facts(case, user, now, lang)
    return confirm_lines(facts, current_library(), lang, Agreement(amount, due))


def typed_promise(amount_text: str, date_text: str) -> tuple[Decimal | None, date | None, str]:
    """The promise as the form holds it while being typed: amount, date and what is wrong with them."""
    amount: Decimal | None = None
    due: date | None = None
    problems = []
    if amount_text.strip():
        try:
            amount = parse_amount(amount_text.replace("，", ","))
        except MoneyError:
            problems.append(_("The amount is not a number."))
        if amount is not None and amount <= 0:
            amount = None
            problems.append(_("The amount must be more than zero."))
    if date_text.strip():
        try:
            due = date.fromisoformat(date_text.strip())
        except ValueError:
            problems.append(_("The date is not a date."))
    return amount, due, " ".join(problems)


def current_arrangement(case: Case, promises: list[Promise], plans: list[RepaymentPlan]) -> Arrangement | None:
    """The newest of the accepted or active plan and the open promise: what the debtor is now bound to."""
    found: list[Arrangement] = []
    pending = next((p for p in promises if p.state == PromiseState.PENDING), None)
    if pending is not None:
        found.append(
            Arrangement("promise", str(_("Promise to pay")), pending.amount, pending.due_date, "",
                        pending.get_state_display(), pending.created_at)
        )  # fmt: skip
    # The plan in force binds; one waiting for its waiver is shown only while nothing is in force
    # (a rejected waiver leaves the earlier plan as it was: payments/arrangement.py).
    plan = next((p for p in plans if p.status == PlanStatus.ACTIVE), None) or next(
        (p for p in plans if p.status == PlanStatus.ACCEPTED), None
    )
    if plan is not None:
        upcoming = (
            Instalment.objects.filter(plan=plan)
            .exclude(status=InstalmentStatus.PAID)
            .order_by("n")
            .values_list("amount", "paid_amount", "due_date")
            .first()
        )
        amount, due = (upcoming[0] - upcoming[1], upcoming[2]) if upcoming else (plan.total, None)
        found.append(
            Arrangement("plan", plan.get_kind_display(), amount, due, plan.summary, plan.get_status_display(),
                        plan.created_at)
        )  # fmt: skip
    return max(found, key=lambda a: a.at) if found else None


def load_workbench(case: Case, user: Any, now: datetime, lang: str = "zh") -> Workbench:
    today = timezone.localdate(now)
    view = load_case(case, today)
    debtor = case.debtor
    company = debtor.kind == "company"
    name = honorific(debtor.name, debtor.gender, company=company, lang=lang)
    facts = gate_facts([case], now)
    points = facts.points.get(debtor.pk, [])
    own = first_own_phone(points)
    collector = collector_of(user)
    point_rows = []
    for p in points:
        channel = CHANNEL_OF_KIND.get(ContactKind(p.kind), gate.Channel.CALL)
        decision = preview(case, p, channel, facts, now, collector)
        point_rows.append(
            PointRow(p, channel, decision.allowed, decision.next_allowed_at, reason_text(decision, lang),
                     decision.must_not_disclose_debt)
        )  # fmt: skip
    numbers = [
        Number(r.point.pk, r.point.kind, r.point.relation == Relation.SELF, r.point.validity, r.point.do_not_contact,
               r.allowed, r.reason if not r.allowed else "", r.next_at)
        for r in point_rows
        if r.point.is_phone
    ]  # fmt: skip
    by_id = {p.pk: p for p in points}
    items = [
        i
        for i in WorkItem.objects.filter(case_id=case.pk, as_of=today)
        .select_related("assignee")
        .order_by("-priority", "action")
    ]
    lead = items[0] if items else None
    kinds = closable_by(user)
    promises = list(Promise.objects.filter(case=case).order_by("-created_at")[:50])
    pending = next((p for p in promises if p.state == PromiseState.PENDING), None)
    last = promises[0] if promises else None
    plans = list(RepaymentPlan.objects.filter(case=case).order_by("-created_at")[:20])
    facts_for_script, options = script_facts(
        case, user, now, lang, view, points, pending, time_barred=case.pk in facts.time_barred
    )
    library = current_library()
    script = compose(facts_for_script, library, lang)
    known = values(facts_for_script, library, lang)
    held = {"company" if company else "person", "has_promise" if pending else "no_promise"}
    objections = [card(spec, lang, known, held) for spec in library.objections]
    confirms = [("", confirm_lines(facts_for_script, library, lang, None))]
    for option in options:
        agreed = Agreement.of_option(facts_for_script.options, option.kind.value)
        confirms.append((f"plan:{option.kind.value}", confirm_lines(facts_for_script, library, lang, agreed)))
    timeline = _timeline(case, promises, plans, lang)
    return Workbench(
        debtor_today=debtor.today(now),
        view=view,
        name=name,
        phone_tail=own.national[-4:] if own is not None else "",
        risk_band=lead.segment.split("/")[0] if lead and lead.segment else "",
        behaviour=lead.behaviour if lead else "",
        promise=pending,
        promise_label=(last.get_state_display() if last else ""),
        items=items,
        points=point_rows,
        timeline=timeline,
        options=options,
        option_texts=[(o.kind.value, line) for o, line in zip(options, _option_lines(options, lang), strict=True)],
        script=script,
        objections=objections,
        plans=plans,
        open_flags=sum(1 for t in timeline if t.flagged),
        library=library,
        known=known,
        arrangement=current_arrangement(case, promises, plans),
        confirms=confirms,
        phones=[(by_id[n.id], n) for n in offer_order(numbers)],
        pick=pick_number(numbers),
        case_items=[
            CaseItem(
                i, i.assignee_id == getattr(user, "pk", None), i.action in kinds and i.status == WorkStatus.PENDING
            )
            for i in items
        ],
        identity=identity_state(case, now),
        company=company,
    )


def _option_lines(options: list[PlanOption], lang: str) -> list[str]:

    return [summary(o, lang) for o in options]


_SENT_NOTE = re.compile(r"^(\w+) #(\d+)$")


def _sent_note(notes: str) -> str:
    """The outbox notes a sent message as "<purpose> #<id>" (stored data): shown with the purpose's label."""
    found = _SENT_NOTE.match(notes)
    if found is None or found.group(1) not in Purpose.values:
        return notes
    return f"{Purpose(found.group(1)).label} #{found.group(2)}"


# A visit is stored with a contact's outcome (kernel.visits); at a door, these read differently than on a phone.
VISIT_OUTCOME_LABELS = {
    Outcome.WRONG_NUMBER: gettext_lazy("Address invalid or moved away"),
    Outcome.NO_ANSWER: gettext_lazy("Nobody at home"),
}


def outcome_label(interaction: Interaction) -> str:
    if interaction.channel == Channel.VISIT and interaction.outcome in VISIT_OUTCOME_LABELS:
        return str(VISIT_OUTCOME_LABELS[Outcome(interaction.outcome)])
    return str(interaction.get_outcome_display())


def _timeline(case: Case, promises: list[Promise], plans: list[RepaymentPlan], lang: str) -> list[TimelineEntry]:
    """Every interaction, promise, plan, payment, message and flag of the case, newest first."""
    en = lang.startswith("en")
    entries: list[TimelineEntry] = []
    for i in Interaction.objects.filter(case=case).select_related("user", "contact_point").order_by("-at")[:100]:
        point = f" · {i.contact_point.tail}" if i.contact_point is not None else ""
        entries.append(
            TimelineEntry(i.at, "interaction", f"{i.get_channel_display()} · {outcome_label(i)}{point}",
                          f"{_sent_note(i.notes)}{' — ' + str(i.user) if i.user else ''}")
        )  # fmt: skip
    for p in promises:
        entries.append(
            TimelineEntry(p.created_at, "promise", f"{p.amount:,.2f} → {p.due_date:%Y-%m-%d}", p.get_state_display())
        )
    for plan in plans:
        entries.append(TimelineEntry(plan.created_at, "plan", plan.get_kind_display(), plan.summary))
    for pay in Payment.objects.filter(case=case).order_by("-paid_on")[:50]:
        entries.append(
            TimelineEntry(pay.created_at, "payment", f"{pay.amount:,.2f}", f"{pay.paid_on:%Y-%m-%d} {pay.reference}")
        )
        if pay.reversed_at is not None:
            entries.append(
                TimelineEntry(pay.reversed_at, "payment", _("Payment of %(amount)s reversed") % {
                    "amount": f"{pay.amount:,.2f}"}, pay.reversal_reason, flagged=True)
            )  # fmt: skip
    entries += _waiver_entries(case)
    for msg in PendingMessage.objects.filter(debtor_id=case.debtor_id).order_by("-created_at")[:20]:
        # Comms words the message from its templates; until it does, the timeline names what is coming.
        status = _("sent to the outbox") if msg.consumed_at else _("waiting for the outbox")
        entries.append(TimelineEntry(msg.created_at, "message", str(MessageKind(msg.kind).label), str(status)))
    for flag in TextFlag.objects.filter(case=case).order_by("-created_at")[:50]:
        category = FLAG_CATEGORIES.get(flag.category, flag.category)
        severity = FLAG_SEVERITIES.get(flag.severity, flag.severity)
        entries.append(TimelineEntry(flag.created_at, "flag", f"{category} · {severity}", flag.excerpt, flagged=True))
    for d in ContactDecision.objects.filter(case=case).order_by("-created_at")[:50]:
        text = d.reason_text("en" if en else "zh")
        # The rule ids are the pack's references (the QA register lists them); the reader gets the verdict and why.
        verdict = f"{_('Gate')} · {_('warned') if d.allowed else _('blocked')}"
        entries.append(TimelineEntry(d.created_at, "gate", verdict, text, flagged=not d.allowed))
    # The apps above (the debtor's self-service pages) add their visits and actions.
    for _receiver, more in case_timeline_wanted.send(sender=Workbench, case_id=case.pk):
        entries.extend(more if isinstance(more, list) else [])
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries


def _waiver_entries(case: Case) -> list[TimelineEntry]:
    """Each waiver request when it was asked for, and its decision when it was taken: by whom and why."""
    entries = []
    for w in WaiverRequest.objects.filter(case=case).select_related("requested_by", "decided_by", "plan")[:50]:
        amount = f"{w.amount:,.2f}"
        entries.append(
            TimelineEntry(w.requested_at, "waiver", _("Waiver of %(amount)s asked for") % {"amount": amount},
                          f"{w.reason} — {w.requested_by or _('the debtor (self-service)')}")
        )  # fmt: skip
        if w.decided_at is None or w.status == WaiverStatus.PENDING:
            continue
        approved = w.status == WaiverStatus.APPROVED
        title = (_("Waiver of %(amount)s approved") if approved else _("Waiver of %(amount)s rejected")) % {
            "amount": amount
        }
        detail = f"{w.decision_reason} — {w.decided_by or _('the system')}"
        if not approved and w.plan is not None and w.plan.status == PlanStatus.PROPOSED:
            detail += " · " + _("the plan is a proposal again; the earlier arrangement stays in force")
        entries.append(TimelineEntry(w.decided_at, "waiver", title, detail, flagged=not approved))
    return entries


def stage_of(case: Case, day: date) -> str:
    return stage(case.dpd(day), legal=case.status == CaseStatus.LEGAL).value


@dataclass(frozen=True)
class RoutingWarning:
    gap: str  # kernel.strategy.queue.gaps code
    text: str
    items: int  # today's open items that landed in the lead's queue because of it


def routing_warnings(lead: Any, day: date) -> list[RoutingWarning]:
    """What the team lacks for its routing, and how much of today's work it sent to the lead instead."""
    if getattr(lead, "team_id", None) is None:
        return []
    mine = dict(queue_items(lead, day).values("action").annotate(n=Count("id")).values_list("action", "n"))
    texts = {
        "no_specialist": (
            _("No collector of this team has the specialist skill: specialist hand-overs go to your queue. "
              "Give a collector the skill “specialist” in the admin (users › skills)."),
            mine.get(SPECIALIST, 0),
        ),
        "no_legal": (
            _("There is no legal counsel for this team: legal reviews go to your queue."),
            mine.get(LEGAL_REVIEW, 0),
        ),
        "no_collector": (
            _("This team has no active collector: its calls and visits go to your queue."),
            mine.get(CALL, 0) + mine.get(VISIT, 0),
        ),
    }  # fmt: skip
    return [RoutingWarning(gap, *texts[gap]) for gap in team_gaps(lead.team_id) if gap in texts]


def team_open_items(collectors: list[Any], day: date, limit: int = 100) -> list[WorkItem]:
    """The team's best open items of the day: each collector's top from the queue index, then the best of
    those (one short index read per collector instead of sorting the whole team's day)."""
    if connection.vendor == "postgresql":
        best = _team_best_pg([c.pk for c in collectors], day, limit)
    else:
        ids: list[tuple[int, int, int]] = []
        for collector in collectors:
            ids += (
                queue_items(collector, day)
                .order_by("-priority", "case_id")
                .values_list("priority", "case_id", "id")[:limit]
            )
        best = [i for _p, _c, i in sorted(ids, key=lambda r: (-r[0], r[1]))[:limit]]
    items = WorkItem.objects.filter(id__in=best).select_related("assignee", "case__debtor").in_bulk()
    return [items[i] for i in best]


def _team_best_pg(collector_ids: list[int], day: date, limit: int) -> list[int]:
    """The same reads in one statement: a LATERAL top per collector (twenty round trips were a fifth of the
    team page at a million cases)."""
    table = WorkItem._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT w.id FROM unnest(%s::bigint[]) AS a(id) CROSS JOIN LATERAL"
            f" (SELECT id, priority, case_id FROM {table} WHERE assignee_id = a.id AND as_of = %s AND status = %s"
            "  ORDER BY priority DESC, case_id LIMIT %s) AS w"
            " ORDER BY w.priority DESC, w.case_id LIMIT %s",
            [collector_ids, day, WorkStatus.PENDING.value, limit, limit],
        )
        return [row[0] for row in cursor.fetchall()]


def team_overview(collectors: list[Any], day: date) -> list[tuple[Any, int, int, int]]:
    """Per collector: open and done items of the day and cases held."""
    # The items' counts are kept by the database (strategy.counts): counting them read a third of a million
    # index entries for a team at a million cases, most of the team page's time.
    counts = queue_counts([c.pk for c in collectors], day)
    # The cases held likewise (cases.counts): counting them read ~300,000 index entries for a team at a million
    # cases, and the table's pages too until a vacuum after the night's reassignment (300 ms).
    cases = cases_held([c.pk for c in collectors])
    return [
        (c, counts[c.pk].get(WorkStatus.PENDING, 0), counts[c.pk].get(WorkStatus.DONE, 0), cases.get(c.pk, 0))
        for c in collectors
    ]
