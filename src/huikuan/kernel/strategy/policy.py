"""The collection policy as data: parsed from YAML, validated with every error at once, diffable.

A policy is what a team lead writes: stages by days past due, segments, a cadence of actions, the contact
order, contact windows, escalation rules and holds. Parsing returns a frozen ``Policy`` or raises
``PolicyError`` carrying every problem with its path (``cadence[3].channel: ...``), because a lead fixing
a file wants the whole list, not one error per attempt.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import time
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml

from huikuan.kernel.scoring.bands import BAND_KEYS

TONES = ("gentle", "firm", "legal")
BEHAVIOURS = (
    "dispute",
    "hardship",
    "refuses",
    "promise_pending",
    "unreachable",
    "broken_promise",
    "sincere_payer",
    "first_time_late",
)
ACTIONS = (
    "sms",
    "email",
    "call",
    "letter",
    "lawyer_letter",
    "visit",
    "escalate_specialist",
    "legal_review",
)
# Hand-overs the snapshot looks back on ("escalated before", "legal review before"), every night.
ESCALATIONS = ("escalate_specialist", "legal_review")
# The channel each action goes out on; "queue" actions are internal hand-overs, not contacts.
ACTION_CHANNELS: Mapping[str, str] = {
    "sms": "sms",
    "email": "email",
    "call": "call",
    "letter": "letter",
    "lawyer_letter": "letter",
    "visit": "visit",
    "escalate_specialist": "queue",
    "legal_review": "queue",
}
CONTACT_KINDS = ("mobile", "home", "work", "third_party")
# instalment_due: the next unpaid instalment of the plan in force, offsets in calendar days (-3: three days
# before); instalment_missed: an instalment unpaid after its due date, offsets in working days after it.
EVENTS = ("promise_due", "promise_broken", "instalment_due", "instalment_missed")
# What a contact is for: the collector reads it above the script and records whether it was met.
GOALS = (
    "get_promise",
    "confirm_payment",
    "ask_broken_reason",
    "replan",
    "remind",
    "thank",
    "hand_over",
    "legal_review",
)
CARE_FESTIVALS = ("spring_festival", "dragon_boat", "mid_autumn", "birthday")
CARE_SEGMENTS = ("current_plans", "sincere_payers", "recently_closed")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HOLD_REASONS = ("dispute", "hardship_review", "complaint", "deceased", "bankruptcy", "legal")

# Chinese and English wording of the reason chain is data: a policy may override any of it.
DEFAULT_LABELS: Mapping[str, Mapping[str, str]] = {
    "zh": {
        "dispute": "异议",
        "hardship": "困难",
        "refuses": "拒绝还款",
        "promise_pending": "承诺待履约",
        "unreachable": "失联",
        "broken_promise": "跳票{n}次",
        "sincere_payer": "有还款意愿",
        "first_time_late": "首次逾期",
        "balance": "余额 {amount} 元",
        "sms": "短信提醒",
        "email": "邮件提醒",
        "call": "电话催收",
        "letter": "催款函",
        "lawyer_letter": "律师函",
        "visit": "上门外访",
        "escalate_specialist": "专员队列",
        "legal_review": "法务审核",
        "hold": "暂停",
        "tone:gentle": "温和",
        "tone:firm": "严肃",
        "tone:legal": "告知法律后果",
        "every": "每{n}天",
        "event:promise_due": "承诺还款日",
        "event:promise_broken": "跳票日",
        "event:instalment_due": "分期还款日",
        "event:instalment_missed": "分期未还",
        "days": "逾期第{days}天",
        "goal:get_promise": "取得逾期金额的还款承诺",
        "goal:confirm_payment": "确认承诺款项已还",
        "goal:ask_broken_reason": "了解跳票原因并重新约定",
        "goal:replan": "了解未按期还款原因，提供调整方案",
        "goal:remind": "提醒按时还款",
        "goal:thank": "感谢按时还款",
        "goal:hand_over": "移交专员处理",
        "goal:legal_review": "法务审核材料",
        "anyone": "所有",
        "risk:low": "低风险",
        "risk:medium": "中风险",
        "risk:high": "高风险",
        "balance:small": "小额",
        "balance:medium": "中额",
        "balance:large": "大额",
    },
    "en": {
        "dispute": "dispute",
        "hardship": "hardship",
        "refuses": "refuses to pay",
        "promise_pending": "promise pending",
        "unreachable": "unreachable",
        "broken_promise": "{n} broken promise(s)",
        "sincere_payer": "sincere payer",
        "first_time_late": "first-time late",
        "balance": "balance {amount} CNY",
        "sms": "SMS reminder",
        "email": "e-mail reminder",
        "call": "call",
        "letter": "demand letter",
        "lawyer_letter": "lawyer's letter",
        "visit": "field visit",
        "escalate_specialist": "specialist queue",
        "legal_review": "legal review",
        "hold": "hold",
        "tone:gentle": "gentle",
        "tone:firm": "firm",
        "tone:legal": "legal consequences",
        "every": "every {n} days",
        "event:promise_due": "promise date",
        "event:promise_broken": "broken promise",
        "event:instalment_due": "instalment date",
        "event:instalment_missed": "missed instalment",
        "days": "DPD {days}",
        "goal:get_promise": "get a promise for the overdue amount",
        "goal:confirm_payment": "confirm the promised payment arrived",
        "goal:ask_broken_reason": "ask the reason for the broken promise and agree a new date",
        "goal:replan": "ask why the instalment was missed and offer a new plan",
        "goal:remind": "remind of the payment due",
        "goal:thank": "thank for paying on time",
        "goal:hand_over": "hand the case to a specialist",
        "goal:legal_review": "review the case for legal action",
        "anyone": "all",
        "risk:low": "low risk",
        "risk:medium": "medium risk",
        "risk:high": "high risk",
        "balance:small": "small balance",
        "balance:medium": "medium balance",
        "balance:large": "large balance",
    },
}


class PolicyError(ValueError):
    def __init__(self, errors: Sequence[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = list(errors)


@dataclass(frozen=True, slots=True)
class StageSpec:
    key: str
    # Inclusive upper DPD bound; None for the last stage.
    max_dpd: int | None
    tone: str
    label_zh: str
    label_en: str


@dataclass(frozen=True, slots=True)
class Band:
    key: str
    # Inclusive upper bound (score for risk, yuan for balance); None for the last band.
    upper: Decimal | None


@dataclass(frozen=True, slots=True)
class Trigger:
    """When a cadence rule fires: on DPD days, every N days within its stages, or around an event."""

    days: tuple[int, ...] = ()
    every: int | None = None
    event: str | None = None
    offsets: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class CadenceRule:
    key: str
    action: str
    template: str
    priority: int
    stages: tuple[str, ...]
    trigger: Trigger
    behaviours: tuple[str, ...] = ()
    risk: tuple[str, ...] = ()
    # The scoring model's bands (kernel.scoring.bands, A best … E worst); a case without a score matches none.
    score_bands: tuple[str, ...] = ()
    balance: tuple[str, ...] = ()
    min_balance: Decimal | None = None
    max_balance: Decimal | None = None
    goal: str = ""  # GOALS; empty: the default for the action and trigger (``default_goal``)

    @property
    def channel(self) -> str:
        return ACTION_CHANNELS[self.action]

    @property
    def objective(self) -> str:
        return self.goal or default_goal(self.action, self.trigger)


def default_goal(action: str, trigger: Trigger | None = None) -> str:
    """What a contact of this kind is for when the rule does not say."""
    event = trigger.event if trigger is not None else None
    if action == "escalate_specialist":
        return "hand_over"
    if action == "legal_review":
        return "legal_review"
    if action in ("call", "visit"):
        return {"promise_due": "confirm_payment", "promise_broken": "ask_broken_reason",
                "instalment_missed": "replan", "instalment_due": "remind"}.get(event or "", "get_promise")  # fmt: skip
    return "remind"


@dataclass(frozen=True, slots=True)
class DueReminder:
    """A reminder before the due date to a debtor not yet in collection: self-service, never a call."""

    key: str
    action: str  # sms or email, with the outbox's due_reminder template of that channel
    days_before: int
    min_balance: Decimal | None = None


# Before the due date nobody owes anything yet: only automatic, informative messages are allowed.
DUE_REMINDER_ACTIONS = ("sms", "email")


@dataclass(frozen=True, slots=True)
class Window:
    days: tuple[str, ...]
    start: time
    end: time


@dataclass(frozen=True, slots=True)
class Escalation:
    specialist_min_balance: Decimal
    specialist_broken_promises: int
    specialist_behaviours: tuple[str, ...]
    specialist_holds: tuple[str, ...]
    specialist_priority: int
    legal_review_dpd: int
    legal_review_priority: int
    legal_checklist: tuple[str, ...]
    # Calls ended because the debtor was abusive, in a row (no calm conversation between): the specialist queue.
    specialist_abusive_calls: int = 3


@dataclass(frozen=True, slots=True)
class Abusive:
    """After a call ended because the debtor was abusive: the next attempt is on another day (the run plans
    the next night at the earliest) and, with ``switch_to``, the next call becomes that message instead."""

    switch_to: str | None = None  # sms or email
    template: str = "reminder_gentle"


@dataclass(frozen=True, slots=True)
class CareCampaign:
    """Care messages (关怀) before a festival or on a birthday to the debtors the segments select."""

    key: str
    festivals: tuple[str, ...]
    action: str  # sms or email, the outbox's holiday_greeting template of that channel
    days_before: int = 1
    segments: tuple[str, ...] = CARE_SEGMENTS
    closed_within_days: int = 90
    working_days_only: bool = True


@dataclass(frozen=True, slots=True)
class SecondDelinquency:
    """A pre-due reminder for debtors whose case closed lately, even when the general pre_due rules are off."""

    action: str = "sms"
    days_before: int = 3
    closed_within_days: int = 90


@dataclass(frozen=True, slots=True)
class Behaviour:
    """Thresholds of the history-derived behaviour types."""

    unreachable_failed_attempts: int = 3
    promise_lookahead_days: int = 3


@dataclass(frozen=True, slots=True)
class Policy:
    name: str
    description: str
    stages: tuple[StageSpec, ...]
    risk_bands: tuple[Band, ...]
    balance_bands: tuple[Band, ...]
    cadence: tuple[CadenceRule, ...]
    contact_order: tuple[str, ...]
    windows: tuple[Window, ...]
    business_hours: Window
    escalation: Escalation
    holds: Mapping[str, tuple[str, ...]]
    behaviour: Behaviour = field(default_factory=Behaviour)
    labels: Mapping[str, Mapping[str, str]] = field(default_factory=lambda: DEFAULT_LABELS)
    pre_due: tuple[DueReminder, ...] = ()
    abusive: Abusive = field(default_factory=Abusive)
    care: tuple[CareCampaign, ...] = ()
    second_delinquency: SecondDelinquency | None = None

    def stage(self, key: str) -> StageSpec:
        return next(s for s in self.stages if s.key == key)

    def stage_start(self, key: str) -> int:
        """The first DPD of a stage (the reminder stage starts at 1: cases exist once overdue)."""
        previous = 0
        for spec in self.stages:
            if spec.key == key:
                return previous + 1
            previous = spec.max_dpd if spec.max_dpd is not None else previous
        raise KeyError(key)

    def label(self, language: str, key: str) -> str:
        return self.labels.get(language, {}).get(key) or DEFAULT_LABELS[language][key]

    def label_or_code(self, language: str, key: str) -> str:
        """The label of a code the policy may have invented itself (a tone, a behaviour): else the code."""
        return self.labels.get(language, {}).get(key) or DEFAULT_LABELS[language].get(key) or key

    def as_dict(self) -> dict[str, Any]:
        return _plain(asdict(self))


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, time):
        return value.strftime("%H:%M")
    return value


class _Reader:
    """Collects errors with their path while reading loosely typed YAML."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def fail(self, path: str, message: str) -> None:
        self.errors.append(f"{path}: {message}")

    def mapping(self, value: Any, path: str) -> Mapping[str, Any]:
        if isinstance(value, Mapping):
            return value
        self.fail(path, f"expected a mapping, got {type(value).__name__}")
        return {}

    def seq(self, value: Any, path: str) -> Sequence[Any]:
        if value is None:
            return ()
        if isinstance(value, list | tuple):
            return value
        self.fail(path, f"expected a list, got {type(value).__name__}")
        return ()

    def integer(self, value: Any, path: str, *, minimum: int | None = None) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(path, f"expected a whole number, got {value!r}")
            return 0
        if minimum is not None and value < minimum:
            self.fail(path, f"must be at least {minimum}, got {value}")
        return value

    def text(self, value: Any, path: str) -> str:
        if isinstance(value, str) and value.strip():
            return value.strip()
        self.fail(path, f"expected non-empty text, got {value!r}")
        return ""

    def amount(self, value: Any, path: str) -> Decimal | None:
        if value is None:
            return None
        if isinstance(value, bool | float):
            # YAML reads 12400.5 as a float; money must be exact, so ask for a whole number or text.
            self.fail(path, f"write amounts as whole yuan or quoted text, got {value!r}")
            return None
        try:
            return Decimal(str(value).replace(",", ""))
        except InvalidOperation:
            self.fail(path, f"not an amount: {value!r}")
            return None

    def score(self, value: Any, path: str) -> Decimal | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            self.fail(path, f"expected a score between 0 and 1, got {value!r}")
            return None
        return Decimal(str(value))

    def choice(self, value: Any, path: str, allowed: Sequence[str]) -> str:
        if value in allowed:
            return str(value)
        self.fail(path, f"{value!r} is not one of {', '.join(allowed)}")
        return ""

    def choices(self, value: Any, path: str, allowed: Sequence[str]) -> tuple[str, ...]:
        return tuple(self.choice(v, f"{path}[{i}]", allowed) for i, v in enumerate(self.seq(value, path)))

    def rule_key(self, data: Mapping[str, Any], path: str, seen: set[str]) -> str:
        """A rule's key, unique across every rule of the policy: work items and messages are named by it."""
        key = self.text(data.get("key"), f"{path}.key")
        if key in seen:
            self.fail(f"{path}.key", f"duplicate rule key {key!r}")
        seen.add(key)
        return key

    def clock(self, value: Any, path: str) -> time:
        try:
            hours, minutes = str(value).split(":")
            return time(int(hours), int(minutes))
        except (ValueError, TypeError):
            self.fail(path, f"expected HH:MM, got {value!r}")
            return time(0, 0)


