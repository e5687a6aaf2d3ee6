"""The time-based split: earlier days train, later days test, and training days whose outcomes overlap the
test period's are held back while enough remain."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from huikuan.kernel.scoring.table import ScoringError
from huikuan.scoring.training import snapshot_days, time_split


def frame_of(days: list[date], per_day: int = 3) -> pl.DataFrame:
    return pl.DataFrame({"as_of": [d for d in days for _ in range(per_day)]})


def test_ninety_days_split_by_time_with_an_embargo_before_the_test_period() -> None:
    days = snapshot_days(date(2026, 12, 1)).days
    assert len(days) == 31 and days[-1] == date(2026, 11, 1) and days[1] - days[0] == timedelta(days=3)
    frame = frame_of(days)
    split = time_split(frame)
    as_of = frame.get_column("as_of")
    train, valid, test = (set(as_of.gather(part).to_list()) for part in (split.train, split.valid, split.test))
    assert max(train) < min(valid) and max(valid) < min(test)
    # No training day's 30-day outcome window reaches the test period.
    assert max(train) + timedelta(days=30) <= min(test)
    assert len(test) == 6 and len(valid) == 6 and len(train) >= 10


def test_a_young_history_keeps_its_few_training_days_and_too_young_a_one_is_refused() -> None:
    days = [date(2026, 3, 2) + timedelta(days=3 * k) for k in range(5)]
    split = time_split(frame_of(days))
    assert len(split.train) == 9 and len(split.valid) == 3 and len(split.test) == 3
    with pytest.raises(ScoringError, match="at least 3 are needed"):
        time_split(frame_of(days[:2]))
