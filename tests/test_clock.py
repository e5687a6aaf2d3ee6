"""The clock: apps read "now" and "today" from it, and a caller sets it for a block instead of patching."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from huikuan import clock
from huikuan.clock import FixedClock


def test_the_system_clock_is_in_force_by_default() -> None:
    before = datetime.now(UTC)
    assert before - timedelta(seconds=5) <= clock.now() <= datetime.now(UTC) + timedelta(seconds=5)


def test_a_fixed_clock_sets_now_and_the_installations_day_for_its_block(settings: object) -> None:
    # 2026-03-01 17:00 UTC is already 2 March in Shanghai (the installation's zone in the tests).
    at = datetime(2026, 3, 1, 17, 0, tzinfo=UTC)
    with clock.use(FixedClock(at)) as fixed:
        assert clock.now() == at
        assert clock.today() == date(2026, 3, 2)
        assert isinstance(fixed, FixedClock)
        fixed.advance(timedelta(days=1))
        assert clock.today() == date(2026, 3, 3)
    assert clock.now() != at + timedelta(days=1)


def test_blocks_nest_and_the_outer_clock_comes_back() -> None:
    outer, inner = datetime(2026, 1, 1, 4, tzinfo=UTC), datetime(2026, 6, 1, 4, tzinfo=UTC)
    with clock.use(FixedClock(outer)):
        with clock.use(FixedClock(inner)):
            assert clock.now() == inner
        assert clock.now() == outer


def test_a_fixed_clock_refuses_a_naive_time() -> None:
    with pytest.raises(ValueError):
        FixedClock(datetime(2026, 1, 1))
