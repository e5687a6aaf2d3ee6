"""A plan in force on a crafted case, written through the ORM as the plan panel would leave it."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from tests.strategy.conftest import AS_OF


def plan_on(case: Any, dues: list[date], amount: str = "1200.00", status: str = "active") -> Any:
    from huikuan.payments.models import Instalment, PlanKind, RepaymentPlan

    plan = RepaymentPlan.objects.create(
        case=case, kind=PlanKind.INSTALMENTS, status=status, owed=Decimal(amount) * len(dues),
        total=Decimal(amount) * len(dues), accepted_on=AS_OF - timedelta(days=40),
    )  # fmt: skip
    for n, due in enumerate(dues, start=1):
        Instalment.objects.create(plan=plan, n=n, due_date=due, amount=Decimal(amount))
    return plan
