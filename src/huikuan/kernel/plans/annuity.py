"""Interest-bearing instalment schedules (等额本息) in Decimal.

The level payment and each period's interest are the closed-form annuity figures rounded half up to
the fen, so they agree with the standard spreadsheet functions (PMT/IPMT) that a debtor or a court
expert would use to check us. The payment is rounded once and kept level; the last payment absorbs
the accumulated rounding so the principal is repaid exactly to the fen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext

from huikuan.kernel.money import ZERO, quantize_fen
from huikuan.kernel.plans.errors import PlanError
from huikuan.kernel.plans.schedule import monthly_due_dates

# Fifty digits keep (1 + r) ** 600 exact far beyond the fen for any rate a plan may carry.
_PRECISION = 50


@dataclass(frozen=True, slots=True)
class AnnuityRow:
    n: int
    due_date: date
    payment: Decimal
    interest: Decimal
    principal: Decimal
    balance_after: Decimal


def monthly_rate(annual_rate: Decimal) -> Decimal:
    """Nominal annual rate (0.12 for 12 %) to the periodic rate the schedule compounds at."""
    return annual_rate / Decimal(12)


def level_payment(principal: Decimal, rate: Decimal, periods: int) -> Decimal:
    """The unrounded level payment that repays ``principal`` in ``periods`` payments at ``rate``."""
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        if rate == 0:
            return principal / Decimal(periods)
        growth = (Decimal(1) + rate) ** periods
        return principal * rate * growth / (growth - Decimal(1))


def period_interest(principal: Decimal, rate: Decimal, periods: int, n: int) -> Decimal:
    """The unrounded interest in payment ``n`` (1-based): rate times the exact balance before it."""
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        if rate == 0:
            return Decimal(0)
        payment = level_payment(principal, rate, periods)
        growth = (Decimal(1) + rate) ** (n - 1)
        balance_before = principal * growth - payment * (growth - Decimal(1)) / rate
        return balance_before * rate


def check_annuity(principal: Decimal, rate: Decimal, periods: int) -> list[PlanError]:
    errors: list[PlanError] = []
    if principal <= 0 or principal != quantize_fen(principal):
        errors.append(PlanError(f"principal must be positive and to the fen, got {principal}"))
    if rate < 0:
        errors.append(PlanError(f"rate cannot be negative, got {rate}"))
    if periods < 1:
        errors.append(PlanError(f"at least one period, got {periods}"))
    return errors


def annuity_schedule(
    principal: Decimal,
    rate: Decimal,
    periods: int,
    first_due: date,
    payment_day: int | None = None,
) -> tuple[list[AnnuityRow], list[PlanError]]:
    """Monthly level-payment schedule; ``rate`` is per period (see ``monthly_rate``)."""
    errors = check_annuity(principal, rate, periods)
    if errors:
        return [], errors
    payment = quantize_fen(level_payment(principal, rate, periods))
    dates = monthly_due_dates(first_due, periods, payment_day)
    rows: list[AnnuityRow] = []
    outstanding = principal
    for n, due in enumerate(dates, start=1):
        interest = quantize_fen(period_interest(principal, rate, periods, n))
        if n == periods:
            repaid = outstanding
            rows.append(AnnuityRow(n, due, repaid + interest, interest, repaid, ZERO))
        else:
            repaid = payment - interest
            outstanding -= repaid
            rows.append(AnnuityRow(n, due, payment, interest, repaid, outstanding))
    if any(r.payment <= 0 or r.principal < 0 for r in rows):
        # Over more periods than the principal has fen, the level payment rounds to nothing (0.01 over 3:
        # 0.00, 0.00, 0.01) or rounds up and repays more than was lent before the last period, which would
        # then pay money back (0.02 over 4: 0.01, 0.01, 0.01, -0.01).
        return [], [PlanError(f"{principal} cannot be spread over {periods} payments of at least a fen")]
    return rows, []
