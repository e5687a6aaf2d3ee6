"""The compliance pack's batch gate, plugged into the nightly strategy run (HUIKUAN_STRATEGY_GATE).

The strategy hands over its planned frame; this adapter adds what the gate needs from the database in a
few set-based reads straight into Polars (debtor time zones, honoured plans, stop requests, the last
week's calls, every refusal or answer ever given on a planned third-party number; COPY on PostgreSQL, no
ORM objects: a million planned contacts must not cost a Python object each), asks
``kernel.compliance.batch.check_contacts`` and answers with ``allowed`` and ``gate_reason``. A contact
blocked only for part of its window (it opens in quiet hours, say) keeps the rest of the window: its start
moves to the gate's next allowed instant when that is still inside the window.

What the stored history means (answered, a conversation, a refusal, whose a number is, the debtor's day)
is ``kernel.contacts``' and ``kernel.localtime``'s; the SQL and Polars here are their set-based forms, and
tests hold each to the kernel function on random rows.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl
from django.db import connection

from huikuan.cases.models import Case, CaseStatus, Interaction
from huikuan.compliance.models import StopRequest
from huikuan.compliance.pack import current_pack
from huikuan.compliance.validation import limitation_years, open_dispute_case_ids, rule_in_force, time_barred_case_ids
from huikuan.db.bulkread import bulk_reads, id_array_literal, read_frame
from huikuan.kernel.comms.purposes import service_template
from huikuan.kernel.compliance.batch import HOLD_COLUMNS, PLAN_SCHEMA, check_contacts
from huikuan.kernel.compliance.gate import Hold, Owner
from huikuan.kernel.contacts import ANSWERED, Outcome, Party, conversation_expr, owner_expr
from huikuan.kernel.localtime import with_local_day
from huikuan.kernel.strategy.gate import (
    KNOWN_CLOSED,
    KNOWN_COLUMNS,
    KNOWN_POINT_KIND,
    KNOWN_POINT_RELATION,
    KNOWN_TZ,
)
from huikuan.payments.models import PlanStatus, RepaymentPlan
from huikuan.payments.queries import suspended_case_ids
from huikuan.portfolio.models import ContactPoint, Debtor, default_time_zone

# Strategy actions that are contacts, and the gate channel each one is.
CHANNEL_OF_ACTION = {"sms": "sms", "email": "email", "letter": "letter", "lawyer_letter": "letter",
                     "call": "call", "visit": "visit"}  # fmt: skip
AUTOMATED = frozenset({"sms", "email", "letter"})
_FACTS_SCHEMA: dict[str, pl.DataType] = {
    "case_id": pl.Int64(),
    "debtor_tz": pl.Utf8(),
    "plan_honoured": pl.Boolean(),
    "stopped": pl.List(pl.Utf8()),
    "case_closed": pl.Boolean(),
}
_RECORD_SCHEMA: dict[str, pl.DataType] = {
    "contact_point_id": pl.Int64(),
    "refused": pl.Boolean(),
    "answered": pl.Boolean(),
}
_POINT_SCHEMA: dict[str, pl.DataType] = {
    "contact_point_id": pl.Int64(),
    "point_kind": pl.Utf8(),
    "relation": pl.Utf8(),
}
_HISTORY_SCHEMA: dict[str, pl.DataType] = {
    "case_id": pl.Int64(),
    "call_dates": pl.List(pl.Date()),
    "last_conversation_date": pl.Date(),
}


def compliance_gate(planned: pl.DataFrame) -> pl.DataFrame:
    """The decision per planned item. Facts the caller passed as ``KNOWN_COLUMNS`` (kernel.strategy.gate) are
    not read again: the nightly run passes its snapshot's zones and the kinds of the debtor's own points."""
    if planned.is_empty():
        return planned.with_columns(pl.lit(True).alias("allowed"), pl.lit("").alias("gate_reason"))
    frame = planned.with_row_index("_row").with_columns(
        pl.col("channel").replace_strict(CHANNEL_OF_ACTION, default=None).alias("_gate_channel")
    )
    contacts = frame.filter(pl.col("_gate_channel").is_not_null())
    if contacts.is_empty():
        return planned.with_columns(pl.lit(True).alias("allowed"), pl.lit("").alias("gate_reason"))
    case_ids = contacts.get_column("case_id")
    first_window: datetime | None = contacts.get_column("window_start").min()  # type: ignore[assignment]
    outsiders = contacts.filter((pl.col("party") != "debtor") & pl.col("contact_point_id").is_not_null())
    known_cases = _known_case_facts(contacts)
    known_points = _known_points(contacts)
    unknown_points = contacts.get_column("contact_point_id").drop_nulls()
    if known_points is not None:
        known_ids = known_points.get_column("contact_point_id").implode()
        unknown_points = unknown_points.filter(~unknown_points.is_in(known_ids))
    with bulk_reads():
        facts = _case_facts(case_ids, known_cases)
        history = _call_history(case_ids, facts.select("case_id", "debtor_tz"), first_window)
        record = _third_party_record(outsiders.get_column("contact_point_id"), first_window)
        points = _points(unknown_points)
        us_facts = _us_facts(case_ids.unique().to_list(), first_window)
    if known_points is not None:
        points = pl.concat([known_points, points])
    joined = (
        contacts.join(facts, on="case_id", how="left")
        .join(history, on="case_id", how="left")
        .join(record, on="contact_point_id", how="left")
        .join(points, on="contact_point_id", how="left")
        .drop(KNOWN_COLUMNS, strict=False)
    )
    # An instalment reminder, a re-plan call and a care message serve the plan or the person, not collection
    # (kernel.comms.purposes): the case's holds (a plan being honoured) do not stop them, as in the outbox.
    service = service_template(pl.col("template"))
    plan = joined.select(
        pl.col("window_start").alias("at"),
        pl.col("debtor_tz").fill_null(default_time_zone()),
        pl.col("_gate_channel").alias("channel"),
        pl.col("_gate_channel").is_in(list(AUTOMATED)).alias("automated"),
        pl.when(pl.col("_gate_channel") == "visit").then(2).otherwise(1).cast(pl.Int64).alias("collectors"),
        # The strategy plans the debtor's own points, and a third-party number only for the debtor's
        # party: whose that number is (a guarantor is a party to the debt under the packs) is its relation's.
        pl.when(pl.col("party") == "debtor")
        .then(pl.lit(Owner.DEBTOR.value))
        .otherwise(owner_expr(pl.col("relation").fill_null("")))
        .alias("point_owner"),
        # The stored kind of the planned point (null when none is planned: the gate decides what that means).
        pl.col("point_kind"),
        pl.lit(True).alias("point_valid"),
        pl.col("contact_dnc").fill_null(False).alias("point_dnc"),
        pl.col("_gate_channel").is_in(pl.col("stopped").fill_null([])).alias("channel_stopped"),
        pl.lit(False).alias("quiet_hours_consent"),
        pl.col("unreachable").fill_null(False).alias("debtor_unreachable"),
        pl.lit(False).alias("incapacitated"),
        pl.col("refused").fill_null(False).alias("third_party_refused"),
        pl.col("answered").fill_null(False).alias("third_party_answered_before"),
        pl.lit(0).cast(pl.Int64).alias("attempts_today_point"),
        pl.lit(0).cast(pl.Int64).alias("unanswered_today_point"),
        pl.lit(0).cast(pl.Int64).alias("conversations_today"),
        pl.col("call_dates").fill_null([]).alias("call_dates"),
        pl.col("last_conversation_date"),
        *[
            ((pl.col("hold") == name).fill_null(False) & ~service).alias(column)
            for name, column in HOLD_COLUMNS.items()
            if name != Hold.PLAN_HONOURED
        ],
        (pl.col("plan_honoured").fill_null(False) & ~service).alias(HOLD_COLUMNS[Hold.PLAN_HONOURED]),
        pl.lit(None, pl.Date).alias("breathing_space_until"),
        pl.col("case_closed").fill_null(False).alias("case_closed"),
        service.alias("service"),
        pl.col("case_id").is_in(list(us_facts[0])).alias("validation_dispute_open"),
        pl.col("case_id").is_in(list(us_facts[1])).alias("time_barred"),
        (pl.col("action") == "lawyer_letter").alias("legal"),
    )
    decided = check_contacts(plan.select([pl.col(n).cast(t) for n, t in PLAN_SCHEMA.items()]), current_pack())
    answers = pl.DataFrame(
        {
            "_row": joined.get_column("_row"),
            "_ok": decided.get_column("allowed"),
            "_rule": decided.get_column("blocking_rule").fill_null(""),
            "_next": decided.get_column("next_allowed_at"),
        }
    )
    out = frame.join(answers, on="_row", how="left").sort("_row")
    # A block that lifts inside the planned window narrows the window instead of dropping the contact.
    shifts = pl.col("_next").is_not_null() & (pl.col("_next") < pl.col("window_end")) & ~pl.col("_ok")
    allowed = pl.col("_ok").fill_null(True) | shifts
    return out.with_columns(
        pl.when(shifts).then(pl.col("_next")).otherwise(pl.col("window_start")).alias("window_start"),
        allowed.alias("allowed"),
        pl.when(allowed).then(pl.lit("")).otherwise(pl.col("_rule")).alias("gate_reason"),
    ).drop("_row", "_gate_channel", "_ok", "_rule", "_next")


def _us_facts(case_ids: list[int], at: datetime | None) -> tuple[set[int], set[int]]:
    """The planned cases with a timely dispute awaiting verification, and those with a time-barred account.

    Each read happens only when the pack in force has its rule (the US pack), through the same query functions
    the scalar gate uses.
    """
    disputes = open_dispute_case_ids(case_ids)
    barred: set[int] = set()
    if at is not None and rule_in_force("time_barred_suit") and limitation_years():
        barred = time_barred_case_ids(Case.objects.filter(pk__in=case_ids).only("id", "debtor_id"), at)
    return disputes, barred


def _planned(case_ids: pl.Series, column: str) -> tuple[str, dict[str, object]]:
    """A condition keeping ``column`` to the planned cases, with its parameters.

    On PostgreSQL the ids themselves, as one array literal that the server hashes: a shard of a run plans
    every N-th case, and the range of its ids would read the whole book in each shard. SQLite gets the
    range (the rows outside the planned cases fall away in the joins below).
    """
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%(ids)s::bigint[])", {"ids": id_array_literal(case_ids.unique().sort().to_list())}
    bounds: dict[str, object] = {"lo": int(case_ids.min()), "hi": int(case_ids.max())}  # type: ignore[arg-type]
    return f"{column} BETWEEN %(lo)s AND %(hi)s", bounds


def _known_case_facts(contacts: pl.DataFrame) -> pl.DataFrame | None:
    """The zone and closed flag per case when the caller passed both for every planned contact, else None."""
    if KNOWN_TZ not in contacts.columns or KNOWN_CLOSED not in contacts.columns:
        return None
    known = contacts.select(
        "case_id", pl.col(KNOWN_TZ).alias("debtor_tz"), pl.col(KNOWN_CLOSED).cast(pl.Int64).alias("closed")
    ).unique("case_id")
    if known.get_column("debtor_tz").null_count() or known.get_column("closed").null_count():
        return None
    return known


def _known_points(contacts: pl.DataFrame) -> pl.DataFrame | None:
    """The planned points whose kind and relation the caller passed (_POINT_SCHEMA), or None."""
    if KNOWN_POINT_KIND not in contacts.columns or KNOWN_POINT_RELATION not in contacts.columns:
        return None
    return (
        contacts.filter(
            pl.col("contact_point_id").is_not_null()
            & pl.col(KNOWN_POINT_KIND).is_not_null()
            & pl.col(KNOWN_POINT_RELATION).is_not_null()
        )
        .select(
            "contact_point_id",
            pl.col(KNOWN_POINT_KIND).alias("point_kind"),
            pl.col(KNOWN_POINT_RELATION).alias("relation"),
        )
        .unique("contact_point_id")
        .select([pl.col(n).cast(t) for n, t in _POINT_SCHEMA.items()])
    )


def _case_facts(case_ids: pl.Series, known: pl.DataFrame | None = None) -> pl.DataFrame:
    """Per case: the debtor's time zone, whether it is closed, whether an honoured plan suspends collection,
    the stopped media. ``known`` (case_id, debtor_tz, closed), when given, saves reading the first two."""
    in_cases, bounds = _planned(case_ids, "c.id")
    wanted = pl.DataFrame({"case_id": case_ids.unique()})
    if known is not None:
        cases = known.join(wanted, on="case_id", how="semi")
    else:
        # A debtor with no zone recorded lives in the setting's (``kernel.localtime.zone_name``).
        cases = read_frame(
            f"SELECT c.id, COALESCE(NULLIF(d.time_zone, ''), %(zone)s),"
            f" CASE WHEN c.status = %(closed)s THEN 1 ELSE 0 END"
            f" FROM {Case._meta.db_table} c JOIN {Debtor._meta.db_table} d ON d.id = c.debtor_id WHERE {in_cases}",
            {**bounds, "closed": CaseStatus.CLOSED.value, "zone": default_time_zone()},
            {"case_id": pl.Int64(), "debtor_tz": pl.Utf8(), "closed": pl.Int64()},
        ).join(wanted, on="case_id", how="semi")
    stops = (
        read_frame(
            f"SELECT c.id, s.channel FROM {StopRequest._meta.db_table} s"
            f" JOIN {Case._meta.db_table} c ON c.debtor_id = s.debtor_id"
            f" WHERE s.withdrawn_at IS NULL AND {in_cases}",
            bounds,
            {"case_id": pl.Int64(), "channel": pl.Utf8()},
        )
        .group_by("case_id")
        .agg(pl.col("channel").alias("stopped"))
    )
    # Few cases have an active plan: ask the payments rule only about those, not about every planned case.
    in_plans, plan_bounds = _planned(case_ids, "case_id")
    with_plan = read_frame(
        f"SELECT DISTINCT case_id FROM {RepaymentPlan._meta.db_table} WHERE status = %(active)s AND {in_plans}",
        {**plan_bounds, "active": PlanStatus.ACTIVE.value},
        {"case_id": pl.Int64()},
    ).join(wanted, on="case_id", how="semi")
    honoured = suspended_case_ids(with_plan.get_column("case_id").to_list()) if with_plan.height else set()
    return (
        cases.join(stops, on="case_id", how="left")
        .with_columns(
            pl.col("case_id").is_in(list(honoured)).alias("plan_honoured"),
            pl.col("stopped").fill_null([]),
            (pl.col("closed") > 0).alias("case_closed"),
        )
        .select([pl.col(n).cast(t) for n, t in _FACTS_SCHEMA.items()])
    )


def _third_party_record(point_ids: pl.Series, until: datetime | None) -> pl.DataFrame:
    """Per third-party point: whether it ever refused, and whether it was ever reached.

    Over the whole history, not the week the other rules read: a refusal stops contact for good and
    "each person once" has no expiry. One grouped read over the planned points' own interactions.
    """
    schema = _RECORD_SCHEMA
    if point_ids.is_empty() or until is None:
        return pl.DataFrame(schema=schema)
    planned = pl.DataFrame({"contact_point_id": point_ids.unique()})
    in_points, bounds = _planned(point_ids, "i.contact_point_id")
    # The SQL forms of kernel.contacts.answered and refused_by_third_party, from the kernel's sets.
    answered = ", ".join(f"'{o}'" for o in sorted(ANSWERED))
    rows = read_frame(
        "SELECT i.contact_point_id,"
        " MAX(CASE WHEN i.party = %(third)s AND i.outcome = %(refusal)s THEN 1 ELSE 0 END),"
        f" MAX(CASE WHEN i.outcome IN ({answered}) THEN 1 ELSE 0 END)"
        f" FROM {Interaction._meta.db_table} i WHERE i.at < %(until)s AND {in_points} GROUP BY i.contact_point_id",
        {
            **bounds,
            "third": Party.THIRD_PARTY.value,
            "refusal": Outcome.REFUSAL.value,
            "until": connection.ops.adapt_datetimefield_value(until),
        },
        {"contact_point_id": pl.Int64(), "refused": pl.Int64(), "answered": pl.Int64()},
    )
    # SQLite reads the range of ids: keep only the planned points.
    return planned.join(rows, on="contact_point_id", how="left").select(
        pl.col("contact_point_id"),
        (pl.col("refused").fill_null(0) > 0).alias("refused"),
        (pl.col("answered").fill_null(0) > 0).alias("answered"),
    )


def _points(point_ids: pl.Series) -> pl.DataFrame:
    """Per planned point: its stored kind (the gate checks the channel fits it) and its relation to the debtor."""
    if point_ids.is_empty():
        return pl.DataFrame(schema=_POINT_SCHEMA)
    in_points, bounds = _planned(point_ids, "p.id")
    found = read_frame(
        f"SELECT p.id, p.kind, p.relation FROM {ContactPoint._meta.db_table} p WHERE {in_points}", bounds, _POINT_SCHEMA
    )
    # SQLite reads the range of ids: keep only the planned points.
    return found.join(pl.DataFrame({"contact_point_id": point_ids.unique()}), on="contact_point_id", how="semi")


def _epoch_seconds(column: str) -> str:
    # The instant as Unix seconds: only its local day matters here, and integers read alike from both databases.
    if connection.vendor == "postgresql":
        return f"floor(extract(epoch FROM {column}))::bigint"
    return f"CAST(strftime('%%s', {column}) AS INTEGER)"


def _call_history(case_ids: pl.Series, zones: pl.DataFrame, first_window: datetime | None) -> pl.DataFrame:
    """Per case: the local days of call attempts in the past week, and the last conversation's day.

    Days are taken in the debtor's own zone; the weekly counts feed the US 7-in-7 rule and the
    after-conversation quiet period.
    """
    schema = _HISTORY_SCHEMA
    if first_window is None:
        return pl.DataFrame(schema=schema)
    since = first_window - timedelta(days=8)
    in_cases, bounds = _planned(case_ids, "i.case_id")
    calls = read_frame(
        f"SELECT i.case_id, {_epoch_seconds('i.at')}, i.outcome, i.party FROM {Interaction._meta.db_table} i"
        f" WHERE i.channel = 'call' AND i.at >= %(since)s AND i.at < %(until)s AND {in_cases}",
        {
            **bounds,
            "since": connection.ops.adapt_datetimefield_value(since),
            "until": connection.ops.adapt_datetimefield_value(first_window),
        },
        {"case_id": pl.Int64(), "epoch": pl.Int64(), "outcome": pl.Utf8(), "party": pl.Utf8()},
    ).join(zones, on="case_id", how="inner")
    if calls.is_empty():
        return pl.DataFrame(schema=schema)
    calls = calls.with_columns(pl.from_epoch("epoch", time_unit="s").dt.replace_time_zone("UTC").alias("at"))
    local_day = with_local_day(calls, "at", "debtor_tz", "day", default_time_zone())
    talked = conversation_expr(pl.col("party"), pl.col("outcome"))
    return local_day.group_by("case_id").agg(
        pl.col("day").alias("call_dates"),
        pl.col("day").filter(talked).max().alias("last_conversation_date"),
    )
