"""After a call the collector ended because the debtor was abusive: when and how the next attempt is made.

Not today: the debtor gets a day to calm down, and the collector is not sent back into the same call. The
next attempt is the next working day (a rest day is no day for it), on the channel the policy names
(``abusive.switch_to``) or again by phone. The nightly run plans it so (``evaluate``); the case page says it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from huikuan.kernel.holidays import Calendar, next_working_day


@dataclass(frozen=True, slots=True)
class NextAttempt:
    day: date
    channel: str
    streak: int  # abusive calls in a row so far
    to_specialist: bool  # the streak reached the policy's limit: the case goes to a specialist


def next_attempt_after_abuse(
    ended_on: date, calendar: Calendar, switch_to: str | None, streak: int, specialist_after: int
) -> NextAttempt:
    return NextAttempt(next_working_day(calendar, ended_on), switch_to or "call", streak, streak >= specialist_after)