def _bands(reader: _Reader, raw: Any, path: str, *, amount: bool) -> tuple[Band, ...]:
    bands: list[Band] = []
    items = reader.seq(raw, path)
    if not items:
        reader.fail(path, "at least one band is required")
    for i, item in enumerate(items):
        here = f"{path}[{i}]"
        data = reader.mapping(item, here)
        key = reader.text(data.get("key"), f"{here}.key")
        upper_raw = data.get("max")
        # A risk score is a probability, so a YAML float is what we expect there; balances are money.
        upper = reader.amount(upper_raw, f"{here}.max") if amount else reader.score(upper_raw, f"{here}.max")
        last = i == len(items) - 1
        if last and upper is not None:
            reader.fail(f"{here}.max", "the last band has no upper bound")
        if not last and upper is None:
            reader.fail(f"{here}.max", "every band but the last needs an upper bound")
        if bands and upper is not None and bands[-1].upper is not None and upper <= bands[-1].upper:
            reader.fail(f"{here}.max", "bounds must increase")
        bands.append(Band(key, upper))
    return tuple(bands)


def _window(reader: _Reader, raw: Any, path: str) -> Window:
    data = reader.mapping(raw, path)
    days = reader.choices(data.get("days", list(WEEKDAYS)), f"{path}.days", WEEKDAYS)
    start = reader.clock(data.get("start"), f"{path}.start")
    end = reader.clock(data.get("end"), f"{path}.end")
    if end <= start:
        reader.fail(path, f"the window must end after it starts ({start:%H:%M}-{end:%H:%M})")
    return Window(days, start, end)


