"""Re-planning after a missed instalment: the unpaid instalments move later, the paid part carries over."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from huikuan.payments.guards import ActionError
from huikuan.payments.models import Payment, PendingMessage, RepaymentPlan
from huikuan.payments.plans import replan
from huikuan.payments.settlement import refresh_plans
from tests.conftest import Personas
from tests.followup.plans import plan_on
from tests.strategy.conftest import AS_OF, CaseMaker


def test_a_re_plan_moves_the_unpaid_instalments_and_keeps_the_paid_one(
    personas: Personas, make_case: CaseMaker
) -> None:
    case = make_case(dpd=40, assignee=personas.alice)
    first, second, third = date(2026, 10, 15), date(2026, 11, 15), date(2026, 12, 15)
    old = plan_on(case, [first, second, third], amount="1000.00")
    RepaymentPlan.objects.filter(pk=old.pk).update(payment_day=15, accepted_on=date(2026, 10, 1))
    Payment.objects.create(
        idempotency_key="test:first", source="manual", debtor=case.debtor, case=case, amount=Decimal("1000.00"),
        paid_on=first,
    )  # fmt: skip
    refresh_plans(AS_OF)  # the 15 November instalment is missed

    new = replan(personas.alice, old, 2, confirmation="客户电话同意顺延两个月")
    old.refresh_from_db()
    assert old.status == "cancelled" and new.status == "active"
    assert new.total == old.total and new.accepted_on == date(2026, 10, 1)
    schedule = [(i.n, i.due_date, i.amount, i.status) for i in new.instalments.order_by("n")]
    assert schedule == [
        (1, first, Decimal("1000.00"), "paid"),  # the payment under the old plan counts for the new one
        (2, date(2027, 1, 15), Decimal("1000.00"), "due"),
        (3, date(2027, 2, 15), Decimal("1000.00"), "due"),
    ]
    assert PendingMessage.objects.filter(cause=f"plan:{new.pk}:accepted").exists()  # its confirmation


def test_a_re_plan_needs_the_debtors_agreement_and_something_unpaid(personas: Personas, make_case: CaseMaker) -> None:
    case = make_case(dpd=40, assignee=personas.alice)
    plan = plan_on(case, [AS_OF - timedelta(days=5)], amount="500.00")
    with pytest.raises(ActionError):
        replan(personas.alice, plan, 1)
    with pytest.raises(ActionError) as too_far:
        replan(personas.alice, plan, 12, confirmation="同意")
    assert len(too_far.value.messages) == 1 and "3" in too_far.value.messages[0]  # the policy's longest deferral
    Payment.objects.create(
        idempotency_key="test:all", source="manual", debtor=case.debtor, case=case, amount=Decimal("500.00"),
        paid_on=AS_OF - timedelta(days=5),
    )  # fmt: skip
    refresh_plans(AS_OF)
    with pytest.raises(ActionError):
        replan(personas.alice, plan, 1, confirmation="同意")


def test_the_api_re_plans_a_plan_of_a_case_one_sees(personas: Personas, make_case: CaseMaker) -> None:
    from tests.conftest import client_for

    case = make_case(dpd=40, assignee=personas.alice)
    plan = plan_on(case, [date(2026, 11, 15), date(2026, 12, 15)], amount="800.00")
    RepaymentPlan.objects.filter(pk=plan.pk).update(payment_day=15, accepted_on=date(2026, 10, 1))
    body = {"months": 1, "confirmation": "电话同意"}
    refused = client_for(personas.carol).post(f"/api/plans/{plan.pk}/replan", body, content_type="application/json")
    assert refused.status_code == 404  # Carol's team does not hold the case
    answer = client_for(personas.alice).post(f"/api/plans/{plan.pk}/replan", body, content_type="application/json")
    assert answer.status_code == 201
    new = RepaymentPlan.objects.get(pk=answer.json()["id"])
    assert [i.due_date for i in new.instalments.order_by("n")] == [date(2026, 12, 15), date(2027, 1, 15)]
    too_long = client_for(personas.alice).post(
        f"/api/plans/{new.pk}/replan", {"months": 9, "confirmation": "x"}, content_type="application/json"
    )
    assert too_long.status_code in (400, 422)
