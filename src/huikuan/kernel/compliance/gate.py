"""The contact gate: may this contact be made now, and if not, why and from when on?

Every rule is a pure function of (rule, facts, instant) that returns an ``Outcome`` or None; nothing
raises for a refusal. ``check_contact`` evaluates the pack once at the asked instant for the reasons,
then, if only time-bound rules block, walks forward — each blocking rule names the earliest instant it
would stop blocking, the latest of those becomes the next candidate — until no block remains. That fixed
point is the answer to "when may I try again" even when rules interact (the cap resets at local midnight,
but midnight is inside quiet hours, and tomorrow is a public holiday).

All reasoning about days and hours happens in the debtor's IANA time zone via zoneinfo, so DST days
(2026-03-08 and 2026-11-01 in America/New_York) shift the UTC instants, not the local rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo

from huikuan.kernel.compliance.packs import Pack, Rule
from huikuan.kernel.holds import hold_label
from huikuan.kernel.holidays import day_info, next_non_holiday
from huikuan.kernel.localtime import DEFAULT_TIME_ZONE
from huikuan.kernel.plans.schedule import add_months


class Channel(StrEnum):
    CALL = "call"
    SMS = "sms"
    EMAIL = "email"
    LETTER = "letter"
    VISIT = "visit"


class PointKind(StrEnum):
    MOBILE = "mobile"
    HOME = "home"
    WORK = "work"
    EMAIL = "email"
    POSTAL = "postal"


class Owner(StrEnum):
    DEBTOR = "debtor"
    GUARANTOR = "guarantor"
    THIRD_PARTY = "third_party"


class Hold(StrEnum):
    DISPUTE = "dispute"
    COMPLAINT = "complaint"
    HARDSHIP_REVIEW = "hardship_review"
    PLAN_HONOURED = "plan_honoured"
    DECEASED = "deceased"
    BANKRUPTCY = "bankruptcy"
    LEGAL = "legal"


# (zh-Hans, English) names the reasons use: the kernel has no translation catalogue, the packs carry both texts.
CHANNEL_NAMES = {
    Channel.CALL: ("电话", "a call"),
    Channel.SMS: ("短信", "a text message"),
    Channel.EMAIL: ("电子邮件", "an e-mail"),
    Channel.LETTER: ("信函", "a letter"),
    Channel.VISIT: ("外访", "a visit"),
}
POINT_KIND_NAMES = {
    PointKind.MOBILE: ("手机号码", "a mobile number"),
    PointKind.HOME: ("住宅电话", "a home phone"),
    PointKind.WORK: ("单位电话", "a work phone"),
    PointKind.EMAIL: ("电子邮箱", "an e-mail address"),
    PointKind.POSTAL: ("通讯地址", "a postal address"),
}

# A call, text or e-mail reaches one number or address; without it the gate cannot check do-not-contact, the
# per-number cap or whether the number is a third party's. Letters and visits may go to the address on file.
POINT_REQUIRED = frozenset({Channel.CALL, Channel.SMS, Channel.EMAIL})


def needs_contact_point(channel: Channel | str) -> bool:
    return Channel(channel) in POINT_REQUIRED


def _require_utc_aware(value: datetime, what: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be a time-zone-aware datetime, got naive {value!r}")


@dataclass(frozen=True, slots=True)
class ContactEvent:
    """One past attempt. ``conversation`` means an effective conversation with the debtor (AI voice too);
    a voicemail is an attempt that was not answered."""

    at: datetime
    channel: Channel
    contact_point_id: str
    debt_id: str = ""
    answered: bool = False
    conversation: bool = False
    voicemail: bool = False
    automated: bool = False
    refused: bool = False  # a third party refused to help: stop at once

    def __post_init__(self) -> None:
        _require_utc_aware(self.at, "ContactEvent.at")


@dataclass(frozen=True, slots=True)
class CaseFacts:
    debt_id: str = ""
    timezone: str = DEFAULT_TIME_ZONE
    holds: frozenset[Hold] = frozenset()
    breathing_space_until: date | None = None  # last local day of the UK moratorium, inclusive
    unreachable: bool = False  # 失联 established by a collector
    incapacitated: bool = False
    debtor_point_ids: frozenset[str] = frozenset()  # to derive 失联 from failed attempts
    valid_debtor_points: int | None = None  # 0 means no valid way to reach the debtor: 失联
    stopped_channels: frozenset[Channel] = frozenset()
    quiet_hours_consent: bool = False
    # Third-party points that refused, or were reached, at any time: "stop once they refuse" and "each
    # person once" have no time limit, while the history handed to the gate may cover only recent weeks.
    refused_points: frozenset[str] = frozenset()
    answered_points: frozenset[str] = frozenset()
    closed: bool = False  # nothing is owed on this case any more (paid off or written off)
    private_means_consent: bool = False  # the debtor agreed to be contacted by personal phone or social app
    # US: a dispute inside the validation period, not yet answered by verification (validation.py).
    validation_dispute_open: bool = False
    time_barred: bool = False  # the statute of limitations has run on a debt of the case
    region: str = ""  # the US state (or other region) whose law governs the debt: kernel.regions.region_code


@dataclass(frozen=True, slots=True)
class ContactPoint:
    id: str
    kind: PointKind
    owner: Owner = Owner.DEBTOR
    relation: str | None = None  # spouse, relative, colleague, emergency contact...
    valid: bool = True
    do_not_contact: bool = False


@dataclass(frozen=True, slots=True)
class Collector:
    """The person who makes a contact, as the rules about collectors see them."""

    trained_on: date | None = None  # the last passed training: a recorded course or an assessment
    training_required: bool = False  # their team keeps collectors without current training off live contact
    outsourced: bool = False  # works for an agency, not the creditor


def training_current(trained_on: date | None, today: date, months: int) -> bool:
    """Trained within the last ``months`` months: a course passed on 2025-12-07 still counts on 2026-12-06
    for 12 months, and no longer on 2026-12-07."""
    return trained_on is not None and trained_on > add_months(today, -months)


@dataclass(frozen=True, slots=True)
class Outreach:
    """The contact being asked about: its channel, whether a machine sends it, visit party size, and who."""

    channel: Channel
    automated: bool = False
    collectors: int = 1
    service: bool = False  # a receipt or confirmation the debtor is owed, not collection
    collector: Collector | None = None  # None: a machine, or a path that names no person
    # Made from a personal phone or a social app rather than the company's lines. The product offers only
    # company means today (its calls, texts, e-mails, letters and visits), so only a caller that knows
    # otherwise sets this.
    private_means: bool = False
    legal: bool = False  # a lawyer's letter or a step towards a suit
    mentions_suit: bool = False  # the text speaks of a lawsuit, a court or a judgment (validation.mentions_suit)
    # The text states the disclosure the debtor's state requires on a time-barred debt
    # (validation.carries_disclosure); a call or a visit carries no text, so it never does.
    discloses_time_bar: bool = False
    # The other collectors of a visit: each of them meets the debtor too, so the rules about collectors
    # (training, outsourced means) hold for every one of them, not only for the one who records it.
    companions: tuple[Collector, ...] = ()

    @property
    def people(self) -> tuple[Collector, ...]:
        """Everyone who makes the contact: the recording collector first, then the companions."""
        return ((self.collector,) if self.collector is not None else ()) + self.companions


@dataclass(frozen=True, slots=True)
class Reason:
    rule_id: str
    severity: str
    source: str
    text_zh: str
    text_en: str
    retry_at: datetime | None  # when this rule alone stops objecting; None: not by waiting


@dataclass(frozen=True, slots=True)
class Decision:
    """``next_allowed_at`` equals the asked instant when allowed, None when waiting never helps."""

    allowed: bool
    reasons: tuple[Reason, ...]
    next_allowed_at: datetime | None
    must_not_disclose_debt: bool = False
    calendar_approximate: bool = False
    local_time: str = ""

    @property
    def blocking_rule(self) -> str | None:
        return next((r.rule_id for r in self.reasons if r.severity == "block"), None)

    @property
    def warnings(self) -> tuple[Reason, ...]:
        return tuple(r for r in self.reasons if r.severity == "warn")


def reasons_in(wordings: Iterable[tuple[str, str]], language: str) -> str:
    """Reasons worded (Chinese, English), in ``language`` (English for "en…", else Chinese), joined as that
    language punctuates a list; an empty wording is left out. The one wording of a decision, live or stored.

    >>> reasons_in([("已拦截。", "Blocked."), ("请稍后。", "Later.")], "zh-hans")
    '已拦截。；请稍后。'
    >>> reasons_in([("已拦截。", "Blocked."), ("", "")], "en")
    'Blocked.'
    """
    english = language.lower().startswith("en")
    return ("; " if english else "；").join(t for t in (en if english else zh for zh, en in wordings) if t)


@dataclass(frozen=True, slots=True)
class Outcome:
    timed: bool  # the objection lifts by itself at retry_at
    retry_at: datetime | None = None
    extra: dict[str, str | tuple[str, str]] = field(default_factory=dict)


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_start(day: date, tz: ZoneInfo, at: time = time(0)) -> datetime:
    """The UTC instant at which ``day`` reaches wall time ``at`` in ``tz`` (first occurrence on DST days)."""
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def parse_hhmm(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def in_window(tod: time, start: time, end: time) -> bool:
    """Whether a wall-clock time falls in [start, end), the window possibly wrapping midnight."""
    if start > end:
        return tod >= start or tod < end
    return start <= tod < end


@dataclass(frozen=True, slots=True)
class _Ctx:
    pack: Pack
    facts: CaseFacts
    point: ContactPoint
    outreach: Outreach
    tz: ZoneInfo
    events: tuple[tuple[date, ContactEvent], ...]  # (local day, event), oldest first


def failed_attempts_in_a_row(history: Iterable[ContactEvent], debtor_point_ids: frozenset[str]) -> int:
    """Trailing unanswered call attempts to the debtor's own contact points (3 in a row is 失联 in cn).

    Only calls count: an SMS, e-mail or letter has no "answered" (the outbox logs each as ``sent``), so
    counting them would turn a few automated reminders into 失联 and open third-party contact. They
    neither extend nor break a run of failed calls.
    """
    count = 0
    for event in sorted(history, key=lambda e: e.at):
        if event.channel is not Channel.CALL or event.contact_point_id not in debtor_point_ids:
            continue
        count = 0 if (event.answered or event.conversation) else count + 1
    return count


def debtor_unreachable(history: Iterable[ContactEvent], facts: CaseFacts, failed_attempts: int) -> bool:
    if facts.unreachable or facts.valid_debtor_points == 0:
        return True
    return failed_attempts_in_a_row(history, facts.debtor_point_ids) >= failed_attempts


def _next_midnight(t: datetime, ctx: _Ctx) -> datetime:
    return local_start(t.astimezone(ctx.tz).date() + timedelta(days=1), ctx.tz)


def _applies(rule: Rule, ctx: _Ctx) -> bool:
    return ctx.outreach.channel.value in rule.params["channels"]


def _do_not_contact(rule: Rule, ctx: _Ctx, t: datetime) -> Outcome | None:
    return Outcome(timed=False) if ctx.point.do_not_contact else None


def _invalid_point(rule: Rule, ctx: _Ctx, t: datetime) -> Outcome | None:
    return None if ctx.point.valid else Outcome(timed=False)


def _stop_medium(rule: Rule, ctx: _Ctx, t: datetime) -> Outcome | None:
    return Outcome(timed=False) if ctx.outreach.channel in ctx.facts.stopped_channels else None


def _holds(rule: Rule, ctx: _Ctx, t: datetime) -> Outcome | None:
    wanted = set(rule.params["holds"])
    if ctx.point.owner is Owner.DEBTOR:
        wanted |= set(rule.params["debtor_only_holds"])
    active = sorted(h.value for h in ctx.facts.holds if h.value in wanted)
    if not active:
        return None
    labels = ("、".join(hold_label(h, "zh") for h in active), ", ".join(hold_label(h, "en") for h in active))
    return Outcome(timed=False, extra={"active": labels})


def _case_closed(rule: Rule, ctx: _Ctx, t: datetime) -> Outcome | None:
    return Outcome(timed=False) if ctx.facts.closed and not ctx.outreach.service else None


def _breathing_space(rule: Rule, ctx: _Ctx, t: datetime) -> Outcome | None:
    until = ctx.facts.breathing_space_until
    if until is None or t.astimezone(ctx.tz).date() > until:
        return None
    return Outcome(timed=True, retry_at=local_start(until + timedelta(days=1), ctx.tz))


def _channel_fits_point(rule: Rule, ctx: _Ctx, t: datetime) -> Outcome | None:
    """A text to a landline or a postal address, a letter to a phone number: the medium cannot arrive there,
    and a contact that cannot arrive is still logged as an attempt against the debtor's caps."""
    fits = rule.params["fits"][ctx.outreach.channel.value]
    if ctx.point.kind.value in fits:
        return None
    channel, kind = ctx.outreach.channel, ctx.point.kind
    return Outcome(
        timed=False,
        extra={
            "channel_zh": CHANNEL_NAMES[channel][0],
            "channel_en": CHANNEL_NAMES[channel][1],
            "kind_zh": POINT_KIND_NAMES[kind][0],
            "kind_en": POINT_KIND_NAMES[kind][1],
        },
    )