def _trigger(reader: _Reader, raw: Mapping[str, Any], path: str) -> Trigger:
    given = [k for k in ("days", "every", "event") if k in raw]
    if len(given) != 1:
        reader.fail(path, "give exactly one of days, every or event")
        return Trigger()
    if "days" in raw:
        days = tuple(
            reader.integer(d, f"{path}.days[{i}]", minimum=0)
            for i, d in enumerate(reader.seq(raw["days"], f"{path}.days"))
        )
        if not days:
            reader.fail(f"{path}.days", "list at least one day")
        return Trigger(days=days)
    if "every" in raw:
        return Trigger(every=reader.integer(raw["every"], f"{path}.every", minimum=1))
    event = reader.choice(raw["event"], f"{path}.event", EVENTS)
    offsets = tuple(
        reader.integer(o, f"{path}.offsets[{i}]")
        for i, o in enumerate(reader.seq(raw.get("offsets"), f"{path}.offsets"))
    )
    if not offsets:
        reader.fail(f"{path}.offsets", "an event rule needs at least one day offset")
    return Trigger(event=event, offsets=offsets)


def parse_policy(text: str) -> Policy:
    """Parse and validate a policy; raises PolicyError listing every problem."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PolicyError([f"not valid YAML: {exc}"]) from exc
    reader = _Reader()
    doc = reader.mapping(raw, "policy")
    if reader.errors:
        raise PolicyError(reader.errors)

    stages: list[StageSpec] = []
    for i, item in enumerate(reader.seq(doc.get("stages"), "stages")):
        here = f"stages[{i}]"
        data = reader.mapping(item, here)
        key = reader.text(data.get("key"), f"{here}.key")
        max_dpd = data.get("max_dpd")
        if max_dpd is not None:
            max_dpd = reader.integer(max_dpd, f"{here}.max_dpd", minimum=0)
        tone = reader.choice(data.get("tone"), f"{here}.tone", TONES)
        stages.append(StageSpec(key, max_dpd, tone, str(data.get("label_zh", key)), str(data.get("label_en", key))))
    if not stages:
        reader.fail("stages", "at least one stage is required")
    for i, spec in enumerate(stages):
        last = i == len(stages) - 1
        if last != (spec.max_dpd is None):
            reader.fail(f"stages[{i}].max_dpd", "only the last stage is open-ended, and it must be")
        if i and spec.max_dpd is not None and (stages[i - 1].max_dpd or 0) >= spec.max_dpd:
            reader.fail(f"stages[{i}].max_dpd", "stage bounds must increase")
    stage_keys = tuple(s.key for s in stages)
    if len(set(stage_keys)) != len(stage_keys):
        reader.fail("stages", "stage keys must be unique")

    segments = reader.mapping(doc.get("segments", {}), "segments")
    risk_bands = _bands(reader, segments.get("risk"), "segments.risk", amount=False)
    balance_bands = _bands(reader, segments.get("balance"), "segments.balance", amount=True)

    cadence: list[CadenceRule] = []
    seen_keys: set[str] = set()
    for i, item in enumerate(reader.seq(doc.get("cadence"), "cadence")):
        here = f"cadence[{i}]"
        data = reader.mapping(item, here)
        key = reader.rule_key(data, here, seen_keys)
        action = reader.choice(data.get("action"), f"{here}.action", ACTIONS)
        if "channel" in data and action and data["channel"] != ACTION_CHANNELS[action]:
            reader.fail(f"{here}.channel", f"{action} goes out as {ACTION_CHANNELS[action]}")
        rule_stages = reader.choices(data.get("stages"), f"{here}.stages", stage_keys)
        if not rule_stages:
            reader.fail(f"{here}.stages", "name at least one stage")
        trigger = _trigger(reader, reader.mapping(data.get("trigger", {}), f"{here}.trigger"), f"{here}.trigger")
        if trigger.every is not None and len(rule_stages) != 1:
            reader.fail(f"{here}.trigger.every", "'every' counts from one stage's first day: name one stage")
        balance_keys = tuple(b.key for b in balance_bands)
        risk_keys = tuple(b.key for b in risk_bands)
        goal = reader.choice(data["goal"], f"{here}.goal", GOALS) if "goal" in data else ""
        cadence.append(
            CadenceRule(
                key=key,
                action=action,
                template=reader.text(data.get("template"), f"{here}.template"),
                priority=reader.integer(data.get("priority", 10), f"{here}.priority", minimum=0),
                stages=rule_stages,
                trigger=trigger,
                behaviours=reader.choices(data.get("behaviours"), f"{here}.behaviours", BEHAVIOURS),
                risk=reader.choices(data.get("risk"), f"{here}.risk", risk_keys),
                score_bands=reader.choices(data.get("score_band"), f"{here}.score_band", BAND_KEYS),
                balance=reader.choices(data.get("balance"), f"{here}.balance", balance_keys),
                min_balance=reader.amount(data.get("min_balance"), f"{here}.min_balance"),
                max_balance=reader.amount(data.get("max_balance"), f"{here}.max_balance"),
                goal=goal,
            )
        )

    contact_order = reader.choices(
        doc.get("contact_order", ["mobile", "home", "work", "third_party"]), "contact_order", CONTACT_KINDS
    )
    if len(set(contact_order)) != len(contact_order) or not contact_order:
        reader.fail("contact_order", "list each contact kind at most once, at least one")
    windows = tuple(
        _window(reader, w, f"windows[{i}]") for i, w in enumerate(reader.seq(doc.get("windows"), "windows"))
    )
    if not windows:
        reader.fail("windows", "at least one contact window is required")
    business = _window(
        reader,
        doc.get("business_hours", {"days": list(WEEKDAYS), "start": "09:00", "end": "18:00"}),
        "business_hours",
    )

    esc = reader.mapping(doc.get("escalation", {}), "escalation")
    escalation = Escalation(
        specialist_min_balance=reader.amount(
            esc.get("specialist_min_balance", 50000), "escalation.specialist_min_balance"
        )
        or Decimal(0),
        specialist_broken_promises=reader.integer(
            esc.get("specialist_broken_promises", 2), "escalation.specialist_broken_promises", minimum=1
        ),
        specialist_behaviours=reader.choices(
            esc.get("specialist_behaviours", ["dispute"]), "escalation.specialist_behaviours", BEHAVIOURS
        ),
        specialist_holds=reader.choices(
            esc.get("specialist_holds", ["complaint"]), "escalation.specialist_holds", HOLD_REASONS
        ),
        specialist_priority=reader.integer(esc.get("specialist_priority", 80), "escalation.specialist_priority"),
        legal_review_dpd=reader.integer(esc.get("legal_review_dpd", 90), "escalation.legal_review_dpd", minimum=1),
        legal_review_priority=reader.integer(esc.get("legal_review_priority", 70), "escalation.legal_review_priority"),
        legal_checklist=tuple(
            reader.text(v, f"escalation.legal_checklist[{i}]")
            for i, v in enumerate(reader.seq(esc.get("legal_checklist"), "escalation.legal_checklist"))
        ),
        specialist_abusive_calls=reader.integer(
            esc.get("specialist_abusive_calls", 3), "escalation.specialist_abusive_calls", minimum=1
        ),
    )

    holds_raw = reader.mapping(doc.get("holds", {}), "holds")
    holds: dict[str, tuple[str, ...]] = {reason: () for reason in HOLD_REASONS}
    for reason, allowed in holds_raw.items():
        reader.choice(reason, f"holds.{reason}", HOLD_REASONS)
        holds[str(reason)] = reader.choices(
            reader.mapping(allowed, f"holds.{reason}").get("allow"), f"holds.{reason}.allow", ACTIONS
        )

    beh = reader.mapping(doc.get("behaviour", {}), "behaviour")
    behaviour = Behaviour(
        unreachable_failed_attempts=reader.integer(
            beh.get("unreachable_failed_attempts", 3), "behaviour.unreachable_failed_attempts", minimum=1
        ),
        promise_lookahead_days=reader.integer(
            beh.get("promise_lookahead_days", 3), "behaviour.promise_lookahead_days", minimum=0
        ),
    )
    due_reminders: list[DueReminder] = []
    for i, item in enumerate(reader.seq(doc.get("pre_due", []), "pre_due")):
        here = f"pre_due[{i}]"
        data = reader.mapping(item, here)
        key = reader.rule_key(data, here, seen_keys)
        due_reminders.append(
            DueReminder(
                key=key,
                action=reader.choice(data.get("action"), f"{here}.action", DUE_REMINDER_ACTIONS),
                days_before=reader.integer(data.get("days_before"), f"{here}.days_before", minimum=1),
                min_balance=reader.amount(data.get("min_balance"), f"{here}.min_balance"),
            )
        )

    abusive = _abusive(reader, reader.mapping(doc.get("abusive", {}), "abusive"))
    care = tuple(
        _care(reader, reader.mapping(item, f"care[{i}]"), f"care[{i}]", seen_keys)
        for i, item in enumerate(reader.seq(doc.get("care", []), "care"))
    )
    second = None
    if doc.get("second_delinquency") is not None:
        second = _second(reader, reader.mapping(doc["second_delinquency"], "second_delinquency"))

    labels_raw = reader.mapping(doc.get("labels", {}), "labels")
    labels: dict[str, dict[str, str]] = {lang: dict(words) for lang, words in DEFAULT_LABELS.items()}
    for lang, words in labels_raw.items():
        if lang not in labels:
            reader.fail(f"labels.{lang}", "languages are zh and en")
            continue
        for k, v in reader.mapping(words, f"labels.{lang}").items():
            labels[lang][str(k)] = str(v)

    if reader.errors:
        raise PolicyError(reader.errors)
    return Policy(
        name=reader.text(doc.get("name", "policy"), "name"),
        description=str(doc.get("description", "")),
        stages=tuple(stages),
        risk_bands=risk_bands,
        balance_bands=balance_bands,
        cadence=tuple(cadence),
        contact_order=contact_order,
        windows=windows,
        business_hours=business,
        escalation=escalation,
        holds=holds,
        behaviour=behaviour,
        labels=labels,
        pre_due=tuple(due_reminders),
        abusive=abusive,
        care=care,
        second_delinquency=second,
    )


def _abusive(reader: _Reader, raw: Mapping[str, Any]) -> Abusive:
    switch = raw.get("switch_to")
    if switch is not None:
        switch = reader.choice(switch, "abusive.switch_to", DUE_REMINDER_ACTIONS)
    return Abusive(switch_to=switch, template=reader.text(raw.get("template", "reminder_gentle"), "abusive.template"))


def _care(reader: _Reader, raw: Mapping[str, Any], here: str, seen: set[str]) -> CareCampaign:
    festivals = reader.choices(raw.get("festivals"), f"{here}.festivals", CARE_FESTIVALS)
    if not festivals:
        reader.fail(f"{here}.festivals", "name at least one festival")
    segments = reader.choices(raw.get("segments", list(CARE_SEGMENTS)), f"{here}.segments", CARE_SEGMENTS)
    if not segments:
        reader.fail(f"{here}.segments", "name at least one segment")
    return CareCampaign(
        key=reader.rule_key(raw, here, seen),
        festivals=festivals,
        action=reader.choice(raw.get("action", "sms"), f"{here}.action", DUE_REMINDER_ACTIONS),
        days_before=reader.integer(raw.get("days_before", 1), f"{here}.days_before", minimum=0),
        segments=segments,
        closed_within_days=reader.integer(raw.get("closed_within_days", 90), f"{here}.closed_within_days", minimum=1),
        working_days_only=bool(raw.get("working_days_only", True)),
    )


def _second(reader: _Reader, raw: Mapping[str, Any]) -> SecondDelinquency:
    return SecondDelinquency(
        action=reader.choice(raw.get("action", "sms"), "second_delinquency.action", DUE_REMINDER_ACTIONS),
        days_before=reader.integer(raw.get("days_before", 3), "second_delinquency.days_before", minimum=1),
        closed_within_days=reader.integer(
            raw.get("closed_within_days", 90), "second_delinquency.closed_within_days", minimum=1
        ),
    )


def canonical_yaml(policy: Policy) -> str:
    """The policy's meaning as sorted YAML: comments and key order do not make a new version."""
    return yaml.safe_dump(policy.as_dict(), allow_unicode=True, sort_keys=True, width=100)


def diff_policies(old: Policy, new: Policy, old_name: str = "old", new_name: str = "new") -> str:
    """A unified diff of the two policies' meaning (not of their formatting)."""
    return "".join(
        difflib.unified_diff(
            canonical_yaml(old).splitlines(keepends=True),
            canonical_yaml(new).splitlines(keepends=True),
            fromfile=old_name,
            tofile=new_name,
        )
    )


def bare_label(text: str) -> str:
    """A reason-chain label without the count it is filled with ('跳票{n}次' → '跳票'): a filter's or a column's."""
    return text.replace("{n}次", "").replace("{n} ", "").replace("(s)", "s")


def behaviour_choices(labels: Mapping[str, Mapping[str, str]] = DEFAULT_LABELS) -> list[tuple[str, tuple[str, ...]]]:
    """Each behaviour type with its bare label in every language: what a filter accepts besides the code."""
    return [(b, tuple(bare_label(by_code.get(b, b)) for by_code in labels.values())) for b in BEHAVIOURS]
