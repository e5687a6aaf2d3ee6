"""Days past due, age buckets and the default collection stage.

DPD counts calendar days after the due date: an instalment due on 31 January is 1 day past due on
1 February and 29 days past due on 1 March of a leap year (28 otherwise). Buckets follow the industry's
M-notation: M1 is 1-30 days, M2 31-60, M3 61-90, M3+ beyond.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum


class Bucket(StrEnum):
    CURRENT = "M0"
    M1 = "M1"
    M2 = "M2"
    M3 = "M3"
    M3_PLUS = "M3+"


class Stage(StrEnum):
    REMINDER = "reminder"
    EARLY = "early"
    MIDDLE = "middle"
    LATE = "late"
    LEGAL = "legal"


# Upper DPD bound (inclusive) of each stage; the strategy policy may replace these with its own.
DEFAULT_STAGE_BOUNDS: tuple[tuple[int, Stage], ...] = (
    (3, Stage.REMINDER),
    (30, Stage.EARLY),
    (90, Stage.MIDDLE),
)


def days_past_due(due_date: date | None, as_of: date) -> int:
    if due_date is None or as_of <= due_date:
        return 0
    return (as_of - due_date).days


def bucket(dpd: int) -> Bucket:
    if dpd <= 0:
        return Bucket.CURRENT
    if dpd <= 30:
        return Bucket.M1
    if dpd <= 60:
        return Bucket.M2
    if dpd <= 90:
        return Bucket.M3
    return Bucket.M3_PLUS


def stage(dpd: int, *, legal: bool = False, bounds: tuple[tuple[int, Stage], ...] = DEFAULT_STAGE_BOUNDS) -> Stage:
    if legal:
        return Stage.LEGAL
    for upper, name in bounds:
        if dpd <= upper:
            return name
    return Stage.LATE
