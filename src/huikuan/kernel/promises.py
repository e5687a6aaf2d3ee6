"""Promise-to-pay (承诺还款) states, computed from the promise, the payments and the day.

A promise is judged on the money that arrived between the day it was made and its due date plus the
policy's grace days, both inclusive: money paid before the promise was made settled something else,
and money after the grace period is late even if it is welcome. Until the grace period has passed a
promise that is not yet fully paid stays pending, so a debtor paying in two parts is not called a
promise-breaker on the evening of the first part.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING

from huikuan.kernel.money import ZERO, quantize_fen

if TYPE_CHECKING:
    import polars as pl


class PromiseState(StrEnum):
    PENDING = "pending"
    KEPT = "kept"
    PARTLY_KEPT = "partly_kept"
    BROKEN = "broken"


@dataclass(frozen=True, slots=True)
class Promise:
    amount: Decimal
    due_date: date
    created_on: date
    channel: str
    # Which payments count: the case (or debtor) the promise was made for.
    key: str = ""
    promise_id: str = ""


@dataclass(frozen=True, slots=True)
class PromisePayment:
    paid_on: date
    amount: Decimal
    key: str = ""


@dataclass(frozen=True, slots=True)
class PromiseOutcome:
    promise_id: str
    state: PromiseState
    paid: Decimal
    shortfall: Decimal


@dataclass(frozen=True, slots=True)
class PromiseError:
    promise_id: str
    message: str


def check_promise(promise: Promise) -> list[PromiseError]:
    errors: list[PromiseError] = []
    if promise.amount <= 0 or promise.amount != quantize_fen(promise.amount):
        errors.append(PromiseError(promise.promise_id, f"amount must be positive and to the fen: {promise.amount}"))
    if promise.due_date < promise.created_on:
        errors.append(PromiseError(promise.promise_id, "a promise cannot fall due before it was made"))
    if not promise.channel:
        errors.append(PromiseError(promise.promise_id, "a promise needs the channel it was given on"))
    return errors


# How far ahead a promise to pay may fall due when the policy says nothing: a promise is a commitment for
# the coming weeks; money further off is a repayment plan, with its schedule and its tracking.
DEFAULT_HORIZON_DAYS = 30


@dataclass(frozen=True, slots=True)
class PromiseProblem:
    """Why a promise cannot be recorded: ``code`` for the app to word in the user's language, with
    ``params`` (amounts with thousands separators, ISO dates)."""

    code: str
    params: tuple[tuple[str, str], ...] = ()


def promise_problems(
    amount: Decimal, due_date: date, today: date, owed: Decimal, horizon_days: int = DEFAULT_HORIZON_DAYS
) -> list[PromiseProblem]:
    """What makes a promise unacceptable on ``today`` (the debtor's day) when ``owed`` is the balance.

    - ``amount``: more than zero, to the fen, and no more than is owed: more is a typo or a misunderstanding,
      and would count as kept only once money the debtor does not owe arrived;
    - ``due_date``: not before today, and within ``horizon_days``: further off, the debtor needs a plan.
    """
    problems: list[PromiseProblem] = []
    if amount <= 0 or amount != quantize_fen(amount):
        problems.append(PromiseProblem("amount_invalid"))
    elif amount > owed:
        problems.append(PromiseProblem("above_balance", (("owed", f"{owed:,.2f}"), ("amount", f"{amount:,.2f}"))))
    last = today + timedelta(days=max(horizon_days, 0))
    if due_date < today:
        problems.append(PromiseProblem("before_today", (("today", today.isoformat()),)))
    elif due_date > last:
        problems.append(PromiseProblem("beyond_horizon", (("days", str(horizon_days)), ("last", last.isoformat()))))
    return problems


def grace_deadline(promise: Promise, grace_days: int) -> date:
    """The last day a payment still keeps the promise."""
    return promise.due_date + timedelta(days=grace_days)


def paid_towards(promise: Promise, payments: Iterable[PromisePayment], as_of: date, grace_days: int) -> Decimal:
    last = min(as_of, grace_deadline(promise, grace_days))
    return sum((p.amount for p in payments if promise.created_on <= p.paid_on <= last), ZERO)


def state_for(amount: Decimal, paid: Decimal, window_open: bool) -> PromiseState:
    if paid >= amount:
        return PromiseState.KEPT
    if window_open:
        return PromiseState.PENDING
    return PromiseState.PARTLY_KEPT if paid > 0 else PromiseState.BROKEN


def evaluate_promise(
    promise: Promise, payments: Iterable[PromisePayment], as_of: date, grace_days: int
) -> PromiseOutcome:
    """State, money counted and shortfall of one promise as known at the end of ``as_of``."""
    paid = paid_towards(promise, payments, as_of, grace_days)
    state = state_for(promise.amount, paid, as_of <= grace_deadline(promise, grace_days))
    return PromiseOutcome(promise.promise_id, state, paid, max(promise.amount - paid, ZERO))


def promise_state(promise: Promise, payments: Iterable[PromisePayment], as_of: date, grace_days: int) -> PromiseState:
    return evaluate_promise(promise, payments, as_of, grace_days).state


def settle_promises(
    promises: Sequence[Promise],
    payments: Iterable[PromisePayment] | Mapping[str, Sequence[PromisePayment]],
    as_of: date,
    grace_days: int,
) -> tuple[list[PromiseOutcome], list[PromiseError]]:
    """Every promise's outcome; payments are matched to promises by ``key``.

    Each promise is judged on its own window, so two overlapping promises on one case may both count
    the same payment; the workbench allows one open promise per case, which keeps that theoretical.
    Invalid promises are reported and left out rather than stopping the nightly run.
    """
    if isinstance(payments, Mapping):
        by_key: Mapping[str, Sequence[PromisePayment]] = payments
    else:
        grouped: dict[str, list[PromisePayment]] = defaultdict(list)
        for payment in payments:
            grouped[payment.key].append(payment)
        by_key = grouped
    outcomes: list[PromiseOutcome] = []
    errors: list[PromiseError] = []
    if grace_days < 0:
        return [], [PromiseError("", f"grace days cannot be negative, got {grace_days}")]
    for promise in promises:
        problems = check_promise(promise)
        if problems:
            errors.extend(problems)
            continue
        outcomes.append(evaluate_promise(promise, by_key.get(promise.key, ()), as_of, grace_days))
    return outcomes, errors


def settle_promises_frame(
    promises: pl.DataFrame | pl.LazyFrame,
    payments: pl.DataFrame | pl.LazyFrame,
    as_of: date,
    grace_days: int,
) -> pl.DataFrame:
    """The same rules over columnar snapshots, for the nightly run over millions of promises.

    ``promises``: promise_id, key, amount (Decimal), due_date, created_on (Date).
    ``payments``: key, paid_on (Date), amount (Decimal).
    Returns promise_id, state, paid, shortfall. Amounts stay Decimal so the fen is exact here too.
    """
    import polars as pl

    deadline = pl.col("due_date") + pl.duration(days=grace_days)
    last = pl.min_horizontal(pl.lit(as_of), deadline)
    promise_cols = promises.lazy().select("promise_id", "key", "amount", "due_date", "created_on")
    pay = payments.lazy().select("key", pl.col("paid_on"), pl.col("amount").alias("paid_amount"))
    counted = (
        promise_cols.join(pay, on="key", how="inner")
        .filter((pl.col("paid_on") >= pl.col("created_on")) & (pl.col("paid_on") <= last))
        .group_by("promise_id")
        .agg(pl.col("paid_amount").sum().alias("paid"))
    )
    amount_type = promises.lazy().collect_schema()["amount"]
    zero = pl.lit(0).cast(amount_type)
    result = (
        promise_cols.join(counted, on="promise_id", how="left")
        .with_columns(pl.col("paid").fill_null(zero).cast(amount_type))
        .with_columns(
            pl.when(pl.col("paid") >= pl.col("amount"))
            .then(pl.lit(PromiseState.KEPT.value))
            .when(pl.lit(as_of) <= deadline)
            .then(pl.lit(PromiseState.PENDING.value))
            .when(pl.col("paid") > zero)
            .then(pl.lit(PromiseState.PARTLY_KEPT.value))
            .otherwise(pl.lit(PromiseState.BROKEN.value))
            .alias("state"),
            pl.max_horizontal(pl.col("amount") - pl.col("paid"), zero).cast(amount_type).alias("shortfall"),
        )
        .select("promise_id", "state", "paid", "shortfall")
    )
    return result.collect()