def _collector_training(rule: Rule, ctx: _Ctx, t: datetime) -> Outcome | None:
    if ctx.outreach.automated or not _applies(rule, ctx):
        return None
    today = t.astimezone(ctx.tz).date()
    lapsed = [
        person
        for person in ctx.outreach.people
        if person.training_required and not training_current(person.trained_on, today, rule.params["months"])
    ]
    if not lapsed:
        return None
    person = lapsed[0]
    # Not timed: training lapses further with waiting; it takes a course or an assessment to lift.
    return Outcome(timed=False, extra={"trained_on": person.trained_on.isoformat() if person.trained_on else "—"})


def _outsourced_private_means(rule: Rule, ctx: _Ctx, t: datetime) -> Outcome | None:
    if not ctx.outreach.private_means or ctx.facts.private_means_consent:
        return None
    if not any(person.outsourced for person in ctx.outreach.people):
        return None
    return Outcome(timed=False)


def _validation_dispute(rule: Rule, ctx: _Ctx, t: datetime) -> Outcome | None:
    # The verification itself, and receipts the debtor is owed, still go: they are service, not collection.
    if ctx.facts.validation_dispute_open and not ctx.outreach.service:
        return Outcome(timed=False)
    return None


def _time_barred_suit(rule: Rule, ctx: _Ctx, t: datetime) -> Outcome | None:
    if ctx.facts.time_barred and (ctx.outreach.legal or ctx.outreach.mentions_suit):
        return Outcome(timed=False)
    return None


