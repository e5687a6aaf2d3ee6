"""The case lifecycle: when a debtor's case opens, closes when paid, reopens, and counts a cured delinquency.

A debtor has at most one case, kept in step with the ledger after every write (the import, a payment, a
reversal, a waiver). The whole lifecycle is a function of three facts: the case's status, the earliest
due date among the debtor's accounts that still owe money ("oldest owing"), and the debtor's today:

- a debtor without a case gets one when money is owed from a due date before today (delinquent);
- an open or on-hold case closes when nothing is owed any more (paid, waived). A case with legal stays:
  the lawyers close their file themselves;
- a closed case reopens when the debtor is delinquent again. The same case reopens rather than a new
  one, so the history stays in one file;
- a reopening counts a cured episode when the money now owed fell due on or after the day the case
  closed: that is a new delinquency, so the earlier one was paid off. A due date from before the close is
  the old debt come back (a reversed payment), the same delinquency going on. The strategy reads the
  count (a late payer who pays is not a first-time defaulter) and waivers are granted per episode.

The strategy's snapshot reads "in collection" (``in_collection``) in SQL; a test holds that SQL to these
functions.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum


class CaseStatus(StrEnum):
    OPEN = "open"
    ON_HOLD = "on_hold"
    CLOSED = "closed"
    LEGAL = "legal"


# Statuses in which the case is worked: collection contact, the strategy's items, no pre-due reminders.
IN_COLLECTION = frozenset({CaseStatus.OPEN, CaseStatus.ON_HOLD, CaseStatus.LEGAL})
# Statuses a paid-off balance closes by itself; a case with legal waits for the legal team.
CLOSES_WHEN_PAID = frozenset({CaseStatus.OPEN, CaseStatus.ON_HOLD})
# The close reason the ledger writes: the debtor owes nothing any more.
PAID_OFF = "balance_paid"


class Change(StrEnum):
    NONE = ""
    CLOSE = "close"
    REOPEN = "reopen"


def delinquent(oldest_owing: date | None, today: date) -> bool:
    """Money is owed from a due date before the debtor's today (a due date of today is not yet late)."""
    return oldest_owing is not None and oldest_owing < today


def opens_case(oldest_owing: date | None, today: date) -> bool:
    """Whether a debtor without a case gets one now: only a delinquency opens a case, not a debt still to fall due."""
    return delinquent(oldest_owing, today)


def next_change(status: str, oldest_owing: date | None, today: date) -> Change:
    """What the ledger does to an existing case: close it (nothing owed), reopen it (delinquent again), or nothing.

    ``oldest_owing`` is None when no account owes money. A closed case whose debtor owes money not yet due
    stays closed until that due date passes.
    """
    if oldest_owing is None and status in CLOSES_WHEN_PAID:
        return Change.CLOSE
    if status == CaseStatus.CLOSED and delinquent(oldest_owing, today):
        return Change.REOPEN
    return Change.NONE


def cures(oldest_owing: date, closed_on: date | None) -> bool:
    """Whether a reopening starts a new delinquency, so the one that closed the case was cured.

    ``closed_on`` is the debtor's day of the close. A due date on or after it is money that fell due after
    the debt was paid off; one before it is the old debt back (a payment reversed). A case with no close
    time recorded counts nothing: there is no telling which it was.
    """
    return closed_on is not None and oldest_owing >= closed_on


def newly_closed(before: str | None, after: str) -> bool:
    """A status change that closed the case (the thank-you and the cancelling of reminders follow it)."""
    return after == CaseStatus.CLOSED and before != CaseStatus.CLOSED


def in_collection(status: str, oldest_owing: date | None, today: date) -> bool:
    """A case the strategy works today: in a collection status and delinquent."""
    return status in IN_COLLECTION and delinquent(oldest_owing, today)
