"""The installation's clock: what "now" and "today" are, for every app.

The apps ask ``clock.now()`` and ``clock.today()`` instead of ``django.utils.timezone``, so a caller that
must run the system at another time sets the clock for the block it runs instead of patching functions:

    with clock.use(FixedClock(at)):
        nightly_settlement()      # today is at's day in the installation's zone
        save_outcome(...)         # the call is logged at `at`

The portfolio simulator steps the clock day by day this way (docs/analytics.md); tests freeze it the same
way. The clock in force lives in a context variable: it is the calling thread's (and asyncio task's), so
a simulation never moves the clock of a web request served by another thread, and it is not carried into
child processes or Celery workers (the simulator runs the strategy's shards in-process for that reason).

Columns filled by Django itself (``auto_now_add``) keep the wall clock: they say when a row was written.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from django.utils import timezone


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """The wall clock (Django's ``timezone.now``: aware, UTC)."""

    def now(self) -> datetime:
        return timezone.now()


@dataclass
class FixedClock:
    """A clock that stands still at ``at`` (aware) until it is set or advanced."""

    at: datetime

    def __post_init__(self) -> None:
        if timezone.is_naive(self.at):
            raise ValueError("a FixedClock needs an aware datetime")

    def now(self) -> datetime:
        return self.at

    def set(self, at: datetime) -> None:
        if timezone.is_naive(at):
            raise ValueError("a FixedClock needs an aware datetime")
        self.at = at

    def advance(self, delta: timedelta) -> None:
        self.at = self.at + delta


SYSTEM = SystemClock()
_current: ContextVar[Clock] = ContextVar("huikuan_clock", default=SYSTEM)


def now() -> datetime:
    """The current instant (aware, UTC unless a fixed clock says otherwise)."""
    return _current.get().now()


def today() -> date:
    """The installation's day (``TIME_ZONE``) at ``now()``: the day of the nightly runs and work items."""
    return timezone.localdate(now())


def current() -> Clock:
    return _current.get()


@contextmanager
def use(clock: Clock) -> Iterator[Clock]:
    """Run the block with ``clock`` as the clock in force; the previous one is back afterwards."""
    token = _current.set(clock)
    try:
        yield clock
    finally:
        _current.reset(token)
