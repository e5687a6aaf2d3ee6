"""Monthly due dates on a chosen day of the month.

A plan agreed "on the 31st" must still fall due in February, and it must come back to the 31st in
March: each date is computed from the anchor day, never from the previous due date, so a short month
clamps one instalment without dragging every later one to the 28th.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from huikuan.kernel.plans.errors import PlanError


def days_in_month(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def on_day(year: int, month: int, day: int) -> date:
    """The chosen day in that month, or the month's last day when the month is shorter."""
    return date(year, month, min(day, days_in_month(year, month)))


def add_months(start: date, months: int, day: int | None = None) -> date:
    """``start`` moved by whole months, landing on ``day`` (default: start's own day), clamped."""
    index = start.year * 12 + (start.month - 1) + months
    year, month0 = divmod(index, 12)
    return on_day(year, month0 + 1, start.day if day is None else day)


def check_payment_day(day: int) -> list[PlanError]:
    if not 1 <= day <= 31:
        return [PlanError(f"payment day must be between 1 and 31, got {day}")]
    return []


def first_due_date(today: date, payment_day: int, min_lead_days: int = 0) -> date:
    """The first date on the payment day (clamped) that leaves the debtor at least ``min_lead_days``.

    Searching month by month from the earliest allowed date keeps the answer within about one month
    of that date, so a plan never starts later than the debtor expects.
    """
    earliest = today + timedelta(days=max(min_lead_days, 0))
    candidate = on_day(earliest.year, earliest.month, payment_day)
    if candidate < earliest:
        candidate = add_months(candidate, 1, payment_day)
    return candidate


def monthly_due_dates(first_due: date, count: int, payment_day: int | None = None) -> list[date]:
    """``count`` monthly dates starting at ``first_due`` on ``payment_day`` (default: first_due's day).

    When ``first_due`` was itself clamped (say 28 Feb for the 31st), pass the payment day so later
    months return to it.
    """
    day = first_due.day if payment_day is None else payment_day
    return [first_due] + [add_months(first_due, k, day) for k in range(1, count)]


def plan_end_limit(start: date, max_months: int) -> date:
    """The last date a plan starting on ``start`` may still have a due date (e.g. 60 months for cn)."""
    return add_months(start, max_months)
