"""Issue 22, item 4: the dashboards count the share of payments and promises that came through the debtor's
self-service page, in the reader's scope."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from huikuan.cases.models import Case, Promise
from huikuan.payments.models import Payment, PaymentSource
from huikuan.selfservice.models import Event, EventKind
from tests.conftest import Personas, client_for

pytestmark = pytest.mark.django_db
DAY = date(2026, 11, 10)


def figure(user: Any) -> dict[str, list[Any]]:
    response = client_for(user).get(
        "/api/analytics/selfservice",
        {"start": (DAY - timedelta(days=5)).isoformat(), "end": DAY.isoformat()},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200, response.content
    data = response.json()
    return {row[0]: row[1:] for row in data["rows"]}


def pay(case: Case, key: str, amount: str, source: str) -> None:
    Payment.objects.create(
        idempotency_key=key, source=source, debtor_id=case.debtor_id, case=case, amount=Decimal(amount), paid_on=DAY
    )


def test_the_share_of_payments_and_promises_through_self_service(small_portfolio: Personas) -> None:
    p = small_portfolio
    mine = Case.objects.filter(assignee=p.alice).order_by("pk")[:2]
    other = Case.objects.exclude(team=p.alice.team).first()
    assert len(mine) == 2 and other is not None
    pay(mine[0], "online:wechat:1", "300.00", PaymentSource.ONLINE)
    pay(mine[1], "manual:1", "100.00", PaymentSource.MANUAL)
    pay(other, "online:wechat:2", "999.00", PaymentSource.ONLINE)  # another team's: not in Lena's figures
    at = timezone.make_aware(datetime.combine(DAY, datetime.min.time())) + timedelta(hours=10)
    for case in mine:
        Promise.objects.create(case=case, amount=Decimal("50.00"), due_date=DAY + timedelta(days=7), created_at=at)
    Event.objects.create(case=mine[0], kind=EventKind.PROMISE, at=at)

    lena = figure(p.lena)
    assert lena["Payments"] == [2, 1, 0.5]
    assert lena["Yuan paid"] == ["400.00", "300.00", 0.75]
    assert lena["Promises to pay"] == [2, 1, 0.5]
    assert lena["Plans accepted"] == [0, 0, None]  # nothing accepted: no share, not 0%
    everyone = figure(p.adam)
    assert everyone["Payments"][:2] == [3, 2]
    # A collector's own cases only.
    assert figure(p.alice)["Payments"][0] == len([c for c in mine if c.assignee_id == p.alice.pk])
