"""Policy evaluation over a columnar snapshot of open cases: what happens today for every case, and why.

Everything is Polars expressions over whole columns: one pass classifies every case (DPD, stage, bucket,
behaviour type, segment), then each cadence rule is one filter. There is no per-case Python, which is what
keeps a million cases within a few seconds.

The snapshot (one row per open case) is described by ``SNAPSHOT_SCHEMA``; the Django side reads it in bulk
and the tests build it by hand. Money arrives as integer fen, so no float ever touches an amount.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl

from huikuan.kernel.holds import HOLD_LABELS, hold_label
from huikuan.kernel.holidays import Calendar, is_working_day
from huikuan.kernel.localtime import DEFAULT_TIME_ZONE
from huikuan.kernel.money import grouped_digits
from huikuan.kernel.scoring.bands import band_expression
from huikuan.kernel.strategy.policy import WEEKDAYS, CadenceRule, Policy, Window

SNAPSHOT_SCHEMA: dict[str, pl.DataType] = {
    "case_id": pl.Int64(),
    "status": pl.Utf8(),
    "hold_reason": pl.Utf8(),
    "oldest_due_date": pl.Date(),
    "team_id": pl.Int64(),
    "assignee_id": pl.Int64(),
    "time_zone": pl.Utf8(),
    "balance_fen": pl.Int64(),
    # 1 − the repayment probability of the scoring model in force (0 good, 1 bad); null without a model,
    # and then a rules proxy stands in. With it, the queue's priority is the expected yuan recovered.
    "risk_score": pl.Float64(),
    "broken_promises": pl.Int32(),
    "kept_promises": pl.Int32(),
    "last_broken_due": pl.Date(),
    # The earliest pending promise falling due on or after yesterday.
    "next_promise_due": pl.Date(),
    "payments_since_due": pl.Int32(),
    # Earlier delinquencies of this debtor that ended with the balance paid.
    "cured_episodes": pl.Int32(),
    "refusals_30d": pl.Int32(),
    "hardship_90d": pl.Int32(),
    "disputes_90d": pl.Int32(),
    "failed_attempts_30d": pl.Int32(),
    "rpc_30d": pl.Int32(),
    "escalated_before": pl.Boolean(),
    "legal_review_before": pl.Boolean(),
    # The first usable (valid or unverified, not do-not-contact) contact point of each kind.
    "mobile_id": pl.Int64(),
    "home_id": pl.Int64(),
    "work_id": pl.Int64(),
    "email_id": pl.Int64(),
    "postal_id": pl.Int64(),
    "third_party_id": pl.Int64(),
    # The debtor's own phones that work but are marked do-not-contact: not called, yet not 失联 either.
    "dnc_phones": pl.Int32(),
    # The plan in force: its next unpaid instalment from today on, and the latest instalment unpaid after its
    # due date (of the plan in force or a broken one); plans of the case that broke count like broken promises.
    "next_instalment_due": pl.Date(),
    "last_missed_instalment": pl.Date(),
    "broken_plans": pl.Int32(),
    # Calls ended because the debtor was abusive since the last calm conversation with them.
    "abusive_streak": pl.Int32(),
}
# Columns a snapshot built before follow-up existed may lack: they mean "nothing of the kind".
_FOLLOW_UP_DEFAULTS = {
    "next_instalment_due": None,
    "last_missed_instalment": None,
    "broken_plans": 0,
    "abusive_streak": 0,
}

PLANNED_SCHEMA: dict[str, pl.DataType] = {
    "case_id": pl.Int64(),
    "action": pl.Utf8(),
    "channel": pl.Utf8(),
    "template": pl.Utf8(),
    "rule": pl.Utf8(),
    "contact_point_id": pl.Int64(),
    "party": pl.Utf8(),
    "window_start": pl.Datetime("us", "UTC"),
    "window_end": pl.Datetime("us", "UTC"),
    "window_start_local": pl.Int32(),
    "window_end_local": pl.Int32(),
    "priority": pl.Int64(),
    "stage": pl.Utf8(),
    "bucket": pl.Utf8(),
    "behaviour": pl.Utf8(),
    "risk_band": pl.Utf8(),
    "balance_band": pl.Utf8(),
    "hold": pl.Utf8(),
    "unreachable": pl.Boolean(),
    "specialist": pl.Boolean(),
    "contact_dnc": pl.Boolean(),
    "queue": pl.Utf8(),
    "team_id": pl.Int64(),
    "assignee_id": pl.Int64(),
    "reason_zh": pl.Utf8(),
    "reason_en": pl.Utf8(),
    "goal": pl.Utf8(),
}

# Who works an item: automatic channels go to the outbox, calls and visits to collectors.
QUEUES = {
    "sms": "auto",
    "email": "auto",
    "letter": "auto",
    "lawyer_letter": "auto",
    "call": "collector",
    "visit": "collector",
    "escalate_specialist": "specialist",
    "legal_review": "legal",
}
_CONTACT_COLUMNS = {"mobile": "mobile_id", "home": "home_id", "work": "work_id"}
# The classified columns the planned items are built from (``evaluate``, after the join with what is wanted).
_AFTER_CLASSIFY = [
    "case_id", "dpd", "stage", "bucket", "behaviour", "broken_total", "risk_band", "balance_band", "hold",
    "unreachable", "specialist", "team_id", "assignee_id", "time_zone", "balance_fen", "risk_score",
    *_CONTACT_COLUMNS.values(), "email_id", "postal_id", "third_party_id",
]  # fmt: skip


@dataclass(frozen=True)
class Evaluation:
    planned: pl.DataFrame
    # Items the policy wanted but could not plan, by why: no contact point, no window today.
    unplanned: dict[str, int]
    held: int
    # The cases classified as sincere payers: a segment of the care campaigns.
    sincere: tuple[int, ...] = ()


def empty_snapshot() -> pl.DataFrame:
    return pl.DataFrame(schema=SNAPSHOT_SCHEMA)


def _days(as_of: date, column: str) -> pl.Expr:
    """Whole days from the date in ``column`` to ``as_of`` (positive when the date is earlier)."""
    return (pl.lit(as_of) - pl.col(column)).dt.total_days()


def _complete(snapshot: pl.DataFrame) -> pl.DataFrame:
    missing = [name for name in _FOLLOW_UP_DEFAULTS if name not in snapshot.columns]
    if missing:
        snapshot = snapshot.with_columns(
            pl.lit(_FOLLOW_UP_DEFAULTS[name], SNAPSHOT_SCHEMA[name]).alias(name) for name in missing
        )
    return snapshot.with_columns(pl.col("broken_plans").fill_null(0), pl.col("abusive_streak").fill_null(0))


# The DPD buckets and the last DPD of each.
_BUCKETS: tuple[tuple[str, int | None], ...] = (("M0", 0), ("M1", 30), ("M2", 60), ("M3", 90), ("M3+", None))


def classify(snapshot: pl.DataFrame, policy: Policy, as_of: date, *, enums: bool = False) -> pl.DataFrame:
    """Adds dpd, bucket, stage, hold, unreachable, behaviour, risk and balance bands, specialist.

    With ``enums`` the labels (stage, bucket, behaviour, the bands) are enums of the keys they can hold rather
    than text, as ``evaluate`` reads them: its rules test them against lists, an integer comparison on an
    enum and a string comparison on text (20 rules over 1M cases), and it looks its texts up by their number.

    ``broken_total`` is the broken promises and the broken plans together: a plan broken is a promise of
    several payments broken, and weighs the same in the behaviour type, the risk proxy and escalation.
    """
    snapshot = _complete(snapshot).with_columns(
        (pl.col("broken_promises") + pl.col("broken_plans")).cast(pl.Int32).alias("broken_total")
    )
    dpd = _days(as_of, "oldest_due_date").fill_null(0).clip(lower_bound=0).cast(pl.Int32)
    stage = _first(
        [(pl.col("dpd") <= spec.max_dpd if spec.max_dpd is not None else None, spec.key) for spec in policy.stages],
        enums,
    )
    bucket = _first([(pl.col("dpd") <= upper if upper is not None else None, key) for key, upper in _BUCKETS], enums)
    # A case handed to legal behaves like a hold named "legal": only what that hold allows goes ahead.
    hold = (
        pl.when(pl.col("status") == "legal")
        .then(pl.lit("legal"))
        .when(pl.col("status") == "on_hold")
        .then(pl.col("hold_reason").fill_null(""))
        .otherwise(pl.lit(""))
    )
    own_phone = pl.any_horizontal(pl.col(c).is_not_null() for c in _CONTACT_COLUMNS.values())
    # 失联 is numbers invalid or calls failing; a do-not-contact number is the debtor's wish, not a reason to
    # turn to their family.
    no_working_phone = ~own_phone & (pl.col("dnc_phones").fill_null(0) == 0)
    unreachable = no_working_phone | (
        (pl.col("failed_attempts_30d") >= policy.behaviour.unreachable_failed_attempts) & (pl.col("rpc_30d") == 0)
    )
    until_promise = -_days(as_of, "next_promise_due")
    promise_pending = until_promise.is_between(-1, policy.behaviour.promise_lookahead_days).fill_null(False)
    # The order is the precedence: a dispute outranks everything. First-time late is what remains: no
    # payment since the due date, no promise kept, no earlier delinquency paid off, nothing else known.
    behaviour = _first(
        [
            ((pl.col("disputes_90d") > 0) | (pl.col("hold") == "dispute"), "dispute"),
            ((pl.col("hardship_90d") > 0) | (pl.col("hold") == "hardship_review"), "hardship"),
            (pl.col("refusals_30d") > 0, "refuses"),
            (promise_pending, "promise_pending"),
            (pl.col("unreachable"), "unreachable"),
            (pl.col("broken_total") > 0, "broken_promise"),
            (
                (pl.col("payments_since_due") > 0) | (pl.col("kept_promises") > 0) | (pl.col("cured_episodes") > 0),
                "sincere_payer",
            ),
            (None, "first_time_late"),
        ],
        enums,
    )
    # A case without a repayment score gets a rules proxy for its risk (0 good, 1 bad): older debt,
    # broken promises and being unreachable raise it, paying lowers it.
    proxy = (
        pl.lit(0.1)
        + (pl.col("dpd") > 30).cast(pl.Float64) * 0.25
        + (pl.col("dpd") > 90).cast(pl.Float64) * 0.2
        + pl.col("broken_total").clip(upper_bound=2).cast(pl.Float64) * 0.15
        + pl.col("unreachable").cast(pl.Float64) * 0.15
        - (pl.col("payments_since_due") > 0).cast(pl.Float64) * 0.1
    ).clip(0.0, 1.0)
    risk_score = pl.coalesce(pl.col("risk_score"), proxy)
    risk_band = _band(
        risk_score, [(b.key, float(b.upper) if b.upper is not None else None) for b in policy.risk_bands], enums
    )
    balance_band = _band(
        pl.col("balance_fen"),
        [(b.key, int(b.upper * 100) if b.upper is not None else None) for b in policy.balance_bands],
        enums,
    )
    esc = policy.escalation
    specialist = (
        (pl.col("balance_fen") >= int(esc.specialist_min_balance * 100))
        | (pl.col("broken_total") >= esc.specialist_broken_promises)
        | (pl.col("abusive_streak") >= esc.specialist_abusive_calls)
        | pl.col("behaviour").is_in(list(esc.specialist_behaviours))
        | pl.col("hold").is_in(list(esc.specialist_holds))
    )
    return (
        snapshot.with_columns(dpd.alias("dpd"), hold.alias("hold"), unreachable.alias("unreachable"))
        .with_columns(
            stage.alias("stage"),
            bucket.alias("bucket"),
            behaviour.alias("behaviour"),
        )
        .with_columns(risk_band.alias("risk_band"), balance_band.alias("balance_band"), specialist.alias("specialist"))
    )


def _band(value: pl.Expr, bands: list[tuple[str, float | int | None]], enums: bool) -> pl.Expr:
    return _first([(value <= upper if upper is not None else None, key) for key, upper in bands], enums)


def _first(choices: list[tuple[pl.Expr | None, str]], enums: bool) -> pl.Expr:
    """The label of the first condition that holds (None: otherwise; null when none holds and no otherwise),
    as text or, with ``enums``, as an enum of the labels in their order.

    Chosen as a small number and looked up once in the labels: a when/then chain of text literals builds a
    whole text column at each step, ten times the time over a million cases.
    """
    labels = list(dict.fromkeys(label for _, label in choices))
    number: Any = pl.when(pl.lit(False)).then(pl.lit(None, pl.UInt32))
    for condition, label in choices:
        place = pl.lit(labels.index(label), pl.UInt32)
        number = number.when(condition).then(place) if condition is not None else number.otherwise(place)
    return pl.lit(pl.Series(labels, dtype=pl.Enum(labels) if enums else pl.Utf8)).gather(number)


def _working(calendar: Calendar | None, day: date) -> bool:
    """A working day in ``calendar``; without one, Monday to Friday."""
    return is_working_day(calendar, day) if calendar is not None else day.weekday() < 5


# How far around today the instalment events look for due dates: longer than any run of rest days.
_EVENT_REACH = 60


def _working_on_or_before(calendar: Calendar | None, day: date) -> date:
    while not _working(calendar, day):
        day -= timedelta(days=1)
    return day


def _nth_working_after(calendar: Calendar | None, day: date, n: int) -> date:
    for _ in range(n):
        day += timedelta(days=1)
        while not _working(calendar, day):
            day += timedelta(days=1)
    return day


def instalment_reminder_dues(as_of: date, offsets: tuple[int, ...], calendar: Calendar | None) -> list[date]:
    """The instalment due dates whose reminder goes out today: offset -3 is three days before the due date,
    moved back to the last working day when that day is a weekend or a holiday, so nothing goes out on a
    rest day and nothing is lost to one. A handful of dates per run, not per case."""
    if not _working(calendar, as_of):
        return []
    window = (as_of + timedelta(days=k) for k in range(-_EVENT_REACH, _EVENT_REACH))
    return [
        due for due in window if any(_working_on_or_before(calendar, due + timedelta(days=o)) == as_of for o in offsets)
    ]


def missed_instalment_dues(as_of: date, offsets: tuple[int, ...], calendar: Calendar | None) -> list[date]:
    """The due dates of which today is the n-th working day after, for each offset n ≥ 1."""
    window = (as_of - timedelta(days=k) for k in range(_EVENT_REACH, 0, -1))
    return [due for due in window if any(n >= 1 and _nth_working_after(calendar, due, n) == as_of for n in offsets)]


def _rule_mask(rule: CadenceRule, policy: Policy, as_of: date, calendar: Calendar | None = None) -> pl.Expr:
    mask = pl.col("stage").is_in(list(rule.stages))
    trigger = rule.trigger
    if trigger.days:
        mask &= pl.col("dpd").is_in(list(trigger.days))
    elif trigger.every is not None:
        start = policy.stage_start(rule.stages[0])
        mask &= ((pl.col("dpd") - start) % trigger.every) == 0
    elif trigger.event == "promise_due":
        mask &= _days(as_of, "next_promise_due").is_in(list(trigger.offsets)).fill_null(False)
    elif trigger.event == "promise_broken":
        mask &= _days(as_of, "last_broken_due").is_in(list(trigger.offsets)).fill_null(False)
    elif trigger.event == "instalment_due":
        dues = instalment_reminder_dues(as_of, trigger.offsets, calendar)
        mask &= pl.col("next_instalment_due").is_in(dues).fill_null(False)
    elif trigger.event == "instalment_missed":
        dues = missed_instalment_dues(as_of, trigger.offsets, calendar)
        mask &= pl.col("last_missed_instalment").is_in(dues).fill_null(False)
    if rule.behaviours:
        mask &= pl.col("behaviour").is_in(list(rule.behaviours))
    if rule.risk:
        mask &= pl.col("risk_band").is_in(list(rule.risk))
    if rule.score_bands:
        # The model's band of the case: risk_score is 1 − its probability, null without a model (no match).
        band = band_expression(1.0 - pl.col("risk_score"))
        mask &= band.is_in(list(rule.score_bands)).fill_null(False)
    if rule.balance:
        mask &= pl.col("balance_band").is_in(list(rule.balance))
    if rule.min_balance is not None:
        mask &= pl.col("balance_fen") >= int(rule.min_balance * 100)
    if rule.max_balance is not None:
        mask &= pl.col("balance_fen") <= int(rule.max_balance * 100)
    return mask


@dataclass(frozen=True)
class _Variant:
    """What one rule asks for: the rule's own item, or a call rule's message after abuse."""

    action: str
    template: str
    goal: str
    rule: str
    weight: int


def _rule_parts(
    policy: Policy, as_of: date, calendar: Calendar | None
) -> list[tuple[int, str, pl.Expr, list[_Variant], pl.Expr | None]]:
    """(priority, key, mask, variants, which variant) of every rule and both escalations; ``which`` picks the
    second variant where it is true (a call rule's items after abuse), None when there is one."""
    parts: list[tuple[int, str, pl.Expr, list[_Variant], pl.Expr | None]] = []
    switch = policy.abusive.switch_to
    for rule in policy.cadence:
        variants = [_Variant(rule.action, rule.template, rule.objective, rule.key, rule.priority)]
        which = None
        if rule.action == "call" and switch:
            variants.append(_Variant(switch, policy.abusive.template, "remind", rule.key, rule.priority))
            which = pl.col("abusive_streak") > 0
        parts.append((rule.priority, rule.key, _rule_mask(rule, policy, as_of, calendar), variants, which))
    esc = policy.escalation
    parts.append(
        (
            esc.specialist_priority,
            "escalation.specialist",
            pl.col("specialist") & ~pl.col("escalated_before").fill_null(False),
            [
                _Variant(
                    "escalate_specialist", "escalate_specialist", "hand_over", "escalation.specialist",
                    esc.specialist_priority,
                )
            ],
            None,
        )
    )  # fmt: skip
    parts.append(
        (
            esc.legal_review_priority,
            "escalation.legal_review",
            (pl.col("dpd") >= esc.legal_review_dpd) & ~pl.col("legal_review_before").fill_null(False),
            [
                _Variant(
                    "legal_review", "legal_review", "legal_review", "escalation.legal_review",
                    esc.legal_review_priority,
                )
            ],
            None,
        )
    )  # fmt: skip
    return parts


def _wanted(
    classified: pl.DataFrame, policy: Policy, as_of: date, calendar: Calendar | None = None
) -> tuple[pl.DataFrame, list[_Variant]]:
    """Every (case, action) the policy asks for today, before holds, contacts and windows, in (case_id, action)
    order: the classified row (``row``) and the index of the rule's variant (``variant``) that asks for it.

    One item per case and action: the heaviest rule wins, ties broken by rule key so runs are stable. The
    variants are numbered in that order, so each pair's choice is its smallest variant. Each rule's filter
    keeps two integers, not the rule's texts: the texts are gathered once from the variants, for the items
    that remain; the action's place in text order, times the count of variants, plus the variant, gives one
    integer that sorts by action and then by precedence, and with the case id it orders the items once for
    good (every later step keeps the order), where a hash on (case, action) and a sort of the finished
    27-column frame were a quarter of the time. The snapshot has one row per case (``SNAPSHOT_SCHEMA``).
    """
    # ``classified`` has its labels as enums (``classify``): each rule's test of a label is an integer one.
    lazy = classified.lazy().with_row_index("row")
    variants: list[_Variant] = []
    parts: list[pl.LazyFrame] = []
    for _, _, mask, own, which in sorted(_rule_parts(policy, as_of, calendar), key=lambda p: (-p[0], p[1])):
        first = pl.lit(len(variants), pl.UInt32)
        variant = first if which is None else pl.when(which).then(pl.lit(len(variants) + 1, pl.UInt32)).otherwise(first)
        variants.extend(own)
        parts.append(lazy.filter(mask).select("row", variant.alias("variant")))
    actions = {action: place for place, action in enumerate(sorted({v.action for v in variants}))}
    order = pl.Series([actions[v.action] * len(variants) + i for i, v in enumerate(variants)], dtype=pl.UInt32)
    wanted = pl.concat(parts).collect()
    wanted = wanted.with_columns(
        classified.get_column("case_id").gather(wanted.get_column("row")).alias("case_id"),
        order.gather(wanted.get_column("variant")).alias("order"),
    )
    # One integer key sorts in half the time of two columns; the case ids' range decides whether it fits.
    lowest, highest = classified.select(pl.col("case_id").min().alias("lo"), pl.col("case_id").max().alias("hi")).row(0)
    span = len(actions) * len(variants)
    if lowest is not None and (highest - lowest + 1) * span < 2**63:
        key = (pl.col("case_id") - lowest) * span + pl.col("order")
        wanted = wanted.sort(key)
    else:
        wanted = wanted.sort(["case_id", "order"])
    action = pl.col("order") // len(variants)
    first_of_pair = (pl.col("case_id") != pl.col("case_id").shift()) | (action != action.shift())
    return wanted.filter(first_of_pair.fill_null(True)).select("row", "variant"), variants


def window_weekday(as_of: date, calendar: Calendar | None) -> str:
    """The weekday whose windows apply: a holiday on a weekday is a Sunday, a make-up working day is a Monday."""
    weekday = as_of.weekday()
    if calendar is not None:
        working = is_working_day(calendar, as_of)
        if weekday < 5 and not working:
            weekday = 6
        elif weekday >= 5 and working:
            weekday = 0
    return WEEKDAYS[weekday]


def _window_table(policy: Policy, time_zones: list[str], as_of: date, calendar: Calendar | None = None) -> pl.DataFrame:
    """Each time zone's contact and business window for ``as_of`` in UTC; computed per zone, not per row."""
    weekday = window_weekday(as_of, calendar)

    def today(windows: tuple[Window, ...]) -> Window | None:
        return next((w for w in windows if weekday in w.days), None)

    rows: list[dict[str, object]] = []
    for tz_name in time_zones:
        try:
            zone = ZoneInfo(tz_name or DEFAULT_TIME_ZONE)
        except (ZoneInfoNotFoundError, ValueError):
            zone = ZoneInfo(DEFAULT_TIME_ZONE)
        for kind, window in (
            ("contact", today(policy.windows)),
            ("business", today((policy.business_hours,))),
        ):
            if window is None:
                continue
            start = datetime.combine(as_of, window.start, tzinfo=zone).astimezone(UTC)
            end = datetime.combine(as_of, window.end, tzinfo=zone).astimezone(UTC)
            rows.append(
                {
                    "time_zone": tz_name,
                    "window_kind": kind,
                    "window_start": start,
                    "window_end": end,
                    "window_start_local": window.start.hour * 60 + window.start.minute,
                    "window_end_local": window.end.hour * 60 + window.end.minute,
                }
            )
    return pl.DataFrame(
        rows,
        schema={
            "time_zone": pl.Utf8,
            "window_kind": pl.Utf8,
            "window_start": pl.Datetime("us", "UTC"),
            "window_end": pl.Datetime("us", "UTC"),
            "window_start_local": pl.Int32,
            "window_end_local": pl.Int32,
        },
    )


def _thousands(fen: pl.Expr, largest: int | None) -> pl.Expr:
    """Whole yuan, rounded half up, with thousands separators: 1240000 fen -> '12,400'.

    ``largest`` is the largest absolute amount in fen (None: no amounts): only the groups of three digits it
    needs are made, half of them or fewer for real balances, each a cast and a zero fill over every item.
    """
    largest_yuan = (largest + 50) // 100 if largest is not None else 0
    text = grouped_digits((fen.abs() + 50) // 100, groups=max(1, (len(str(largest_yuan)) + 2) // 3))
    return pl.when(fen < 0).then(pl.lit("-") + text).otherwise(text)


def _opening_number(behaviours: list[str], broken: range) -> pl.Expr:
    """Which of ``_reason``'s openings an item's reason starts with, from its bucket and behaviour codes:
    per bucket, one per behaviour, then one per count of broken promises in ``broken`` (the counts of the
    items whose behaviour is broken_promise)."""
    per_bucket = len(behaviours) + len(broken)
    broken_count = pl.col("broken_total").cast(pl.Int64) - broken.start + len(behaviours)
    chosen = pl.when(pl.col("behaviour") == "broken_promise").then(broken_count)
    return pl.col("bucket_code").cast(pl.Int64) * per_bucket + chosen.otherwise(pl.col("behaviour_code").cast(pl.Int64))


def _categories(frame: pl.DataFrame, name: str) -> list[str]:
    """The labels of an enum column in the order of their numbers."""
    dtype = frame.schema[name]
    assert isinstance(dtype, pl.Enum)
    return list(dtype.categories)


def _reason(policy: Policy, language: str, labels: tuple[list[str], list[str]], broken: range) -> pl.Expr:
    """bucket · behaviour · balance [· hold] → action, in ``language``.

    Everything before the amount depends only on the bucket, the behaviour and, for broken promises, their
    count: those openings are written once each, here, and each item's is picked by number
    (``_opening_number``); ``labels`` are the buckets and the behaviours in the order of their enums' numbers.
    Pieced together per item, with a look-up and a when/then over every item for the behaviour, a reason
    took three times as long.
    """
    head, _, tail = policy.label(language, "broken_promise").partition("{n}")
    money_head, _, money_tail = policy.label(language, "balance").partition("{amount}")
    openings = [
        f"{bucket} · {text} · {money_head}"
        for bucket in labels[0]
        for text in [
            *(policy.label(language, key) if key != "broken_promise" else "" for key in labels[1]),
            *(f"{head}{count}{tail}" for count in broken),
        ]
    ]
    held = (
        pl.when(pl.col("hold") != "")
        .then(
            pl.concat_str(
                pl.lit(" · " + policy.label(language, "hold") + " "),
                pl.col("hold").replace_strict(
                    {code: hold_label(code, language) for code in HOLD_LABELS}, default=pl.col("hold")
                ),
            )
        )
        .otherwise(pl.lit(""))
    )
    return pl.concat_str(
        pl.lit(pl.Series(openings, dtype=pl.Utf8)).gather(_opening_number(labels[1], broken)),
        pl.col("balance_text"),
        pl.lit(money_tail),
        held,
        pl.col(f"action_{language}"),
    )


def _channel(action: str) -> str:
    if action in ("escalate_specialist", "legal_review"):
        return "queue"
    return "letter" if action == "lawyer_letter" else action


def _window_kind(channel: str) -> str:
    return "business" if channel in ("letter", "queue") else "contact"


def _contact_point(policy: Policy, variants: list[_Variant]) -> pl.Expr:
    """The contact point of each item, by what its variant's action reaches."""
    own_phone = pl.coalesce(*(pl.col(_CONTACT_COLUMNS[k]) for k in policy.contact_order if k in _CONTACT_COLUMNS))
    call_point = (
        pl.coalesce(own_phone, pl.when(pl.col("unreachable")).then(pl.col("third_party_id")))
        if "third_party" in policy.contact_order
        else own_phone
    )
    reached: list[tuple[tuple[str, ...], pl.Expr]] = [
        (("call",), call_point),
        (("sms",), pl.col("mobile_id")),
        (("email",), pl.col("email_id")),
        (("letter", "lawyer_letter", "visit"), pl.col("postal_id")),
    ]
    point: Any = pl.when(pl.lit(False)).then(pl.lit(None, pl.Int64))
    for actions, column in reached:
        point = point.when(pl.col("variant").is_in(_numbers(variants, actions))).then(column)
    return point.otherwise(pl.lit(None, pl.Int64))


def _numbers(variants: list[_Variant], actions: tuple[str, ...] | list[str]) -> list[int]:
    """The variants whose action is one of ``actions``."""
    return [i for i, v in enumerate(variants) if v.action in actions]


def evaluate(snapshot: pl.DataFrame, policy: Policy, as_of: date, calendar: Calendar | None = None) -> Evaluation:
    """Today's planned items for every case in ``snapshot`` under ``policy`` (PLANNED_SCHEMA columns).

    ``calendar`` (the installation's official days, or a library calendar's name) decides which windows a
    day has and which days are working days for the instalment events; without one, Monday to Friday work.
    """
    classified = classify(snapshot, policy, as_of, enums=True)
    wanted, variants = _wanted(classified, policy, as_of, calendar)
    # What depends only on the action is worked out once per variant, over a handful of rows, and gathered:
    # the same when/then and look-ups over every item cost more.
    channels = [_channel(v.action) for v in variants]
    per_variant = pl.DataFrame(
        {
            "action": [v.action for v in variants],
            "template": [v.template for v in variants],
            "goal": [v.goal for v in variants],
            "rule": [v.rule for v in variants],
            "weight": [v.weight for v in variants],
            "channel": channels,
            "window_kind": [_window_kind(c) for c in channels],
            "queue": [QUEUES.get(v.action, "auto") for v in variants],
            **{
                f"action_{language}": [
                    " → " + (policy.label(language, v.action) if v.action in QUEUES else "") for v in variants
                ]
                for language in ("zh", "en")
            },
        },
        schema_overrides={"weight": pl.Int64},
    )
    # Only what the items still read: every later filter copies each column of the frame, and the history
    # counts that classify has turned into behaviour, risk and stage were half the columns of 681,000 rows
    # at 1M cases. A column named here and missing, or read below and not named, fails loudly. Gathered by
    # row in the wanted items' order: a join on the case id cost twice as much.
    items = (
        classified.select(_AFTER_CLASSIFY)[wanted.get_column("row")]
        .hstack(per_variant[wanted.get_column("variant")])
        .hstack([wanted.get_column("variant")])
    )

    allowed: Any = pl.lit(False)
    for reason, actions in policy.holds.items():
        allowed = allowed | ((pl.col("hold") == reason) & pl.col("variant").is_in(_numbers(variants, actions)))
    on_hold = (pl.col("hold") != "") & ~allowed
    held = int(items.select(on_hold.sum()).item())
    items = items.filter(~on_hold)

    items = items.with_columns(_contact_point(policy, variants).alias("contact_point_id"))
    is_contact = pl.col("channel") != "queue"
    no_contact = is_contact & pl.col("contact_point_id").is_null()
    unplanned = {"no_contact_point": int(items.select(no_contact.sum()).item())}
    items = items.filter(~no_contact).with_columns(
        pl.when(~is_contact)
        .then(pl.lit(""))
        .when(
            pl.col("variant").is_in(_numbers(variants, ("call",)))
            & (pl.col("contact_point_id") == pl.col("third_party_id"))
            & pl.coalesce(*(pl.col(c) for c in _CONTACT_COLUMNS.values())).is_null()
        )
        .then(pl.lit("third_party"))
        .otherwise(pl.lit("debtor"))
        .alias("party"),
        pl.col("time_zone").fill_null(DEFAULT_TIME_ZONE),
    )
    zones = sorted(items.get_column("time_zone").unique().to_list())
    items = items.join(
        _window_table(policy, zones, as_of, calendar),
        on=["time_zone", "window_kind"],
        how="left",
        maintain_order="left",
    )
    no_window = pl.col("window_start").is_null()
    unplanned["no_window_today"] = int(items.select(no_window.sum()).item())
    items = items.filter(~no_window)

    balance_rank = (
        pl.col("balance_band")
        .cast(pl.Utf8)
        .replace_strict(
            {band.key: rank for rank, band in enumerate(policy.balance_bands)}, default=0, return_dtype=pl.Int64
        )
    )
    queue = pl.when((pl.col("queue") == "collector") & pl.col("specialist")).then(pl.lit("specialist"))
    largest = items.select(pl.col("balance_fen").abs().max()).item()
    items = items.with_columns(
        _thousands(pl.col("balance_fen"), largest).alias("balance_text"),
        pl.col("bucket").to_physical().alias("bucket_code"),
        pl.col("behaviour").to_physical().alias("behaviour_code"),
    )
    broken_counts = pl.col("broken_total").filter(pl.col("behaviour") == "broken_promise")
    fewest, most = items.select(broken_counts.min().alias("fewest"), broken_counts.max().alias("most")).row(0)
    broken = range(fewest, most + 1) if fewest is not None else range(0)
    labels = (_categories(items, "bucket"), _categories(items, "behaviour"))
    # With a scoring model, the money expected back (probability of paying × balance) orders a rule's items,
    # on a log scale that fits in the rule's hundred: 1 yuan → 0, 10,000 yuan → 64, 1,000,000 → 96.
    expected_yuan = (1.0 - pl.col("risk_score")) * pl.col("balance_fen").cast(pl.Float64) / 100
    by_expected = ((expected_yuan + 1).log10() * 16).floor().clip(0, 99).cast(pl.Int64)
    by_rules = balance_rank * 10 + (pl.col("dpd") // 30).clip(upper_bound=9)
    planned = items.with_columns(
        # Rule weight first, then the money at stake (expected, with a model), then age: the queue's order.
        (
            pl.col("weight") * 100 + pl.when(pl.col("risk_score").is_not_null()).then(by_expected).otherwise(by_rules)
        ).alias("priority"),
        queue.otherwise(pl.col("queue")).alias("queue"),
        pl.lit(False).alias("contact_dnc"),
        _reason(policy, "zh", labels, broken).alias("reason_zh"),
        _reason(policy, "en", labels, broken).alias("reason_en"),
    )
    # No sort: the wanted items came in (case_id, action) order and every step since kept it.
    planned = planned.select([pl.col(name).cast(dtype) for name, dtype in PLANNED_SCHEMA.items()])
    # The two columns only: a filter of the whole classified frame copied every one of its columns.
    sincere = classified.get_column("case_id").filter(classified.get_column("behaviour") == "sincere_payer").to_list()
    return Evaluation(planned, unplanned, held, tuple(sincere))