def _time_barred_disclosure(rule: Rule, ctx: _Ctx, t: datetime) -> Outcome | None:
    # A receipt or a confirmation is not a collection communication: the state laws ask the disclosure of
    # the communications that seek payment of a time-barred debt.
    facts, outreach = ctx.facts, ctx.outreach
    if (
        not facts.time_barred
        or facts.region not in rule.params["disclosures"]
        or outreach.channel.value not in rule.params["channels"]
        or outreach.service
        or outreach.discloses_time_bar
    ):
        return None
    return Outcome(timed=False, extra={"region": facts.region})


def _third_party(rule: Rule, ctx: _Ctx, t: datetime) -> Outcome | None:
    owner = ctx.point.owner
    if owner is Owner.DEBTOR or (owner is Owner.GUARANTOR and rule.params["guarantor_is_party"]):
        return None
    history = [event for _, event in ctx.events]
    grounds = {
        "unreachable": debtor_unreachable(history, ctx.facts, rule.params["unreachable_after_failed_attempts"]),
        "deceased": Hold.DECEASED in ctx.facts.holds,
        "incapacitated": ctx.facts.incapacitated,
    }
    if not any(grounds[g] for g in rule.params["allowed_when"]):
        return Outcome(timed=False)
    if third_party_refused(history, ctx.facts, ctx.point.id):
        return Outcome(timed=False)
    if rule.params["once_per_person"] and third_party_answered_before(history, ctx.facts, ctx.point.id):
        return Outcome(timed=False)
    return None


