"""The three plan options a collector offers in the call, exact to the fen and to the day.

(a) pay in full by a deadline with penalties and fees waived, (b) equal monthly instalments in whole
yuan, (c) a ladder: a goodwill payment today and the rest in instalments. Deferral is offered apart,
only where the policy allows it. The options are structured values; ``summary`` turns one into the
sentence the collector reads out.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_FLOOR, Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from huikuan.kernel.ledger import Balance, total_balance
from huikuan.kernel.localtime import local_day
from huikuan.kernel.money import YUAN, ZERO, quantize_fen
from huikuan.kernel.plans.errors import PlanError
from huikuan.kernel.plans.policy import HUNDRED, PlanPolicy, check_policy
from huikuan.kernel.plans.schedule import (
    add_months,
    check_payment_day,
    first_due_date,
    monthly_due_dates,
    plan_end_limit,
)


class OptionKind(StrEnum):
    FULL_WITH_WAIVER = "full_with_waiver"
    INSTALMENTS = "instalments"
    LADDER = "ladder"
    DEFERRAL = "deferral"


@dataclass(frozen=True, slots=True)
class Instalment:
    n: int
    due_date: date
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Waiver:
    penalty: Decimal
    fee: Decimal
    valid_until: datetime
    # The part the collector's role may grant; the rest waits for a team lead.
    authorised: Decimal
    needs_approval: Decimal

    @property
    def total(self) -> Decimal:
        return self.penalty + self.fee


@dataclass(frozen=True, slots=True)
class PlanOption:
    kind: OptionKind
    owed: Decimal
    total: Decimal
    schedule: tuple[Instalment, ...]
    waiver: Waiver | None = None
    payment_day: int | None = None
    # None when the debtor stated no capacity; False when even the longest allowed plan exceeds it.
    fits_capacity: bool | None = None

    @property
    def needs_approval(self) -> bool:
        return self.waiver is not None and self.waiver.needs_approval > 0

    @property
    def approval_amount(self) -> Decimal:
        return self.waiver.needs_approval if self.waiver is not None else ZERO


@dataclass(frozen=True, slots=True)
class PlanOptions:
    full: PlanOption
    instalments: PlanOption
    ladder: PlanOption

    def __iter__(self) -> Iterator[PlanOption]:
        return iter((self.full, self.instalments, self.ladder))


def split_whole_yuan(total: Decimal, count: int) -> list[Decimal]:
    """``count`` amounts: equal whole yuan, the last one taking the remainder (fen included)."""
    base = (total / Decimal(count)).quantize(YUAN, rounding=ROUND_FLOOR)
    base = quantize_fen(base)
    return [base] * (count - 1) + [total - base * (count - 1)]


def max_instalment_count(
    total: Decimal, policy: PlanPolicy, first_due: date, payment_day: int, limit: int, end_limit: date
) -> int:
    """Largest count whose equal part is not below the minimum and whose last date is in the limit.

    Both conditions only get harder as the count grows, so the allowed counts are 1..answer. A
    total below the minimum is one instalment of the whole amount: there is nothing smaller to split.
    """
    best = 1
    for count in range(2, limit + 1):
        if split_whole_yuan(total, count)[0] < policy.min_instalment:
            break
        if monthly_due_dates(first_due, count, payment_day)[-1] > end_limit:
            break
        best = count
    return best


def choose_count(
    total: Decimal, policy: PlanPolicy, capacity: Decimal | None, highest: int, wanted: int | None = None
) -> tuple[int, bool | None]:
    """The count asked for (``wanted``, checked against ``highest`` by ``check_terms``); else the fewest
    instalments whose largest one fits the stated capacity; without either, the policy default."""
    if wanted is not None:
        count = min(wanted, highest)
        return count, None if capacity is None else max(split_whole_yuan(total, count)) <= capacity
    if capacity is None:
        return min(policy.default_instalments, highest), None
    for count in range(1, highest + 1):
        if max(split_whole_yuan(total, count)) <= capacity:
            return count, True
    return highest, False


def build_schedule(
    amounts: Sequence[Decimal], dates: Sequence[date], end_limit: date, start_n: int = 1
) -> tuple[Instalment, ...]:
    # Only a single instalment can fall past the limit (longer plans were cut to fit it); the plan's
    # maximum length is a legal limit and the lead time a courtesy, so the limit wins.
    capped = [min(d, end_limit) for d in dates]
    pairs = zip(capped, amounts, strict=True)
    return tuple(Instalment(start_n + i, d, a) for i, (d, a) in enumerate(pairs))


def waiver_deadline(today: date, policy: PlanPolicy, zone: ZoneInfo) -> datetime:
    return datetime.combine(
        today + timedelta(days=policy.waiver_valid_days), time(policy.waiver_deadline_hour), tzinfo=zone
    )


def full_payment_option(balance: Balance, policy: PlanPolicy, role: str, today: date, zone: ZoneInfo) -> PlanOption:
    waivable = balance.penalty + balance.fee
    offered = quantize_fen(waivable * policy.full_payment_waiver_percent / HUNDRED)
    # Penalties go first: they are the charge a debtor resents most and the cheapest to give up.
    penalty = min(balance.penalty, offered)
    fee = offered - penalty
    authorised = min(offered, policy.authority(role).limit(waivable))
    deadline = waiver_deadline(today, policy, zone)
    waiver = Waiver(penalty, fee, deadline, authorised, offered - authorised)
    total = balance.total - offered
    return PlanOption(
        kind=OptionKind.FULL_WITH_WAIVER,
        owed=balance.total,
        total=total,
        schedule=(Instalment(1, deadline.date(), total),),
        waiver=waiver if offered > 0 else None,
    )


@dataclass(frozen=True, slots=True)
class PlanTerms:
    """What the collector and the debtor asked the designer for; None leaves it to the policy.

    ``instalments`` is the number of payments of the instalment plan and of the ladder (its first payment
    included); ``first_payment`` is the ladder's first payment, in place of the policy's goodwill sum.
    """

    capacity: Decimal | None = None
    instalments: int | None = None
    first_payment: Decimal | None = None
    payment_day: int | None = None


def highest_instalments(total: Decimal, policy: PlanPolicy, today: date, payment_day: int) -> int:
    """The most equal monthly instalments the policy allows for ``total``: none below the minimum
    instalment, the last within the plan's maximum length, at most ``max_instalments``."""
    first_due = first_due_date(today, payment_day, policy.first_due_min_days)
    end_limit = plan_end_limit(today, policy.max_plan_months)
    return max_instalment_count(total, policy, first_due, payment_day, policy.max_instalments, end_limit)


