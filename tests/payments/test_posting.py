"""Posting and reversing payments: allocation, credit, case closing and reopening, idempotency, roles."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huikuan.audit.models import ChangeLog
from huikuan.cases.models import CaseStatus
from huikuan.kernel.ledger import Balance
from huikuan.org.visibility import CaseNotFound
from huikuan.payments import guards, incoming
from huikuan.payments.models import MessageKind, Payment, PaymentStatus, PendingMessage
from huikuan.payments.posting import KeyConflict
from huikuan.portfolio.models import LedgerEntry
from tests.conftest import Personas, outer_transaction
from tests.payments.conftest import Debt

PAID_ON = date(2025, 11, 3)


def pay(personas: Personas, debt: Debt, amount: str, key: str, **kw: Any) -> tuple[Payment, bool]:
    return incoming.post_payment(personas.lena, debt.case, Decimal(amount), PAID_ON, key, **kw)


def test_payment_clears_charges_before_principal_and_the_oldest_contract_first(personas: Personas, debt: Debt) -> None:
    payment, created = pay(personas, debt, "1200.00", "k1")
    assert created and payment.credit == Decimal("0.00")
    b = debt.balances()
    # HT-OLD fully cleared (1,100), then HT-NEW's penalty 40 and 60 of its interest.
    assert b["HT-OLD"] == Balance()
    assert b["HT-NEW"] == Balance(Decimal("2000.00"), Decimal("20.00"), Decimal("0.00"), Decimal("0.00"))
    entries = list(payment.entries.order_by("account__due_date"))
    assert [(e.account.contract_no, e.kind, e.amount) for e in entries] == [
        ("HT-OLD", "payment", Decimal("-1100.00")),
        ("HT-NEW", "payment", Decimal("-100.00")),
    ]
    assert ChangeLog.objects.filter(action="payment:posted", subject_id=str(payment.pk)).count() == 1


def test_a_named_contract_is_paid_first(personas: Personas, debt: Debt) -> None:
    pay(personas, debt, "40.00", "k1", account=debt.new)
    assert debt.balances()["HT-NEW"].penalty == Decimal("0.00")
    assert debt.balances()["HT-OLD"].penalty == Decimal("30.00")


def test_confirmation_message_is_queued_for_the_debtor(personas: Personas, debt: Debt) -> None:
    payment, _ = pay(personas, debt, "2000.00", "k1")
    message = PendingMessage.objects.get(cause=f"payment:{payment.pk}")
    assert (message.kind, message.debtor_id, message.consumed_at) == (
        MessageKind.PAYMENT_CONFIRMATION,
        payment.debtor_id,
        None,
    )


def test_overpayment_becomes_credit_and_the_case_closes_itself_then_reopens_on_reversal(
    personas: Personas, debt: Debt
) -> None:
    before = debt.balances()
    payment, _ = pay(personas, debt, "3300.50", "k1")
    assert payment.credit == Decimal("80.50")
    assert debt.total() == Decimal("0.00")
    assert debt.balances()["HT-OLD"].credit == Decimal("80.50")
    case = debt.refresh()
    assert (case.status, case.close_reason) == (CaseStatus.CLOSED, "balance_paid")
    assert PendingMessage.objects.filter(kind=MessageKind.CASE_CLOSED, debtor_id=payment.debtor_id).count() == 1

    reversed_payment = incoming.reverse_payment(personas.lena, payment, "退票 bounced")
    assert reversed_payment.status == PaymentStatus.REVERSED
    assert debt.balances() == before
    case = debt.refresh()
    assert (case.status, case.close_reason) == (CaseStatus.OPEN, "")
    # The bounced payment never paid the debt off: the same delinquency goes on, none was cured.
    assert case.cured_episodes == 0
    assert ChangeLog.objects.filter(action="payment:reversed").count() == 1
    # Reversing again changes nothing.
    incoming.reverse_payment(personas.lena, payment, "again")
    assert LedgerEntry.objects.filter(kind="reversal").count() == 2


def test_the_same_key_twice_is_one_payment(personas: Personas, debt: Debt) -> None:
    first, created_first = pay(personas, debt, "100.00", "same")
    second, created_second = pay(personas, debt, "100.00", "same")
    assert (created_first, created_second) == (True, False)
    assert first.pk == second.pk
    assert Payment.objects.count() == 1
    assert debt.total() == Decimal("3120.00")
    with pytest.raises(KeyConflict):
        pay(personas, debt, "101.00", "same")


def test_who_may_post(personas: Personas, debt: Debt) -> None:
    with pytest.raises(PermissionDenied):
        incoming.post_payment(personas.alice, debt.case, Decimal("1.00"), PAID_ON, "a")
    with pytest.raises(CaseNotFound):  # another team's case: answered as missing, not as forbidden
        incoming.post_payment(personas.carol, debt.case, Decimal("1.00"), PAID_ON, "c")
    with pytest.raises(PermissionDenied):
        incoming.post_payment(personas.quinn, debt.case, Decimal("1.00"), PAID_ON, "q")
    incoming.post_payment(personas.adam, debt.case, Decimal("1.00"), PAID_ON, "adam")
    payment, _ = pay(personas, debt, "1.00", "lena")
    with pytest.raises(PermissionDenied):
        incoming.reverse_payment(personas.alice, payment, "no")
    assert Payment.objects.count() == 2


def test_who_may_post_is_the_installations_to_say(personas: Personas, debt: Debt, settings: Any) -> None:
    # Finance handed to the collectors: the setting the posting capability reads, not a copy in payments.
    settings.HUIKUAN_PAYMENTS = {"posting_roles": ["collector"]}
    payment, created = incoming.post_payment(personas.alice, debt.case, Decimal("1.00"), PAID_ON, "a")
    assert created
    with pytest.raises(PermissionDenied):
        incoming.post_payment(personas.lena, debt.case, Decimal("1.00"), PAID_ON, "l")
    with pytest.raises(PermissionDenied):
        incoming.reverse_payment(personas.adam, payment, "no")


def test_bad_payments_are_refused_with_reasons(personas: Personas, debt: Debt) -> None:
    with pytest.raises(guards.ActionError, match="positive"):
        pay(personas, debt, "0.00", "z")
    with pytest.raises(guards.ActionError, match="future"):
        incoming.post_payment(
            personas.lena,
            debt.case,
            Decimal("1.00"),
            date.today() + timedelta(days=2),
            "f",
        )
    with pytest.raises(guards.ActionError, match="idempotency key"):
        pay(personas, debt, "1.00", "  ")
    assert Payment.objects.count() == 0


amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("4000.00"), places=2)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(amounts, min_size=1, max_size=5), st.randoms(use_true_random=False))
def test_reversing_every_payment_in_any_order_restores_the_exact_balances(
    personas: Personas, debt: Debt, payments: list[Decimal], rnd: random.Random
) -> None:
    with outer_transaction(rollback=True):
        start = debt.balances()
        posted = [
            # Overpayments are part of what is tested (they leave a credit): confirmed, as the API asks.
            incoming.post_payment(personas.lena, debt.case, a, PAID_ON, f"p{i}", confirm_overpayment=True)[0]
            for i, a in enumerate(payments)
        ]
        for payment in posted:
            # Money is conserved in what was stored: cleared + credit == payment, to the fen.
            stored = list(payment.entries.all())
            cleared = -sum((e.amount for e in stored), Decimal("0.00"))
            assert cleared + sum((e.credit for e in stored), Decimal("0.00")) == payment.amount
            for balance in debt.balances().values():
                assert min(balance.principal, balance.interest, balance.fee, balance.penalty, balance.credit) >= 0
        rnd.shuffle(posted)
        for payment in posted:
            incoming.reverse_payment(personas.lena, payment, "bounced")
        assert debt.balances() == start
        assert debt.refresh().status == CaseStatus.OPEN


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(amounts, st.integers(min_value=2, max_value=4))
def test_posting_a_key_any_number_of_times_yields_one_payment(
    personas: Personas, debt: Debt, amount: Decimal, times: int
) -> None:
    with outer_transaction(rollback=True):
        start_total = debt.total()
        results = [pay(personas, debt, str(amount), "k", confirm_overpayment=True) for _ in range(times)]
        assert [created for _, created in results] == [True] + [False] * (times - 1)
        assert Payment.objects.count() == 1
        assert LedgerEntry.objects.filter(kind="payment").count() == len(list(results[0][0].entries.all()))
        assert debt.total() == max(start_total - amount, Decimal("0.00"))


def test_a_new_delinquency_after_a_paid_off_one_keeps_that_history(personas: Personas, debt: Debt) -> None:
    from django.utils import timezone

    from huikuan.cases.sync import refresh_cases
    from huikuan.kernel.ledger import Component, EntryKind
    from huikuan.portfolio.models import Account, AccountBalance
    from tests.postings import post_entry

    pay(personas, debt, "3220.00", "all")
    case = debt.refresh()
    assert case.status == CaseStatus.CLOSED and case.cured_episodes == 0
    today = timezone.localdate()
    account = Account.objects.create(
        debtor_id=case.debtor_id, contract_no="HT-NEXT", product="consumer_loan",
        original_amount=Decimal("500.00"), open_date=today, due_date=today + timedelta(days=5),
    )  # fmt: skip
    AccountBalance.objects.create(account=account)
    post_entry(account, EntryKind.PRINCIPAL, "open:principal", {Component.PRINCIPAL: Decimal("500.00")}, today)
    assert debt.refresh().status == CaseStatus.CLOSED, "not overdue yet"
    refresh_cases([case.debtor_id], today + timedelta(days=10))
    case = debt.refresh()
    assert (case.status, case.cured_episodes) == (CaseStatus.OPEN, 1)
    assert case.oldest_due_date == today + timedelta(days=5)


def test_a_payment_is_dated_against_the_debtors_today_not_the_servers(personas: Personas, debt: Debt) -> None:
    # 23:30 in Shanghai (the server's zone) is 00:30 the next day in Tokyo: a Tokyo debtor's payment of
    # that next day is not in the future, while a Shanghai debtor's would be.
    from datetime import datetime
    from zoneinfo import ZoneInfo

    now = datetime(2025, 11, 3, 23, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    tokyo_day = date(2025, 11, 4)
    with pytest.raises(guards.ActionError, match="future"):
        incoming.post_payment(personas.lena, debt.case, Decimal("1.00"), tokyo_day, "sh", now=now)
    debtor = debt.case.debtor
    debtor.time_zone = "Asia/Tokyo"
    debtor.save()
    debt.case.refresh_from_db()
    payment, created = incoming.post_payment(personas.lena, debt.case, Decimal("1.00"), tokyo_day, "tk", now=now)
    assert created and payment.paid_on == tokyo_day
