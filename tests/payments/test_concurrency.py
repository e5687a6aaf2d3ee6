"""Two real connections posting the same idempotency key at the same moment yield one payment;
two collectors recording a promise on the same case at once leave one pending promise.

Each thread holds its own database connection; the barrier releases both posts together. On
PostgreSQL the balance-row lock and the unique key decide; on SQLite the IMMEDIATE transactions do.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connections, transaction
from django.utils import translation

from huikuan.cases.models import Case, Promise, PromiseState
from huikuan.payments import guards, incoming, plans, promises, waivers
from huikuan.payments.models import Payment, PaymentEntry, WaiverRequest, WaiverStatus
from huikuan.portfolio.models import LedgerEntry
from tests.conftest import Personas, another_connection_waits_for_a_lock, outer_transaction
from tests.payments.conftest import make_debt
from tests.payments.test_posting import PAID_ON


def race(personas: Personas, case: Case, key: str, amount: str) -> list[bool]:
    barrier = threading.Barrier(2)
    created: list[bool] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait(timeout=10)
            _, was_created = incoming.post_payment(personas.lena, case, Decimal(amount), PAID_ON, key)
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


def second_while_first_uncommitted(first: Callable[[], object], second: Callable[[], object]) -> tuple[object, object]:
    """What ``first`` and ``second`` return when ``second`` runs on its own connection while ``first``'s
    transaction has written but not committed (it stays open a second: long enough for ``second`` to run its
    check or to queue behind a lock). An ActionError is an answer; anything else fails the test."""
    wrote = threading.Event()
    answers: dict[str, object] = {}
    errors: list[BaseException] = []

    def run(name: str, action: Callable[[], object], hold: bool) -> None:
        try:
            if hold:
                with outer_transaction():
                    answers[name] = action()
                    wrote.set()
                    threading.Event().wait(1.0)
            else:
                wrote.wait(timeout=10)
                answers[name] = action()
        except guards.ActionError as exc:
            answers[name] = exc
        except BaseException as exc:  # surfaced below; a thread must not swallow failures
            errors.append(exc)
        finally:
            wrote.set()
            connections.close_all()

    threads = [
        threading.Thread(target=run, args=("first", first, True)),
        threading.Thread(target=run, args=("second", second, False)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return answers["first"], answers["second"]


@pytest.mark.django_db(transaction=True)
def test_two_connections_recording_a_promise_on_one_case_leave_one_pending(personas: Personas) -> None:
    """Alice's promise is written but not yet committed when Lena records another on the same case.

    With no pending promise there is no row to lock, so only a lock on the case makes Lena wait for
    Alice's commit and then see her promise; without it Lena's call inserts a second pending promise.
    """
    debt = make_debt(personas)
    now = datetime(2025, 11, 1, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    due = now.date() + timedelta(days=4)

    def lena() -> object:
        with translation.override("en"):  # the fixture's override is per thread
            return promises.record_promise(personas.lena, debt.case, Decimal("800.00"), due, now=now)

    _alice, lena_answer = second_while_first_uncommitted(
        lambda: promises.record_promise(personas.alice, debt.case, Decimal("500.00"), due, now=now),
        lena,
    )
    pending = Promise.objects.filter(case=debt.case, state=PromiseState.PENDING)
    assert list(pending.values_list("amount", flat=True)) == [Decimal("500.00")]
    assert isinstance(lena_answer, guards.ActionError)
    assert "already has a pending promise" in str(lena_answer)


@pytest.mark.django_db(transaction=True)
def test_two_waivers_asked_at_once_share_one_authority(personas: Personas) -> None:
    """Alice may waive 45 of the 90 in all; two requests of 30 at once cannot both be written."""
    debt = make_debt(personas)
    first, second = second_while_first_uncommitted(
        lambda: waivers.request_waiver(personas.alice, debt.case, penalty=Decimal("30.00"), reason="x"),
        lambda: waivers.request_waiver(personas.alice, debt.case, penalty=Decimal("30.00"), reason="y"),
    )
    assert isinstance(first, WaiverRequest) and isinstance(second, WaiverRequest)
    assert (first.status, second.status) == (WaiverStatus.APPROVED, WaiverStatus.PENDING)
    assert debt.total() == Decimal("3190.00")


@pytest.mark.django_db(transaction=True)
def test_accepting_a_plan_takes_the_balances_before_the_plan_as_a_payment_does(personas: Personas) -> None:
    """A payment locks the debtor's balances, then settles the case's plans. An acceptance that locked the
    plan first and then waited for the balances would deadlock with it. Here another connection holds the
    balances, as a payment being posted does; once the acceptance is seen waiting, the plan must still be
    free for that connection to take, as the payment would next."""
    from django.db import connection

    from huikuan.payments.models import RepaymentPlan
    from huikuan.portfolio.models import AccountBalance

    debt = make_debt(personas)
    now = datetime(2025, 11, 3, 11, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    plan = plans.offer_plan(personas.alice, debt.case, "instalments", now=now)
    postgres = connection.vendor == "postgresql"
    holding = threading.Event()
    plan_free: list[bool] = []
    errors: list[BaseException] = []

    def payment() -> None:
        try:
            with transaction.atomic():
                list(AccountBalance.objects.select_for_update().filter(account__debtor_id=debt.case.debtor_id))
                holding.set()
                with connection.cursor() as cursor:
                    if not another_connection_waits_for_a_lock(cursor):
                        raise AssertionError("the acceptance never waited for the balances")
                    cursor.execute(
                        f"SELECT id FROM {RepaymentPlan._meta.db_table} WHERE id = %s FOR UPDATE NOWAIT", [plan.pk]
                    )
                    plan_free.append(True)
        except BaseException as exc:  # a locked plan raises here: surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    if postgres:
        holder = threading.Thread(target=payment)
        holder.start()
        assert holding.wait(20)
    accepted = plans.accept_plan(personas.alice, plan, confirmation="call 11:05", now=now)
    if postgres:
        holder.join()
        assert not errors, errors
        assert plan_free == [True]
    # SQLite lets one writer in at a time: there the acceptance simply goes through.
    assert accepted.status == "active"


@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_posts_of_one_key_for_two_debtors_give_one_payment_and_no_server_error(
    personas: Personas,
) -> None:
    """Issue 25: with one key sent for two debtors at once, the debtor locks do not serialise the two, and the
    loser's insert fails on the key's unique index inside COPY, as psycopg's own UniqueViolation. Every request
    must be answered: one 201, the same debtor's others a replay (200), the other debtor's a conflict (409).
    """
    from django.test import Client

    first = make_debt(personas, "C-100")
    second = make_debt(personas, "C-200")
    barrier = threading.Barrier(20)
    codes: list[tuple[int, int]] = []
    errors: list[BaseException] = []

    def post(case: Case) -> None:
        client = Client(raise_request_exception=False)
        client.force_login(personas.lena)
        body = {"case_id": case.pk, "amount": "150.00", "paid_on": PAID_ON.isoformat()}
        try:
            barrier.wait(timeout=30)
            response = client.post(
                "/api/payments", body, content_type="application/json", headers={"Idempotency-Key": "race-2"}
            )
            codes.append((case.pk, response.status_code))
        except BaseException as exc:  # surfaced below; a thread must not swallow failures
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post, args=(debt.case,)) for debt in [first, second] * 10]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len(codes) == 20 and all(code in (200, 201, 409) for _, code in codes), codes
    assert [code for _, code in codes].count(201) == 1
    winner = next(case_id for case_id, code in codes if code == 201)
    assert all(code == (200 if case_id == winner else 409) for case_id, code in codes if code != 201), codes
    assert Payment.objects.count() == 1
    assert Payment.objects.get().case_id == winner