def check_terms(balance: Balance, policy: PlanPolicy, today: date, terms: PlanTerms) -> list[PlanError]:
    """Terms the policy cannot meet, each with the limit that stops it (coded for the user's language)."""
    errors: list[PlanError] = []
    total = balance.total
    day = terms.payment_day or today.day
    if terms.instalments is not None:
        highest = highest_instalments(total, policy, today, day) if total > 0 else 1
        if terms.instalments < 1:
            errors.append(PlanError("instalments must be at least 1", "instalments_below"))
        elif terms.instalments > highest:
            errors.append(
                PlanError(
                    f"at most {highest} instalments for this balance (minimum instalment {policy.min_instalment}, "
                    f"at most {policy.max_instalments}, within {policy.max_plan_months} months)",
                    "instalments_above",
                    (
                        ("highest", str(highest)),
                        ("minimum", f"{policy.min_instalment:,.2f}"),
                        ("months", str(policy.max_plan_months)),
                    ),
                )
            )
    if terms.first_payment is not None:
        if terms.first_payment <= 0 or terms.first_payment != quantize_fen(terms.first_payment):
            errors.append(PlanError("the first payment must be positive and to the fen", "first_payment_invalid"))
        elif terms.first_payment > total:
            errors.append(
                PlanError(
                    f"the first payment cannot be more than the balance {total}",
                    "first_payment_above",
                    (("owed", f"{total:,.2f}"),),
                )
            )
    return errors