def third_party_refused(history: Iterable[ContactEvent], facts: CaseFacts, point_id: str) -> bool:
    return point_id in facts.refused_points or any(e.refused for e in history if e.contact_point_id == point_id)


def third_party_answered_before(history: Iterable[ContactEvent], facts: CaseFacts, point_id: str) -> bool:
    return point_id in facts.answered_points or any(
        e.answered or e.conversation for e in history if e.contact_point_id == point_id
    )


def _visit_collectors(rule: Rule, ctx: _Ctx, t: datetime) -> Outcome | None:
    if ctx.outreach.channel is Channel.VISIT and ctx.outreach.collectors < rule.params["min"]:
        return Outcome(timed=False)
    return None


def _quiet_hours(rule: Rule, ctx: _Ctx, t: datetime) -> Outcome | None:
    if not _applies(rule, ctx) or (rule.params["consent_allows"] and ctx.facts.quiet_hours_consent):
        return None
    start, end = parse_hhmm(rule.params["start"]), parse_hhmm(rule.params["end"])
    local = t.astimezone(ctx.tz)
    if not in_window(local.time(), start, end):
        return None
    day = local.date()
    if start > end and local.time() >= start:
        day += timedelta(days=1)
    retry = local_start(day, ctx.tz, end)
    # A wall time swallowed by a DST gap resolves forward; never hand back an instant not after t.
    return Outcome(timed=True, retry_at=max(retry, t + timedelta(minutes=1)))


