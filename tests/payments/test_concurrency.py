"""Two real connections posting the same idempotency key at the same moment yield one payment.

Each thread holds its own database connection; the barrier releases both posts together. On
PostgreSQL the balance-row lock and the unique key decide; on SQLite the IMMEDIATE transactions do.
"""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connections

from huikuan.payments import actions
from huikuan.payments.models import Payment, PaymentEntry
from huikuan.portfolio.models import LedgerEntry
from tests.conftest import Personas
from tests.payments.conftest import make_debt
from tests.payments.test_posting import PAID_ON


def race(personas: Personas, case: object, key: str, amount: str) -> list[bool]:
    barrier = threading.Barrier(2)
    created: list[bool] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait(timeout=10)
            _, was_created = actions.post_payment(personas.lena, case, Decimal(amount), PAID_ON, key)  # type: ignore[arg-type]
            created.append(was_created)
        except BaseException as exc:  # surfaced below; a thread must not swallow failures
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return created


@pytest.mark.django_db(transaction=True)
def test_two_connections_posting_the_same_key_yield_one_payment(personas: Personas) -> None:
    debt = make_debt(personas)
    for round_ in range(4):
        created = race(personas, debt.case, f"race-{round_}", "150.00")
        assert sorted(created) == [False, True]
    assert Payment.objects.count() == 4
    assert LedgerEntry.objects.filter(kind="payment").count() == PaymentEntry.objects.count()
    # 4 × 150 paid once each: 3,220 − 600.
    assert debt.total() == Decimal("2620.00")
