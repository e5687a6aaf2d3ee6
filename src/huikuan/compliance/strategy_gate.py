"""The compliance pack's batch gate, plugged into the nightly strategy run (HUIKUAN_STRATEGY_GATE).

The strategy hands over its planned frame; this adapter adds what the gate needs from the database in a
few bulk reads (debtor time zones, honoured plans, stop requests, the last week's calls), asks
``kernel.compliance.batch.check_contacts`` and answers with ``allowed`` and ``gate_reason``. A contact
blocked only for part of its window (it opens in quiet hours, say) keeps the rest of the window: its start
moves to the gate's next allowed instant when that is still inside the window.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl
from django.db.models import Q

from huikuan.cases.models import Case, Interaction
from huikuan.compliance.facts import CONVERSATION, current_pack
from huikuan.compliance.models import StopRequest
from huikuan.kernel.compliance.batch import HOLD_COLUMNS, PLAN_SCHEMA, check_contacts
from huikuan.kernel.compliance.gate import Hold

# Strategy actions that are contacts, and the gate channel each one is.
CHANNEL_OF_ACTION = {"sms": "sms", "email": "email", "letter": "letter", "lawyer_letter": "letter",
                     "call": "call", "visit": "visit"}  # fmt: skip
AUTOMATED = frozenset({"sms", "email", "letter"})
_CHUNK = 20_000
_FACTS_SCHEMA: dict[str, pl.DataType] = {
    "case_id": pl.Int64(),
    "debtor_tz": pl.Utf8(),
    "plan_honoured": pl.Boolean(),
    "stopped": pl.List(pl.Utf8()),
}
_HISTORY_SCHEMA: dict[str, pl.DataType] = {
    "case_id": pl.Int64(),
    "call_dates": pl.List(pl.Date()),
    "last_conversation_date": pl.Date(),
}


def compliance_gate(planned: pl.DataFrame) -> pl.DataFrame:
    if planned.is_empty():
        return planned.with_columns(pl.lit(True).alias("allowed"), pl.lit("").alias("gate_reason"))
    frame = planned.with_row_index("_row").with_columns(
        pl.col("channel").replace_strict(CHANNEL_OF_ACTION, default=None).alias("_gate_channel")
    )
    contacts = frame.filter(pl.col("_gate_channel").is_not_null())
    if contacts.is_empty():
        return planned.with_columns(pl.lit(True).alias("allowed"), pl.lit("").alias("gate_reason"))
    case_ids = contacts.get_column("case_id").unique().to_list()
    facts = _case_facts(case_ids)
    history = _call_history(case_ids, contacts.get_column("window_start").min())
    joined = contacts.join(facts, on="case_id", how="left").join(history, on="case_id", how="left")
    plan = joined.select(
        pl.col("window_start").alias("at"),
        pl.col("debtor_tz").fill_null("Asia/Shanghai"),
        pl.col("_gate_channel").alias("channel"),
        pl.col("_gate_channel").is_in(list(AUTOMATED)).alias("automated"),
        pl.when(pl.col("_gate_channel") == "visit").then(2).otherwise(1).cast(pl.Int64).alias("collectors"),
        pl.when(pl.col("party") == "debtor")
        .then(pl.lit("debtor"))
        .otherwise(pl.lit("third_party"))
        .alias("point_owner"),
        pl.lit(True).alias("point_valid"),
        pl.col("contact_dnc").fill_null(False).alias("point_dnc"),
        pl.col("_gate_channel").is_in(pl.col("stopped").fill_null([])).alias("channel_stopped"),
        pl.lit(False).alias("quiet_hours_consent"),
        pl.col("unreachable").fill_null(False).alias("debtor_unreachable"),
        pl.lit(False).alias("incapacitated"),
        pl.lit(False).alias("third_party_refused"),
        pl.lit(False).alias("third_party_answered_before"),
        pl.lit(0).cast(pl.Int64).alias("attempts_today_point"),
        pl.lit(0).cast(pl.Int64).alias("unanswered_today_point"),
        pl.lit(0).cast(pl.Int64).alias("conversations_today"),
        pl.col("call_dates").fill_null([]).alias("call_dates"),
        pl.col("last_conversation_date"),
        *[
            (pl.col("hold") == name).fill_null(False).alias(column)
            for name, column in HOLD_COLUMNS.items()
            if name != Hold.PLAN_HONOURED
        ],
        pl.col("plan_honoured").fill_null(False).alias(HOLD_COLUMNS[Hold.PLAN_HONOURED]),
        pl.lit(None, pl.Date).alias("breathing_space_until"),
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


def _case_facts(case_ids: list[int]) -> pl.DataFrame:
    from huikuan.payments.actions import suspended_case_ids

    rows: list[tuple[int, str, int]] = []
    for start in range(0, len(case_ids), _CHUNK):
        chunk = case_ids[start : start + _CHUNK]
        rows.extend(Case.objects.filter(id__in=chunk).values_list("id", "debtor__time_zone", "debtor_id"))
    honoured = suspended_case_ids(case_ids)
    stops: dict[int, list[str]] = {}
    debtors = [r[2] for r in rows]
    for start in range(0, len(debtors), _CHUNK):
        for debtor_id, channel in StopRequest.objects.filter(
            debtor_id__in=debtors[start : start + _CHUNK], withdrawn_at__isnull=True
        ).values_list("debtor_id", "channel"):
            stops.setdefault(debtor_id, []).append(channel)
    return pl.DataFrame(
        {
            "case_id": [r[0] for r in rows],
            "debtor_tz": [r[1] for r in rows],
            "plan_honoured": [r[0] in honoured for r in rows],
            "stopped": [stops.get(r[2], []) for r in rows],
        },
        schema=_FACTS_SCHEMA,
    )


def _call_history(case_ids: list[int], first_window: object) -> pl.DataFrame:
    """Per case: the local days of call attempts in the past week, and the last conversation's day.

    Days are taken in Asia/Shanghai unless the debtor's zone says otherwise in the join; the weekly
    counts only feed the US 7-in-7 rule, whose debtors carry their own zones.
    """
    schema = _HISTORY_SCHEMA
    if first_window is None:
        return pl.DataFrame(schema=schema)
    since = first_window - timedelta(days=8)  # type: ignore[operator]
    rows: list[tuple[int, object, str, str, str]] = []
    for start in range(0, len(case_ids), _CHUNK):
        chunk = case_ids[start : start + _CHUNK]
        rows.extend(
            Interaction.objects.filter(
                Q(case_id__in=chunk), channel="call", at__gte=since, at__lt=first_window
            ).values_list("case_id", "at", "outcome", "party", "case__debtor__time_zone")
        )
    if not rows:
        return pl.DataFrame(schema=schema)
    calls = pl.DataFrame(
        rows, schema={"case_id": pl.Int64, "at": pl.Datetime("us", "UTC"), "outcome": pl.Utf8, "party": pl.Utf8,
                      "tz": pl.Utf8}, orient="row",
    )  # fmt: skip
    local_day = pl.concat(
        [
            part.with_columns(pl.col("at").dt.convert_time_zone(zone).dt.date().alias("day"))
            for (zone,), part in calls.group_by("tz")
        ]
    )
    talked = pl.col("outcome").is_in([str(o) for o in CONVERSATION]) & (pl.col("party") == "debtor")
    return local_day.group_by("case_id").agg(
        pl.col("day").alias("call_dates"),
        pl.col("day").filter(talked).max().alias("last_conversation_date"),
    )