def _point_daily_attempts(rule: Rule, ctx: _Ctx, t: datetime) -> Outcome | None:
    if not _applies(rule, ctx):
        return None
    today = t.astimezone(ctx.tz).date()
    unanswered_only = rule.params["count"] == "unanswered"
    count = sum(
        1
        for day, event in ctx.events
        if day == today
        and event.contact_point_id == ctx.point.id
        and event.channel.value in rule.params["channels"]
        and not (unanswered_only and (event.answered or event.conversation))
    )
    return Outcome(timed=True, retry_at=_next_midnight(t, ctx)) if count >= rule.params["limit"] else None


def _debtor_daily_conversations(rule: Rule, ctx: _Ctx, t: datetime) -> Outcome | None:
    if not _applies(rule, ctx):
        return None
    today = t.astimezone(ctx.tz).date()
    count = sum(
        1
        for day, event in ctx.events
        if day == today and event.conversation and event.channel.value in rule.params["channels"]
    )
    return Outcome(timed=True, retry_at=_next_midnight(t, ctx)) if count >= rule.params["limit"] else None


def _about_this_debt(event: ContactEvent, ctx: _Ctx) -> bool:
    return not ctx.facts.debt_id or event.debt_id == ctx.facts.debt_id


def _rolling_attempts_per_debt(rule: Rule, ctx: _Ctx, t: datetime) -> Outcome | None:
    if not _applies(rule, ctx):
        return None
    today = t.astimezone(ctx.tz).date()
    first = today - timedelta(days=rule.params["days"] - 1)
    days = sorted(
        (
            day
            for day, event in ctx.events
            if first <= day <= today and event.channel.value in rule.params["channels"] and _about_this_debt(event, ctx)
        ),
        reverse=True,
    )
    limit = rule.params["limit"]
    if len(days) < limit:
        return None
    # Once the limit-th most recent attempt leaves the window, fewer than `limit` remain in it.
    return Outcome(timed=True, retry_at=local_start(days[limit - 1] + timedelta(days=rule.params["days"]), ctx.tz))


def _after_conversation_quiet(rule: Rule, ctx: _Ctx, t: datetime) -> Outcome | None:
    if not _applies(rule, ctx):
        return None
    talks = [
        day
        for day, event in ctx.events
        if event.conversation and event.channel is Channel.CALL and _about_this_debt(event, ctx)
    ]
    if not talks:
        return None
    # The conversation day is day 1, so the first free day is day 1 + `days`.
    free_from = max(talks) + timedelta(days=rule.params["days"])
    if t.astimezone(ctx.tz).date() >= free_from:
        return None
    return Outcome(timed=True, retry_at=local_start(free_from, ctx.tz))


def _automated_holiday(rule: Rule, ctx: _Ctx, t: datetime) -> Outcome | None:
    if not (ctx.outreach.automated and _applies(rule, ctx)):
        return None
    today = t.astimezone(ctx.tz).date()
    if not day_info(ctx.pack.calendar, today).public_holiday:
        return None
    free = next_non_holiday(ctx.pack.calendar, today + timedelta(days=1))
    return Outcome(timed=True, retry_at=local_start(free, ctx.tz))


RULE_FUNCTIONS: dict[str, Callable[[Rule, _Ctx, datetime], Outcome | None]] = {
    "do_not_contact": _do_not_contact,
    "invalid_point": _invalid_point,
    "stop_medium": _stop_medium,
    "holds": _holds,
    "case_closed": _case_closed,
    "channel_fits_point": _channel_fits_point,
    "collector_training": _collector_training,
    "outsourced_private_means": _outsourced_private_means,
    "validation_dispute": _validation_dispute,
    "time_barred_suit": _time_barred_suit,
    "time_barred_disclosure": _time_barred_disclosure,
    "breathing_space": _breathing_space,
    "third_party": _third_party,
    "visit_collectors": _visit_collectors,
    "quiet_hours": _quiet_hours,
    "point_daily_attempts": _point_daily_attempts,
    "debtor_daily_conversations": _debtor_daily_conversations,
    "rolling_attempts_per_debt": _rolling_attempts_per_debt,
    "after_conversation_quiet": _after_conversation_quiet,
    "automated_holiday": _automated_holiday,
}