def instalment_option(
    balance: Balance,
    policy: PlanPolicy,
    capacity: Decimal | None,
    today: date,
    payment_day: int,
    wanted: int | None = None,
) -> PlanOption:
    total = balance.total
    first_due = first_due_date(today, payment_day, policy.first_due_min_days)
    end_limit = plan_end_limit(today, policy.max_plan_months)
    highest = max_instalment_count(total, policy, first_due, payment_day, policy.max_instalments, end_limit)
    count, fits = choose_count(total, policy, capacity, highest, wanted)
    dates = monthly_due_dates(first_due, count, payment_day)
    return PlanOption(
        kind=OptionKind.INSTALMENTS,
        owed=total,
        total=total,
        schedule=build_schedule(split_whole_yuan(total, count), dates, end_limit),
        payment_day=payment_day,
        fits_capacity=fits,
    )


def ladder_option(
    balance: Balance,
    policy: PlanPolicy,
    capacity: Decimal | None,
    today: date,
    payment_day: int,
    wanted: int | None = None,
    first_payment: Decimal | None = None,
) -> PlanOption:
    """Goodwill today, the rest monthly; the goodwill sum (the policy's, or the ``first_payment`` agreed) is
    exempt from the minimum; ``wanted`` payments in all, the first included."""
    total = balance.total
    goodwill = min(first_payment if first_payment is not None else policy.goodwill_first_payment, total)
    rest = total - goodwill
    first = Instalment(1, today, goodwill)
    if rest <= 0:
        return PlanOption(OptionKind.LADDER, total, total, (first,), payment_day=payment_day)
    # The rest must start after today's goodwill payment, even with no lead time in the policy.
    first_due = first_due_date(today, payment_day, max(policy.first_due_min_days, 1))
    end_limit = plan_end_limit(today, policy.max_plan_months)
    highest = max_instalment_count(rest, policy, first_due, payment_day, max(policy.max_instalments - 1, 1), end_limit)
    count, fits = choose_count(rest, policy, capacity, highest, max(wanted - 1, 1) if wanted is not None else None)
    dates = monthly_due_dates(first_due, count, payment_day)
    schedule = (first, *build_schedule(split_whole_yuan(rest, count), dates, end_limit, start_n=2))
    return PlanOption(OptionKind.LADDER, total, total, schedule, payment_day=payment_day, fits_capacity=fits)


def check_request(
    balance: Balance, policy: PlanPolicy, now: datetime, capacity: Decimal | None, payment_day: int | None
) -> list[PlanError]:
    errors = check_policy(policy)
    if now.tzinfo is None or now.utcoffset() is None:
        errors.append(PlanError("now must be an aware datetime"))
    if balance.total <= 0:
        errors.append(PlanError("nothing is owed: no plan to offer"))
    for name in ("principal", "interest", "fee", "penalty"):
        value: Decimal = getattr(balance, name)
        if value < 0 or value != quantize_fen(value):
            errors.append(PlanError(f"{name} must be non-negative and to the fen, got {value}"))
    if capacity is not None and capacity <= 0:
        errors.append(PlanError(f"a stated monthly capacity must be positive, got {capacity}"))
    if payment_day is not None:
        errors.extend(check_payment_day(payment_day))
    return errors


def resolve_zone(name: str) -> tuple[ZoneInfo | None, list[PlanError]]:
    try:
        return ZoneInfo(name), []
    except (ZoneInfoNotFoundError, ValueError):
        return None, [PlanError(f"unknown time zone {name!r}")]


