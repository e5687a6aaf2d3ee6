"""The contact gate over a whole plan at once, for the nightly strategy run.

``check_contacts(frame, pack)`` takes one row per planned contact and answers with polars expressions
only — the loops are over time zones, rules and calendar days, never over rows. The caller aggregates the
history into counts (columns below) in bulk; the scalar gate (gate.py) remains the reference and a test
holds the two in agreement on thousands of random plans.

Input columns (``PLAN_SCHEMA``):

===========================  ===============  ==========================================================
column                       type             meaning
===========================  ===============  ==========================================================
at                           Datetime UTC     planned instant
debtor_tz                    Utf8             IANA zone of the debtor, e.g. Asia/Shanghai
channel                      Utf8             call / sms / email / letter / visit
automated                    Boolean          sent by a machine (robocall, bulk SMS)
collectors                   Int64            people on a visit
point_owner                  Utf8             debtor / guarantor / third_party
point_kind                   Utf8             mobile / home / work / email / postal (gate.PointKind)
point_valid                  Boolean          the number/address still works
point_dnc                    Boolean          do-not-contact on this point
channel_stopped              Boolean          the debtor asked to stop this channel
quiet_hours_consent          Boolean          the debtor agreed to contact in quiet hours
debtor_unreachable           Boolean          失联 (gate.debtor_unreachable on the history)
incapacitated                Boolean          debtor lacks capacity
third_party_refused          Boolean          this third party refused, at any time
third_party_answered_before  Boolean          this third party was already reached, at any time
attempts_today_point         Int64            call attempts to this point on the debtor-local day of ``at``
unanswered_today_point       Int64            of those, unanswered ones
conversations_today          Int64            effective conversations with the debtor that local day
call_dates                   List(Date)       debtor-local days of recent call attempts about this debt,
                                              one entry per attempt (older than the window is ignored)
last_conversation_date       Date (nullable)  debtor-local day of the last conversation about this debt
hold_<name>                  Boolean          one per gate.Hold: dispute, complaint, hardship_review,
                                              plan_honoured, deceased, bankruptcy, legal
breathing_space_until        Date (nullable)  last day of a UK Breathing Space
case_closed                  Boolean          the case is closed: nothing left to collect
validation_dispute_open      Boolean          US: a timely dispute awaits verification
time_barred                  Boolean          the statute of limitations has run on a debt of the case
legal                        Boolean          a lawyer's letter or a step towards a suit
service                      Boolean          a receipt or confirmation, not collection
===========================  ===============  ==========================================================

Output: the input plus ``allowed`` (Boolean), ``blocking_rule`` (Utf8, first blocking rule in pack order,
null when allowed), ``warn_rules`` (List(Utf8)), ``next_allowed_at`` (Datetime UTC: ``at`` when allowed, null
when waiting never helps) and ``must_not_disclose_debt`` (Boolean).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

import polars as pl

from huikuan.kernel.compliance.gate import (
    CaseFacts,
    Channel,
    ContactEvent,
    ContactPoint,
    Hold,
    Outreach,
    debtor_unreachable,
    needs_contact_point,
    parse_hhmm,
    third_party_answered_before,
    third_party_refused,
    zone,
)
from huikuan.kernel.compliance.packs import Pack, Rule
from huikuan.kernel.holidays import Calendar, next_non_holiday

HOLD_COLUMNS = {hold.value: f"hold_{hold.value}" for hold in Hold}
PLAN_SCHEMA: dict[str, pl.DataType] = {
    "at": pl.Datetime("us", "UTC"),
    "debtor_tz": pl.Utf8(),
    "channel": pl.Utf8(),
    "automated": pl.Boolean(),
    "collectors": pl.Int64(),
    "point_owner": pl.Utf8(),
    "point_kind": pl.Utf8(),
    "point_valid": pl.Boolean(),
    "point_dnc": pl.Boolean(),
    "channel_stopped": pl.Boolean(),
    "quiet_hours_consent": pl.Boolean(),
    "debtor_unreachable": pl.Boolean(),
    "incapacitated": pl.Boolean(),
    "third_party_refused": pl.Boolean(),
    "third_party_answered_before": pl.Boolean(),
    "attempts_today_point": pl.Int64(),
    "unanswered_today_point": pl.Int64(),
    "conversations_today": pl.Int64(),
    "call_dates": pl.List(pl.Date()),
    "last_conversation_date": pl.Date(),
    **{column: pl.Boolean() for column in HOLD_COLUMNS.values()},
    "breathing_space_until": pl.Date(),
    "case_closed": pl.Boolean(),
    "service": pl.Boolean(),
    "validation_dispute_open": pl.Boolean(),
    "time_barred": pl.Boolean(),
    "legal": pl.Boolean(),
}

_DAY = pl.duration(days=1)


class PlanFrameError(ValueError):
    """The plan frame lacks a column or has one of the wrong type."""


def _validate(frame: pl.DataFrame) -> None:
    for name, dtype in PLAN_SCHEMA.items():
        if name not in frame.columns:
            raise PlanFrameError(f"plan frame lacks column {name!r} ({dtype})")
        if frame.schema[name] != dtype:
            raise PlanFrameError(f"plan column {name!r} is {frame.schema[name]}, expected {dtype}")


def _per_zone(zones: list[str], build: pl.Expr | None = None, *, to_local: bool) -> pl.Expr:
    """A UTC→local-naive (or local-naive→UTC) conversion, one branch per zone present in the frame."""
    source = pl.col("at") if to_local else build
    assert source is not None
    chain: pl.Expr | None = None
    for name in zones:
        if to_local:
            value = source.dt.convert_time_zone(name).dt.replace_time_zone(None)
        else:
            # A wall time in a DST gap resolves like zoneinfo's fold=0: with the offset before the gap.
            exact = source.dt.replace_time_zone(name, ambiguous="earliest", non_existent="null")
            gap = (source - pl.duration(hours=1)).dt.replace_time_zone(name, ambiguous="earliest") + pl.duration(
                hours=1
            )
            value = pl.coalesce(exact, gap).dt.convert_time_zone("UTC")
        condition = pl.col("debtor_tz") == name
        chain = pl.when(condition).then(value) if chain is None else chain.when(condition).then(value)  # type: ignore[attr-defined]
    assert chain is not None
    return chain.otherwise(None)  # type: ignore[attr-defined]


def _in_channels(rule: Rule) -> pl.Expr:
    return pl.col("channel").is_in(list(rule.params["channels"]))


def _rule_block(rule: Rule, pack: Pack) -> tuple[pl.Expr, pl.Expr | None]:
    """(objects at ``at``, first free local day for date-bound rules; None for permanent or quiet rules)."""
    p = rule.params
    today = pl.col("_day")
    if rule.kind == "do_not_contact":
        return pl.col("point_dnc"), None
    if rule.kind == "invalid_point":
        return ~pl.col("point_valid"), None
    if rule.kind == "stop_medium":
        return pl.col("channel_stopped"), None
    if rule.kind == "case_closed":
        return pl.col("case_closed") & ~pl.col("service"), None
    if rule.kind == "channel_fits_point":
        # No point (null kind): a letter or a visit goes to the address on file, as the scalar gate is asked
        # with a postal point; a call, text or e-mail without a number or address reaches nobody.
        kind = pl.col("point_kind")
        misfit = pl.lit(False)
        for channel, kinds in p["fits"].items():
            wrong = kind.is_in(list(kinds)).not_()
            no_point = pl.lit(needs_contact_point(channel))
            misfit = misfit | ((pl.col("channel") == channel) & pl.when(kind.is_null()).then(no_point).otherwise(wrong))
        return misfit, None
    if rule.kind == "holds":
        any_hold = pl.lit(False)
        for hold in p["holds"]:
            any_hold = any_hold | pl.col(HOLD_COLUMNS[hold])
        for hold in p["debtor_only_holds"]:
            any_hold = any_hold | (pl.col(HOLD_COLUMNS[hold]) & (pl.col("point_owner") == "debtor"))
        return any_hold, None
    if rule.kind == "third_party":
        outsider = pl.col("point_owner") == "third_party"
        if not p["guarantor_is_party"]:
            outsider = outsider | (pl.col("point_owner") == "guarantor")
        grounds = pl.lit(False)
        for ground, column in (
            ("unreachable", "debtor_unreachable"),
            ("deceased", HOLD_COLUMNS["deceased"]),
            ("incapacitated", "incapacitated"),
        ):
            if ground in p["allowed_when"]:
                grounds = grounds | pl.col(column)
        refused = pl.col("third_party_refused")
        if p["once_per_person"]:
            refused = refused | pl.col("third_party_answered_before")
        return outsider & (~grounds | refused), None
    if rule.kind == "validation_dispute":
        return pl.col("validation_dispute_open") & ~pl.col("service"), None
    if rule.kind == "time_barred_suit":
        # A plan carries no text yet: the words are checked when the message is composed and sent.
        return pl.col("time_barred") & pl.col("legal"), None
    if rule.kind == "time_barred_disclosure":
        # A plan carries no text: the outbox writes the disclosure into the message it composes, and the
        # scalar gate refuses at sending any written message on the debt that lacks it.
        return pl.lit(False), None
    if rule.kind in ("collector_training", "outsourced_private_means"):
        # A plan is the machine's: no person makes these contacts yet. The queue keeps a collector without
        # current training from working them, and the scalar gate asks again with the person who calls.
        return pl.lit(False), None
    if rule.kind == "visit_collectors":
        return (pl.col("channel") == "visit") & (pl.col("collectors") < p["min"]), None
    if rule.kind == "breathing_space":
        until = pl.col("breathing_space_until")
        return until.is_not_null() & (today <= until), until + _DAY
    if rule.kind == "point_daily_attempts":
        column = "attempts_today_point" if p["count"] == "all" else "unanswered_today_point"
        return _in_channels(rule) & (pl.col(column) >= p["limit"]), today + _DAY
    if rule.kind == "debtor_daily_conversations":
        return _in_channels(rule) & (pl.col("conversations_today") >= p["limit"]), today + _DAY
    if rule.kind == "rolling_attempts_per_debt":
        kth = pl.col("call_dates").list.sort(descending=True).list.get(p["limit"] - 1, null_on_oob=True)
        first = today - pl.duration(days=p["days"] - 1)
        return _in_channels(rule) & kth.is_not_null() & (kth >= first), kth + pl.duration(days=p["days"])
    if rule.kind == "after_conversation_quiet":
        free = pl.col("last_conversation_date") + pl.duration(days=p["days"])
        return _in_channels(rule) & free.is_not_null() & (today < free), free
    if rule.kind == "automated_holiday":
        return pl.col("automated") & _in_channels(rule) & pl.col("_holiday_today"), None
    if rule.kind == "quiet_hours":
        start, end = parse_hhmm(p["start"]), parse_hhmm(p["end"])
        tod = pl.col("_local").dt.time()
        inside = (tod >= start) | (tod < end) if start > end else (tod >= start) & (tod < end)
        consent = pl.col("quiet_hours_consent") if p["consent_allows"] else pl.lit(False)
        return _in_channels(rule) & inside & ~consent, None
    raise ValueError(f"{pack.origin}: rule {rule.id!r}: kind {rule.kind!r} has no batch form")


def _next_free_table(calendar: Calendar, first: date, last: date) -> tuple[list[date], list[date]]:
    days, free = [], []
    day = first
    while day <= last:
        days.append(day)
        free.append(next_non_holiday(calendar, day))
        day += timedelta(days=1)
    return days, free


def check_contacts(frame: pl.DataFrame, pack: Pack) -> pl.DataFrame:
    """Decide every planned contact in ``frame`` (see the module docstring for columns) under ``pack``."""
    _validate(frame)
    if frame.height == 0:
        return frame.with_columns(
            allowed=pl.lit(None, pl.Boolean),
            blocking_rule=pl.lit(None, pl.Utf8),
            warn_rules=pl.lit(None, pl.List(pl.Utf8)),
            next_allowed_at=pl.lit(None, pl.Datetime("us", "UTC")),
            must_not_disclose_debt=pl.lit(None, pl.Boolean),
        )
    zones = sorted(frame["debtor_tz"].unique().to_list())
    work = frame.with_columns(_local=_per_zone(zones, to_local=True))
    work = work.with_columns(_day=pl.col("_local").dt.date())

    # Holiday look-ups as a day→next-free-day table: a loop over calendar days, not rows.
    first_day: date = work["_day"].min()  # type: ignore[assignment]
    horizon = [work["_day"].max(), work["breathing_space_until"].max(), work["last_conversation_date"].max()]
    last_day = max(d for d in horizon if isinstance(d, date)) + timedelta(days=40)
    days, free = _next_free_table(pack.calendar, first_day, last_day)

    def next_free(expr: pl.Expr) -> pl.Expr:
        return expr.replace_strict(days, free, default=expr, return_dtype=pl.Date)

    work = work.with_columns(_holiday_today=next_free(pl.col("_day")) != pl.col("_day"))

    blocks: list[tuple[Rule, pl.Expr, pl.Expr | None]] = []
    warns: list[pl.Expr] = []
    for rule in pack.rules:
        objects, free_day = _rule_block(rule, pack)
        if rule.severity == "warn":
            warns.append(pl.when(objects).then(pl.lit(rule.id)).otherwise(None))
        else:
            blocks.append((rule, objects, free_day))

    timed_kinds = {
        "quiet_hours",
        "point_daily_attempts",
        "debtor_daily_conversations",
        "rolling_attempts_per_debt",
        "after_conversation_quiet",
        "breathing_space",
        "automated_holiday",
    }
    permanent = pl.lit(False)
    blocked = pl.lit(False)
    first_blocking: pl.Expr | None = None
    free_days: list[pl.Expr] = []
    holiday_rule: pl.Expr = pl.lit(False)
    quiet: tuple[Rule, pl.Expr] | None = None
    for rule, objects, free_day in blocks:
        blocked = blocked | objects
        if rule.kind not in timed_kinds:
            permanent = permanent | objects
        if rule.kind == "automated_holiday":
            holiday_rule = pl.col("automated") & _in_channels(rule)
        elif rule.kind == "quiet_hours":
            quiet = (rule, objects)
        elif free_day is not None:
            free_days.append(pl.when(objects).then(free_day).otherwise(pl.col("_day")))
        branch = pl.lit(rule.id)
        first_blocking = (
            pl.when(objects).then(branch) if first_blocking is None else first_blocking.when(objects).then(branch)  # type: ignore[attr-defined]
        )

    # Day-level blocks all start today and are monotone, so the first free day is the latest free day,
    # then moved past public holidays when the holiday rule concerns this contact.
    latest = pl.max_horizontal(*free_days) if free_days else pl.col("_day")
    work = work.with_columns(_m=latest, _holiday_applies=holiday_rule)
    work = work.with_columns(
        _d1=pl.when(pl.col("_holiday_applies")).then(next_free(pl.col("_m"))).otherwise(pl.col("_m")),
        _d_next=pl.when(pl.col("_holiday_applies")).then(next_free(pl.col("_m") + _DAY)).otherwise(pl.col("_m") + _DAY),
    )

    midnight = pl.col("_d1").cast(pl.Datetime("us"))
    if quiet is not None:
        rule, quiet_now = quiet
        start, end = parse_hhmm(rule.params["start"]), parse_hhmm(rule.params["end"])
        quiet_applies = _in_channels(rule) & ~(
            pl.col("quiet_hours_consent") if rule.params["consent_allows"] else pl.lit(False)
        )
        end_offset = pl.duration(hours=end.hour, minutes=end.minute)
        midnight_quiet = start > end or start.hour == start.minute == 0
        day_free_now = pl.col("_d1") == pl.col("_day")
        evening = pl.col("_local").dt.time() >= start if start > end else pl.lit(False)
        local_next = (
            pl.when(day_free_now & quiet_now & evening)
            .then(pl.col("_d_next").cast(pl.Datetime("us")) + end_offset)
            .when(day_free_now & quiet_now)
            .then(pl.col("_d1").cast(pl.Datetime("us")) + end_offset)
            .when(quiet_applies & pl.lit(midnight_quiet))
            .then(midnight + end_offset)
            .otherwise(midnight)
        )
    else:
        local_next = midnight
    next_utc = _per_zone(zones, local_next, to_local=False)

    result = work.with_columns(
        allowed=~blocked,
        blocking_rule=first_blocking.otherwise(None) if first_blocking is not None else pl.lit(None, pl.Utf8),  # type: ignore[attr-defined]
        warn_rules=pl.concat_list(warns).list.drop_nulls() if warns else pl.lit([], pl.List(pl.Utf8)),
        next_allowed_at=pl.when(~blocked)
        .then(pl.col("at"))
        .when(permanent)
        .then(pl.lit(None, pl.Datetime("us", "UTC")))
        .otherwise(pl.max_horizontal(next_utc, pl.col("at") + pl.duration(minutes=1))),
        must_not_disclose_debt=pl.col("point_owner") == "third_party",
    )
    return result.drop([c for c in result.columns if c.startswith("_")])


def plan_row(
    history: Sequence[ContactEvent],
    case_facts: CaseFacts,
    contact_point: ContactPoint,
    outreach: Outreach,
    at: datetime,
    *,
    unreachable_after_failed_attempts: int = 3,
) -> dict[str, object]:
    """The plan-frame row for one contact, aggregated from its history the way the gate counts.

    The reference for callers that aggregate in bulk (SQL, polars group-bys) and for the agreement test.
    """
    tz = zone(case_facts.timezone)
    past = [event for event in history if event.at < at]
    today = at.astimezone(tz).date()

    def day(event: ContactEvent) -> date:
        return event.at.astimezone(tz).date()

    about_debt = [e for e in past if not case_facts.debt_id or e.debt_id == case_facts.debt_id]
    to_point_today = [
        e for e in past if e.contact_point_id == contact_point.id and e.channel is Channel.CALL and day(e) == today
    ]
    talks = [day(e) for e in about_debt if e.conversation and e.channel is Channel.CALL]
    return {
        "at": at,
        "debtor_tz": case_facts.timezone,
        "channel": outreach.channel.value,
        "automated": outreach.automated,
        "collectors": outreach.collectors,
        "point_owner": contact_point.owner.value,
        "point_kind": contact_point.kind.value,
        "point_valid": contact_point.valid,
        "point_dnc": contact_point.do_not_contact,
        "channel_stopped": outreach.channel in case_facts.stopped_channels,
        "quiet_hours_consent": case_facts.quiet_hours_consent,
        "debtor_unreachable": debtor_unreachable(past, case_facts, unreachable_after_failed_attempts),
        "incapacitated": case_facts.incapacitated,
        "third_party_refused": third_party_refused(past, case_facts, contact_point.id),
        "third_party_answered_before": third_party_answered_before(past, case_facts, contact_point.id),
        "attempts_today_point": len(to_point_today),
        "unanswered_today_point": sum(1 for e in to_point_today if not (e.answered or e.conversation)),
        "conversations_today": sum(1 for e in past if e.conversation and e.channel is Channel.CALL and day(e) == today),
        "call_dates": [day(e) for e in about_debt if e.channel is Channel.CALL],
        "last_conversation_date": max(talks) if talks else None,
        **{column: Hold(hold) in case_facts.holds for hold, column in HOLD_COLUMNS.items()},
        "breathing_space_until": case_facts.breathing_space_until,
        "case_closed": case_facts.closed,
        "service": outreach.service,
        "validation_dispute_open": case_facts.validation_dispute_open,
        "time_barred": case_facts.time_barred,
        "legal": outreach.legal,
    }


def plan_frame(rows: Sequence[dict[str, object]]) -> pl.DataFrame:
    """A typed plan frame from ``plan_row`` dicts (or any rows with the same keys)."""
    return pl.DataFrame(
        list(rows), schema=PLAN_SCHEMA, orient="row" if rows and not isinstance(rows[0], dict) else None
    )
