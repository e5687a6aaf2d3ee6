"""Posting a payment by hand on the case's page: parsed fields, and an overpayment posts only once confirmed."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from huikuan.payments.models import Payment
from tests.conftest import client_for
from tests.workbench.fixtures import earliest_today


def test_only_finance_roles_see_and_use_the_form(workday: dict[str, Any]) -> None:
    case = workday["middle"]
    alice = client_for(workday["personas"].alice)
    assert 'data-testid="post-payment"' not in alice.get(f"/cases/{case.pk}/").content.decode()
    assert alice.get(f"/work/cases/{case.pk}/payment/").status_code == 403
    lena = client_for(workday["personas"].lena)
    assert 'data-testid="post-payment"' in lena.get(f"/cases/{case.pk}/").content.decode()
    assert lena.get(f"/work/cases/{case.pk}/payment/").status_code == 200


def test_an_overpayment_is_shown_back_and_posts_once_confirmed(workday: dict[str, Any]) -> None:
    case = workday["middle"]  # owes 12,400.00; the default threshold lets 100.00 over pass unasked
    lena = client_for(workday["personas"].lena)
    form = {"key": "k-1", "amount": "12,600.00", "paid_on": earliest_today().isoformat(), "reference": "TX-7"}
    asked = lena.post(f"/work/cases/{case.pk}/payment/", form, HTTP_ACCEPT_LANGUAGE="en")
    assert asked.status_code == 200
    body = asked.content.decode()
    assert 'data-testid="overpayment"' in body and "200.00 more than the debtor owes (12,400.00)" in body
    assert 'value="k-1"' in body  # the same key goes back: confirming cannot post twice
    assert not Payment.objects.exists()
    posted = lena.post(f"/work/cases/{case.pk}/payment/", form | {"confirm_overpayment": "on"})
    assert posted.status_code == 302
    payment = Payment.objects.get()
    assert payment.amount == Decimal("12600.00") and payment.credit == Decimal("200.00")
    assert payment.idempotency_key == "manual:k-1" and payment.created_by == workday["personas"].lena
    again = lena.post(f"/work/cases/{case.pk}/payment/", form | {"confirm_overpayment": "on"})
    assert again.status_code == 302 and Payment.objects.count() == 1


def test_bad_fields_are_named_and_nothing_posts(workday: dict[str, Any]) -> None:
    case = workday["middle"]
    lena = client_for(workday["personas"].lena)
    for field, value in (("amount", "NaN"), ("amount", "1e999999"), ("paid_on", "2026-02-30"), ("account", "²")):
        form = {"key": "k", "amount": "100.00", "paid_on": earliest_today().isoformat(), field: value}
        answer = lena.post(f"/work/cases/{case.pk}/payment/", form, HTTP_ACCEPT_LANGUAGE="en")
        assert answer.status_code == 400 and 'data-testid="payment-errors"' in answer.content.decode()
    assert not Payment.objects.exists()