def design_options(
    balances: Balance | Sequence[Balance],
    policy: PlanPolicy,
    role: str,
    now: datetime,
    *,
    capacity: Decimal | None = None,
    payment_day: int | None = None,
    time_zone: str | None = None,
    instalments: int | None = None,
    first_payment: Decimal | None = None,
) -> tuple[PlanOptions | None, list[PlanError]]:
    """Exactly three options for the case, or the errors that prevent offering any.

    ``now`` is converted to the debtor's time zone (``time_zone``, else the policy's) so "today" and
    the waiver deadline are the debtor's; ``payment_day`` defaults to today's day of the month.
    ``instalments`` and ``first_payment`` are the terms asked for (``PlanTerms``); terms the policy cannot
    meet are errors naming the limit (``check_terms``), never a plan quietly different from the one asked.
    The ladder takes as many payments as its rest allows, up to the number asked: its rest is smaller than
    the balance, so fewer instalments may stay above the minimum.
    """
    balance = total_balance(balances)
    errors = check_request(balance, policy, now, capacity, payment_day)
    zone, zone_errors = resolve_zone(time_zone or policy.time_zone)
    errors.extend(zone_errors)
    if errors or zone is None:
        return None, errors
    today = local_day(now, zone.key)
    day = payment_day or today.day
    terms = PlanTerms(capacity, instalments, first_payment, payment_day)
    errors = check_terms(balance, policy, today, terms)
    if errors:
        return None, errors
    return (
        PlanOptions(
            full=full_payment_option(balance, policy, role, today, zone),
            instalments=instalment_option(balance, policy, capacity, today, day, instalments),
            ladder=ladder_option(balance, policy, capacity, today, day, instalments, first_payment),
        ),
        [],
    )


def propose_deferral(
    balances: Balance | Sequence[Balance],
    policy: PlanPolicy,
    today: date,
    months: int,
    *,
    payment_day: int | None = None,
) -> tuple[PlanOption | None, list[PlanError]]:
    """延期: the whole balance due in one payment ``months`` later, where the policy allows it."""
    balance = total_balance(balances)
    errors = check_policy(policy)
    if not policy.deferral_allowed:
        errors.append(PlanError("the policy does not allow deferral"))
    if not 1 <= months <= policy.max_deferral_months:
        errors.append(PlanError(f"deferral must be 1 to {policy.max_deferral_months} months, got {months}"))
    if balance.total <= 0:
        errors.append(PlanError("nothing is owed: nothing to defer"))
    if payment_day is not None:
        errors.extend(check_payment_day(payment_day))
    if errors:
        return None, errors
    day = payment_day or today.day
    due = add_months(today, months, day)
    return (
        PlanOption(
            OptionKind.DEFERRAL,
            balance.total,
            balance.total,
            (Instalment(1, due, balance.total),),
            payment_day=day,
        ),
        [],
    )


def defer_schedule(
    schedule: Sequence[Instalment],
    months: int,
    policy: PlanPolicy,
    plan_start: date,
    payment_day: int,
    *,
    from_n: int = 1,
) -> tuple[tuple[Instalment, ...] | None, list[PlanError]]:
    """延期 of an agreed plan: instalments from ``from_n`` on move ``months`` later, amounts unchanged.

    The moved plan must still end within the policy's maximum length counted from ``plan_start``.
    """
    errors = check_policy(policy)
    if not policy.deferral_allowed:
        errors.append(PlanError("the policy does not allow deferral"))
    if not 1 <= months <= policy.max_deferral_months:
        errors.append(PlanError(f"deferral must be 1 to {policy.max_deferral_months} months, got {months}"))
    errors.extend(check_payment_day(payment_day))
    if errors:
        return None, errors
    # The agreed payment day, not each date's own day: a date clamped to 28 Feb must return to the 31st.
    moved = tuple(
        item if item.n < from_n else Instalment(item.n, add_months(item.due_date, months, payment_day), item.amount)
        for item in schedule
    )
    if moved and moved[-1].due_date > plan_end_limit(plan_start, policy.max_plan_months):
        return None, [PlanError("the deferred plan would run past the policy's maximum length")]
    return moved, []
