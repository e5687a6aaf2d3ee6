"""Plan tracking: payments fill instalments in order; late after grace, broken after the breaking day."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from huikuan.kernel.plans import Instalment
from huikuan.kernel.plans.tracking import InstalmentState, PlanPayment, PlanProgress, PlanStatus, track_plan

SCHEDULE = [Instalment(1, date(2024, 1, 31), Decimal("300.00")), Instalment(2, date(2024, 2, 29), Decimal("300.50"))]


def track(payments: list[PlanPayment], as_of: date) -> PlanStatus:
    return track_plan(SCHEDULE, payments, as_of, grace_days=3, broken_after_days=30)


def test_states_move_with_the_calendar() -> None:
    paid = [PlanPayment(date(2024, 1, 30), Decimal("300.00"))]
    assert [i.state for i in track(paid, date(2024, 3, 3)).instalments] == [InstalmentState.PAID, InstalmentState.DUE]
    assert track(paid, date(2024, 3, 4)).instalments[1].state == InstalmentState.LATE
    assert track(paid, date(2024, 3, 30)).progress == PlanProgress.ACTIVE
    status = track(paid, date(2024, 3, 31))
    assert (status.progress, status.instalments[1].state) == (PlanProgress.BROKEN, InstalmentState.MISSED)


def test_a_late_payment_does_not_unbreak_but_paying_everything_completes() -> None:
    late = [PlanPayment(date(2024, 1, 30), Decimal("300.00")), PlanPayment(date(2024, 4, 2), Decimal("100.00"))]
    assert track(late, date(2024, 4, 5)).progress == PlanProgress.BROKEN
    done = [*late, PlanPayment(date(2024, 4, 3), Decimal("200.50"))]
    assert track(done, date(2024, 4, 5)).progress == PlanProgress.COMPLETED


def test_payments_after_as_of_do_not_count() -> None:
    status = track([PlanPayment(date(2024, 2, 1), Decimal("600.50"))], date(2024, 1, 31))
    assert status.paid == Decimal("0.00") and status.progress == PlanProgress.ACTIVE


@given(st.lists(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("700"), places=2), max_size=6))
def test_instalment_paid_amounts_never_exceed_the_instalment_and_sum_to_what_was_paid(amounts: list[Decimal]) -> None:
    payments = [PlanPayment(date(2024, 1, 10 + n), a) for n, a in enumerate(amounts)]
    status = track(payments, date(2024, 6, 1))
    total = sum(amounts, Decimal("0.00"))
    assert all(i.paid <= s.amount for i, s in zip(status.instalments, SCHEDULE, strict=True))
    assert sum((i.paid for i in status.instalments), Decimal("0.00")) == min(total, Decimal("600.50"))
