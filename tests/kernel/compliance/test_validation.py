"""The US validation notice's dates and itemisation, and time-barred debts (issue 27, item 1's rules)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from huikuan.kernel.compliance.validation import (
    Movement,
    assumed_receipt,
    dispute_stops_collection,
    itemize,
    mentions_suit,
    notice_due_by,
    time_barred,
    validation_period_end,
)
from huikuan.kernel.holidays import is_public_holiday
from huikuan.kernel.ledger import OWED_COMPONENTS, Component


def test_receipt_skips_the_weekend_and_thanksgiving() -> None:
    # Sent Friday 20 November 2026: Mon 23, Tue 24, Wed 25, (Thanksgiving Thu 26), Fri 27, Mon 30.
    assert assumed_receipt(date(2026, 11, 20)) == date(2026, 11, 30)
    assert validation_period_end(date(2026, 11, 20)) == date(2026, 12, 30)


def test_receipt_in_an_ordinary_week_and_over_christmas() -> None:
    assert assumed_receipt(date(2026, 6, 1)) == date(2026, 6, 8)
    assert validation_period_end(date(2026, 6, 1)) == date(2026, 7, 8)
    # Wed 23 Dec 2026: Thu 24, (Christmas Fri 25, weekend), Mon 28, Tue 29, Wed 30, Thu 31.
    assert assumed_receipt(date(2026, 12, 23)) == date(2026, 12, 31)
    assert validation_period_end(date(2026, 12, 23)) == date(2027, 1, 30)


def test_the_notice_follows_the_first_communication_within_five_days() -> None:
    assert notice_due_by(date(2026, 3, 2)) == date(2026, 3, 7)


def test_a_dispute_inside_the_window_stops_collection_until_verification() -> None:
    end = date(2026, 12, 30)
    assert dispute_stops_collection(date(2026, 12, 30), end, None)
    assert not dispute_stops_collection(date(2026, 12, 31), end, None)  # a day late: not a timely dispute
    assert not dispute_stops_collection(date(2026, 12, 10), end, date(2026, 12, 15))  # verified since
    assert dispute_stops_collection(date(2026, 12, 10), end, date(2026, 12, 1))  # verified before: not this one
    assert not dispute_stops_collection(date(2026, 12, 10), None, None)  # no notice: no window


def test_the_itemisation_of_the_worked_example() -> None:
    moves = [
        Movement(date(2026, 1, 5), {Component.PRINCIPAL: Decimal("10000.00")}),
        Movement(date(2026, 2, 5), {Component.INTEREST: Decimal("120.00")}),
        Movement(date(2026, 2, 10), {Component.FEE: Decimal("50.00")}),
        Movement(
            date(2026, 2, 20),
            {
                Component.INTEREST: Decimal("-120.00"),
                Component.FEE: Decimal("-50.00"),
                Component.PRINCIPAL: Decimal("-330.00"),
            },
        ),
    ]
    item = itemize(moves, date(2026, 1, 5))
    assert (item.amount_then, item.interest, item.fees, item.other_charges, item.paid_or_credited) == (
        Decimal("10000.00"), Decimal("120.00"), Decimal("50.00"), Decimal("0"), Decimal("500.00"),
    )  # fmt: skip
    assert item.amount_now == Decimal("9670.00")


def test_a_debt_is_time_barred_from_the_day_its_limitation_ends() -> None:
    start = date(2020, 3, 15)
    assert not time_barred(start, 6, date(2026, 3, 14))  # one day before
    assert time_barred(start, 6, date(2026, 3, 15))
    assert time_barred(start, 6, date(2026, 3, 16))  # one day after
    assert not time_barred(None, 6, date(2040, 1, 1)) and not time_barred(start, None, date(2040, 1, 1))


def test_suit_words_in_both_languages() -> None:
    assert mentions_suit("如不还款，我们将向法院起诉。") == [(9, 11), (11, 13)]
    assert mentions_suit("We may file a lawsuit or take legal action.", "en") == [(14, 21), (30, 42)]
    assert mentions_suit("请于月底前还款，谢谢。") == []
    assert mentions_suit("The courtesy call is free.", "en") == []


@settings(max_examples=300, deadline=None)
@given(sent=st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31)))
def test_receipt_is_the_fifth_business_day_after_sending(sent: date) -> None:
    receipt = assumed_receipt(sent)
    days = [sent + timedelta(days=n) for n in range(1, (receipt - sent).days + 1)]
    business = [d for d in days if d.weekday() < 5 and not is_public_holiday("us", d)]
    assert len(business) == 5 and business[-1] == receipt
    assert validation_period_end(sent) - receipt == timedelta(days=30)


amounts = st.decimals(min_value=Decimal("-5000"), max_value=Decimal("5000"), places=2)


@settings(max_examples=300, deadline=None)
@given(
    moves=st.lists(
        st.tuples(
            st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 12, 31)),
            st.dictionaries(st.sampled_from(OWED_COMPONENTS), amounts, max_size=4),
        ),
        max_size=30,
    ),
    itemization_date=st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 12, 31)),
)
def test_the_itemisation_adds_up_to_the_balance_now(
    moves: list[tuple[date, dict[Component, Decimal]]], itemization_date: date
) -> None:
    item = itemize([Movement(day, deltas) for day, deltas in moves], itemization_date)
    balance_now = sum((v for _, deltas in moves for v in deltas.values()), Decimal("0"))
    assert item.amount_now == balance_now
    for line in (item.interest, item.fees, item.other_charges, item.paid_or_credited):
        assert line >= 0