_MAX_STEPS = 400  # each step moves at least to the next local boundary; 400 covers a year of holidays


def check_contact(
    history: Sequence[ContactEvent],
    case_facts: CaseFacts,
    contact_point: ContactPoint,
    channel: Outreach | Channel,
    at: datetime,
    pack: Pack,
) -> Decision:
    """Decide whether ``channel`` may reach ``contact_point`` at ``at`` (UTC-aware) under ``pack``.

    Only events before ``at`` count. Warn-severity rules leave ``allowed`` True and add reasons a team lead
    may override; block-severity rules make it False.
    """
    _require_utc_aware(at, "at")
    at = at.astimezone(UTC)
    outreach = channel if isinstance(channel, Outreach) else Outreach(channel)
    tz = zone(case_facts.timezone)
    events = tuple(
        (event.at.astimezone(tz).date(), event) for event in sorted(history, key=lambda e: e.at) if event.at < at
    )
    ctx = _Ctx(pack, case_facts, contact_point, outreach, tz, events)

    reasons: list[Reason] = []
    permanent = False
    for rule in pack.rules:
        outcome = RULE_FUNCTIONS[rule.kind](rule, ctx, at)
        if outcome is None:
            continue
        text_zh, text_en = rule.texts(**outcome.extra)
        reasons.append(Reason(rule.id, rule.severity, rule.source, text_zh, text_en, outcome.retry_at))
        permanent = permanent or (rule.severity == "block" and not outcome.timed)

    blocked = any(reason.severity == "block" for reason in reasons)
    next_allowed: datetime | None = at
    if permanent:
        next_allowed = None
    elif blocked:
        next_allowed = _walk_forward(ctx, at)
    local = at.astimezone(tz)
    return Decision(
        allowed=not blocked,
        reasons=tuple(reasons),
        next_allowed_at=next_allowed,
        must_not_disclose_debt=contact_point.owner is Owner.THIRD_PARTY,
        calendar_approximate=day_info(pack.calendar, local.date()).approximate,
        local_time=local.strftime("%Y-%m-%d %H:%M %Z"),
    )


def _walk_forward(ctx: _Ctx, at: datetime) -> datetime | None:
    blocking = [rule for rule in ctx.pack.rules if rule.severity == "block"]
    t = at
    for _ in range(_MAX_STEPS):
        retries: list[datetime] = []
        for rule in blocking:
            outcome = RULE_FUNCTIONS[rule.kind](rule, ctx, t)
            if outcome is None:
                continue
            if not outcome.timed or outcome.retry_at is None:
                return None
            retries.append(outcome.retry_at)
        if not retries:
            return t
        t = max(retries)
    return None


def explain_decision(decision: Decision, lang: str = "zh") -> str:
    """Human-readable explanation for `huikuan gate` and the workbench."""
    zh = lang.startswith("zh")
    lines = []
    if decision.allowed:
        lines.append("允许联系" if zh else "Contact allowed")
    else:
        lines.append("禁止联系" if zh else "Contact blocked")
    if decision.local_time:
        lines.append(("债务人当地时间：" if zh else "Debtor local time: ") + decision.local_time)
    for reason in decision.reasons:
        label = {"block": "禁止" if zh else "BLOCK", "warn": "警告" if zh else "WARN"}[reason.severity]
        text = reason.text_zh if zh else reason.text_en
        lines.append(f"- [{label}] {reason.rule_id}: {text}")
        lines.append(("  依据：" if zh else "  Source: ") + reason.source)
    if not decision.allowed:
        if decision.next_allowed_at is None:
            lines.append(
                "等待无法解除，需要人工处理。" if zh else "Waiting will not lift this; it needs a person to act."
            )
        else:
            when = decision.next_allowed_at.strftime("%Y-%m-%dT%H:%M:%SZ")
            lines.append(("最早可联系时间（UTC）：" if zh else "Earliest allowed (UTC): ") + when)
    if decision.must_not_disclose_debt:
        lines.append(
            "对方为第三方：不得透露任何债务信息，仅可请其转告回电。"
            if zh
            else "Third party: never mention the debt; only ask for a call-back message."
        )
    if decision.calendar_approximate:
        lines.append(
            "注意：该年份节假日安排尚未收录，仅按固定日期节日估算。"
            if zh
            else "Note: this year's holiday arrangement is not known yet; fixed-date holidays only."
        )
    return "\n".join(lines)
