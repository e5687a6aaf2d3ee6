"""A case's facts for message variables, read in bulk (a strategy run queues thousands at once)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import polars as pl
from django.conf import settings
from django.db import models

from huikuan.cases.models import Promise, PromiseState
from huikuan.db.bulkread import one_of, read_frame
from huikuan.kernel.comms.variables import (
    FACTS_SCHEMA,
    Amounts,
    MessageFacts,
    SenderTexts,
    value_dicts,
    values_frame,
)
from huikuan.payments.models import Instalment, InstalmentStatus, PlanStatus, RepaymentPlan
from huikuan.portfolio.models import Account, Debtor

ZERO = Decimal("0.00")


def sender_facts() -> dict[str, object]:
    sender = settings.COMMS_SENDER
    return {
        "creditor": {"zh": sender["company"], "en": sender["company_en"]},
        "hotline": sender["hotline"],
        "law_firm": {"zh": sender["law_firm"], "en": sender["law_firm_en"]},
        "payment_channels": {"zh": sender["payment_channels_zh"], "en": sender["payment_channels_en"]},
    }


def facts_for_debtors(debtor_ids: Iterable[int], today: date) -> dict[int, MessageFacts]:
    """Facts per debtor: every account that still owes summed by component; the one overdue longest (the
    oldest due date, the larger balance on a tie) names the contract, its due date and so the days overdue.

    The named contract and its dates come from one account: a letter must not put one contract's number
    beside another's due date.
    """

    ids = set(debtor_ids)
    debtors = {
        row["id"]: row for row in Debtor.objects.filter(id__in=one_of(ids)).values("id", "name", "gender", "kind")
    }
    sums: dict[int, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO, ZERO, ZERO])
    # Per debtor, the owing account with the oldest due date as (due date, -total, contract); else any account.
    named: dict[int, tuple[date, Decimal, str]] = {}
    any_contract: dict[int, str] = {}
    accounts = Account.objects.filter(debtor_id__in=one_of(ids)).values_list(
        "debtor_id", "contract_no", "due_date", "balance__principal", "balance__interest", "balance__fee",
        "balance__penalty", "balance__total",
    )  # fmt: skip
    for debtor_id, contract_no, due, principal, interest, fee, penalty, total in accounts:
        total = total or ZERO
        any_contract.setdefault(debtor_id, contract_no)
        if total <= 0:
            continue
        parts = sums[debtor_id]
        for i, value in enumerate((principal, interest, fee, penalty)):
            parts[i] += value or ZERO
        candidate = (due, -total, contract_no)
        if debtor_id not in named or candidate < named[debtor_id]:
            named[debtor_id] = candidate
    promises: dict[int, tuple[Decimal, date]] = {}
    for debtor_id, amount, due in (
        Promise.objects.filter(case__debtor_id__in=one_of(ids), state__in=[PromiseState.PENDING, PromiseState.BROKEN])
        .order_by("case__debtor_id", "-due_date")
        .values_list("case__debtor_id", "amount", "due_date")
    ):
        promises.setdefault(debtor_id, (amount, due))
    plans: dict[int, str] = {}
    # The plan in force first: one still waiting for its waiver is named only when nothing is in force
    # (a rejected waiver leaves the earlier plan binding: payments/arrangement.py).
    for debtor_id, _active, summary in (
        RepaymentPlan.objects.filter(
            case__debtor_id__in=one_of(ids), status__in=[PlanStatus.ACTIVE, PlanStatus.ACCEPTED]
        )
        .annotate(
            active=models.Case(models.When(status=PlanStatus.ACTIVE, then=models.Value(0)), default=models.Value(1))
        )
        .order_by("case__debtor_id", "active", "-created_at")
        .values_list("case__debtor_id", "active", "summary")
    ):
        plans.setdefault(debtor_id, summary)
    instalments: dict[int, tuple[date, Decimal]] = {}
    for debtor_id, due, amount, paid in (
        Instalment.objects.filter(
            plan__case__debtor_id__in=one_of(ids),
            plan__status=PlanStatus.ACTIVE,
            status__in=[InstalmentStatus.DUE, InstalmentStatus.PARTLY_PAID],
        )
        .order_by("plan__case__debtor_id", "due_date")
        .values_list("plan__case__debtor_id", "due_date", "amount", "paid_amount")
    ):
        instalments.setdefault(debtor_id, (due, amount - paid))
    sender = sender_facts()
    result = {}
    for debtor_id, row in debtors.items():
        parts = sums[debtor_id]
        promise = promises.get(debtor_id)
        instalment = instalments.get(debtor_id)
        result[debtor_id] = MessageFacts(
            name=row["name"],
            gender=row["gender"],
            company_debtor=row["kind"] == "company",
            contract_no=named[debtor_id][2] if debtor_id in named else any_contract.get(debtor_id, ""),
            amounts=Amounts(*parts),
            today=today,
            due_date=named[debtor_id][0] if debtor_id in named else None,
            promise_amount=promise[0] if promise else None,
            promise_date=promise[1] if promise else None,
            plan_summary=plans.get(debtor_id, ""),
            next_due_date=instalment[0] if instalment else None,
            next_due_amount=instalment[1] if instalment else None,
            creditor=dict(sender["creditor"]),  # type: ignore[call-overload]
            law_firm=dict(sender["law_firm"]),  # type: ignore[call-overload]
            hotline=str(sender["hotline"]),
            payment_channels=dict(sender["payment_channels"]),  # type: ignore[call-overload]
        )
    return result


def with_deadline(facts: MessageFacts, deadline: date | None) -> MessageFacts:
    return replace(facts, deadline=deadline)


def facts_frame(debtor_ids: Iterable[int], debtors: pl.DataFrame | None = None) -> pl.DataFrame:
    """``facts_for_debtors`` for a night's batch, as one frame (FACTS_SCHEMA, a debtor a row): the same
    queries, their rows read as frames (COPY on PostgreSQL) and reduced per debtor by Polars instead of a
    Python loop over Decimal rows.

    Amounts stay integer fen. The rows are reduced in the order the queries give them, so the first row per
    debtor is the one ``setdefault`` keeps there; a test holds the two readers equal. ``debtors`` (debtor_id,
    name, gender, kind), when the caller has read them already, stands in for the debtors' query.
    """
    ids = set(debtor_ids)
    if not ids:
        return pl.DataFrame(schema=FACTS_SCHEMA)
    if debtors is None:
        debtors = _frame(
            Debtor.objects.filter(id__in=one_of(ids)).values_list("id", "name", "gender", "kind"),
            {"debtor_id": pl.Int64, "name": pl.String, "gender": pl.String, "kind": pl.String},
        )
    else:
        debtors = debtors.select("debtor_id", "name", "gender", "kind").filter(pl.col("debtor_id").is_in(sorted(ids)))
    accounts = _frame(
        Account.objects.filter(debtor_id__in=one_of(ids)).values_list(
            "debtor_id", "contract_no", "due_date", "balance__principal", "balance__interest", "balance__fee",
            "balance__penalty", "balance__total",
        ),
        {"debtor_id": pl.Int64, "contract_no": pl.String, "due_date": pl.Date, "principal": pl.Int64,
         "interest": pl.Int64, "fee": pl.Int64, "penalty": pl.Int64, "total": pl.Int64},
    ).with_columns(pl.col("principal", "interest", "fee", "penalty", "total").fill_null(0))  # fmt: skip
    any_contract = accounts.group_by("debtor_id", maintain_order=True).agg(pl.col("contract_no").first().alias("any"))
    owing = accounts.filter(pl.col("total") > 0)
    sums = owing.group_by("debtor_id").agg(pl.col("principal", "interest", "fee", "penalty").sum())
    # The owing account overdue longest names the contract: oldest due date, then the larger total.
    named = (
        owing.sort(["debtor_id", "due_date", "total", "contract_no"], descending=[False, False, True, False])
        .group_by("debtor_id", maintain_order=True)
        .agg(pl.col("contract_no").first().alias("named"), pl.col("due_date").first())
    )
    promises = _frame(
        Promise.objects.filter(case__debtor_id__in=one_of(ids), state__in=[PromiseState.PENDING, PromiseState.BROKEN])
        .order_by("case__debtor_id", "-due_date")
        .values_list("case__debtor_id", "amount", "due_date"),
        {"debtor_id": pl.Int64, "promise_amount": pl.Int64, "promise_date": pl.Date},
    ).unique("debtor_id", keep="first", maintain_order=True)
    plans = _frame(
        RepaymentPlan.objects.filter(
            case__debtor_id__in=one_of(ids), status__in=[PlanStatus.ACTIVE, PlanStatus.ACCEPTED]
        )
        .annotate(
            active=models.Case(models.When(status=PlanStatus.ACTIVE, then=models.Value(0)), default=models.Value(1))
        )
        .order_by("case__debtor_id", "active", "-created_at")
        .values_list("case__debtor_id", "active", "summary"),
        {"debtor_id": pl.Int64, "active": pl.Int64, "plan_summary": pl.String},
    ).unique("debtor_id", keep="first", maintain_order=True)
    instalments = _frame(
        Instalment.objects.filter(
            plan__case__debtor_id__in=one_of(ids),
            plan__status=PlanStatus.ACTIVE,
            status__in=[InstalmentStatus.DUE, InstalmentStatus.PARTLY_PAID],
        )
        .order_by("plan__case__debtor_id", "due_date")
        .values_list("plan__case__debtor_id", "due_date", "amount", "paid_amount"),
        {"debtor_id": pl.Int64, "next_due_date": pl.Date, "amount": pl.Int64, "paid": pl.Int64},
    ).unique("debtor_id", keep="first", maintain_order=True)
    joined = (
        debtors.join(any_contract, on="debtor_id", how="left")
        .join(sums, on="debtor_id", how="left")
        .join(named, on="debtor_id", how="left")
        .join(promises, on="debtor_id", how="left")
        .join(plans.select("debtor_id", "plan_summary"), on="debtor_id", how="left")
        .join(
            instalments.select("debtor_id", "next_due_date", (pl.col("amount") - pl.col("paid")).alias("next_due")),
            on="debtor_id",
            how="left",
        )
        .with_columns(
            pl.col("name", "gender").fill_null(""),
            (pl.col("kind") == "company").fill_null(False).alias("company"),
            pl.coalesce("named", "any", pl.lit("")).alias("contract_no"),
            *(pl.col(part).fill_null(0) for part in ("principal", "interest", "fee", "penalty")),
            pl.col("plan_summary").fill_null(""),
            pl.col("next_due").alias("next_due_amount"),
        )
    )
    # What no stored fact gives is left unset: a message's deadline is its own, a payment is named by the
    # confirmation that carries it.
    return joined.select(
        [pl.col(name).cast(dtype) if name in joined.columns else pl.lit(None, dtype).alias(name)
         for name, dtype in FACTS_SCHEMA.items()]
    )  # fmt: skip


def values_for_many_debtors(
    wanted: Iterable[tuple[int, str]], today: date, debtors: pl.DataFrame | None = None
) -> dict[tuple[int, str], dict[str, str]]:
    """``values_for`` of each (debtor, language) in ``wanted``, computed in columns (``values_frame``): a
    night's messages without a ``MessageFacts`` and a formatted amount per debtor in Python. A debtor that
    does not exist is left out, as ``facts_for_debtors`` leaves it out. ``debtors``: see ``facts_frame``."""
    return values_by_debtor(value_frames(wanted, today, debtors))


def values_by_debtor(frames: Mapping[str, pl.DataFrame]) -> dict[tuple[int, str], dict[str, str]]:
    """``value_frames``' frames as ``values_for``'s dictionaries, by (debtor, language)."""
    return {
        (debtor_id, language): row
        for language, values in frames.items()
        for debtor_id, row in value_dicts(values).items()
    }


def value_frames(
    wanted: Iterable[tuple[int, str]], today: date, debtors: pl.DataFrame | None = None
) -> dict[str, pl.DataFrame]:
    """``values_for_many_debtors`` as frames: per language, ``values_frame`` of its debtors (a debtor a row,
    "debtor_id" and a text column per placeholder, null where the value is absent)."""
    languages: dict[str, set[int]] = defaultdict(set)
    for debtor_id, language in wanted:
        languages[language].add(debtor_id)
    if not languages:
        return {}
    frame = facts_frame(set().union(*languages.values()), debtors)
    sender = sender_facts()
    texts = SenderTexts(
        creditor=dict(sender["creditor"]),  # type: ignore[call-overload]
        law_firm=dict(sender["law_firm"]),  # type: ignore[call-overload]
        hotline=str(sender["hotline"]),
        payment_channels=dict(sender["payment_channels"]),  # type: ignore[call-overload]
    )
    return {
        language: values_frame(
            frame if len(languages) == 1 else frame.filter(pl.col("debtor_id").is_in(sorted(ids))),
            language,
            today,
            texts,
        )
        for language, ids in languages.items()
    }


def _frame(query: models.QuerySet[Any, Any], schema: dict[str, Any]) -> pl.DataFrame:
    """The rows of a ``values_list`` query as a frame with ``schema`` (the query's SQL, read by ``read_frame``).

    Money columns come as the integer fen they are stored as (no field converter runs).
    """
    sql, params = query.query.sql_with_params()
    return read_frame(sql, params, schema)
