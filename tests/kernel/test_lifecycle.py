"""The case lifecycle: opens when delinquent, closes when paid, reopens, counts cured delinquencies."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huikuan.kernel.lifecycle import (
    CLOSES_WHEN_PAID,
    IN_COLLECTION,
    CaseStatus,
    Change,
    cures,
    delinquent,
    in_collection,
    newly_closed,
    next_change,
    opens_case,
)

TODAY = date(2026, 3, 2)
days = st.dates(min_value=date(2024, 1, 1), max_value=date(2028, 12, 31))
owing = st.none() | days
statuses = st.sampled_from(list(CaseStatus))


@pytest.mark.parametrize(
    ("status", "oldest", "change"),
    [
        (CaseStatus.OPEN, None, Change.CLOSE),  # paid off
        (CaseStatus.ON_HOLD, None, Change.CLOSE),  # paid off while on hold
        (CaseStatus.LEGAL, None, Change.NONE),  # the legal team closes its own file
        (CaseStatus.CLOSED, None, Change.NONE),
        (CaseStatus.CLOSED, date(2026, 3, 1), Change.REOPEN),  # due yesterday: delinquent again
        (CaseStatus.CLOSED, TODAY, Change.NONE),  # due today is not late yet
        (CaseStatus.CLOSED, date(2026, 4, 1), Change.NONE),  # owing, but not yet due
        (CaseStatus.OPEN, date(2026, 1, 1), Change.NONE),
        (CaseStatus.OPEN, date(2026, 4, 1), Change.NONE),  # a case stays open while money is owed at all
    ],
)
def test_what_the_ledger_does_to_a_case(status: CaseStatus, oldest: date | None, change: Change) -> None:
    assert next_change(status, oldest, TODAY) is change


def test_only_a_delinquency_opens_a_case() -> None:
    assert opens_case(date(2026, 3, 1), TODAY)
    assert not opens_case(TODAY, TODAY)
    assert not opens_case(None, TODAY)


@pytest.mark.parametrize(
    ("oldest", "closed_on", "cured"),
    [
        (date(2026, 2, 10), date(2026, 2, 1), True),  # fell due after the close: a new delinquency
        (date(2026, 2, 1), date(2026, 2, 1), True),  # fell due on the day of the close
        (date(2026, 1, 31), date(2026, 2, 1), False),  # the old debt back: a reversed payment
        (date(2026, 2, 10), None, False),  # no close time recorded: no telling
    ],
)
def test_a_reopening_counts_a_cure_only_for_money_that_fell_due_after_the_close(
    oldest: date, closed_on: date | None, cured: bool
) -> None:
    assert cures(oldest, closed_on) is cured


def _apply(status: CaseStatus, oldest: date | None, today: date) -> CaseStatus:
    change = next_change(status, oldest, today)
    if change is Change.CLOSE:
        return CaseStatus.CLOSED
    if change is Change.REOPEN:
        return CaseStatus.OPEN
    return status


@given(statuses, owing, days)
def test_the_lifecycle_settles_at_once(status: CaseStatus, oldest: date | None, today: date) -> None:
    """Applied twice to the same facts, the second pass changes nothing: a refresh can run any number of times."""
    once = _apply(status, oldest, today)
    assert next_change(once, oldest, today) is Change.NONE


@given(statuses, owing, days)
def test_a_case_moves_only_for_the_ledgers_reasons(status: CaseStatus, oldest: date | None, today: date) -> None:
    change = next_change(status, oldest, today)
    if change is Change.CLOSE:
        assert oldest is None and status in CLOSES_WHEN_PAID
    if change is Change.REOPEN:
        assert status == CaseStatus.CLOSED and delinquent(oldest, today)
    after = _apply(status, oldest, today)
    # Whatever happened: nothing owed leaves no open or held case, and a delinquency no closed one.
    if oldest is None:
        assert after not in CLOSES_WHEN_PAID
    if delinquent(oldest, today):
        assert after != CaseStatus.CLOSED
    # The legal team's cases are never moved by the ledger.
    if status == CaseStatus.LEGAL:
        assert after == CaseStatus.LEGAL


@given(st.lists(st.tuples(owing, st.integers(min_value=0, max_value=40)), min_size=1, max_size=12))
def test_cured_episodes_count_each_delinquency_paid_off_before_a_new_one(steps: list[tuple[date | None, int]]) -> None:
    """Over any history of balances, a cure is counted only on reopening, and never for the debt that closed it."""
    status, closed_on, cured, today = CaseStatus.OPEN, None, 0, date(2026, 1, 1)
    for oldest, gap in steps:
        today += timedelta(days=gap)
        change = next_change(status, oldest, today)
        if change is Change.CLOSE:
            status, closed_on = CaseStatus.CLOSED, today
        elif change is Change.REOPEN:
            assert oldest is not None
            before = cured
            if cures(oldest, closed_on):
                cured += 1
                assert closed_on is not None and oldest >= closed_on
            else:
                assert cured == before
            status = CaseStatus.OPEN
        assert cured >= 0
    assert cured <= sum(1 for oldest, _ in steps if oldest is not None)


@given(st.sampled_from([*CaseStatus, None]), statuses)
def test_newly_closed_is_a_close_and_nothing_else(before: CaseStatus | None, after: CaseStatus) -> None:
    assert newly_closed(before, after) == (after == CaseStatus.CLOSED and before != CaseStatus.CLOSED)


@given(statuses, owing, days)
def test_in_collection_is_a_working_status_and_a_delinquency(
    status: CaseStatus, oldest: date | None, today: date
) -> None:
    assert in_collection(status, oldest, today) == (status in IN_COLLECTION and delinquent(oldest, today))
    assert CaseStatus.CLOSED not in IN_COLLECTION
