"""The API refuses what its schema does not take (422, with the field) and what breaks a rule (400/409 with
the reason); no input gives a server error."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from huikuan.cases.models import Promise
from huikuan.compliance.models import ContactDecision
from huikuan.payments.models import Payment
from tests.conftest import Personas, client_for
from tests.payments.conftest import Debt


@pytest.mark.parametrize("query", ["limit=-1", "limit=0", "limit=1001", "limit=²", "state=nope", "limit=1e3"])
@pytest.mark.parametrize("register", ["decisions", "flags"])
def test_the_qa_register_refuses_a_limit_out_of_range(personas: Personas, register: str, query: str) -> None:
    response = client_for(personas.quinn).get(f"/api/compliance/{register}?{query}")
    assert response.status_code == 422, response.content


def test_the_qa_register_returns_at_most_limit_rows(personas: Personas, debt: Debt) -> None:
    from django.utils import timezone

    for _ in range(3):
        ContactDecision.objects.create(case=debt.case, channel="call", source="api", at=timezone.now(),
                                       allowed=False, pack="cn")  # fmt: skip
    response = client_for(personas.quinn).get("/api/compliance/decisions?limit=2")
    assert response.status_code == 200 and len(response.json()) == 2


@pytest.mark.parametrize(
    "body",
    [
        {"outcome": "no_answer", "notes": "a\x00b"},
        {"outcome": "no_answer", "notes": "x" * 20001},
        {"outcome": "nope"},
        {"outcome": "no_answer", "channel": "pigeon"},
        {"outcome": "no_answer", "contact_point_id": -1},
    ],
)
def test_contact_logging_refuses_bad_fields(personas: Personas, debt: Debt, body: dict[str, object]) -> None:
    response = client_for(personas.alice).post(
        f"/api/cases/{debt.case.pk}/contacts",
        body,
        content_type="application/json",
    )
    assert response.status_code == 422, response.content


@pytest.mark.parametrize("amount", ["NaN", "Infinity", "-Infinity", "1e999999", "100000000.01"])
def test_a_payment_amount_that_is_no_money_or_above_the_bound_is_a_422(
    personas: Personas, debt: Debt, amount: str
) -> None:
    body = {"case_id": debt.case.pk, "amount": amount, "paid_on": "2025-11-03"}
    response = client_for(personas.lena).post(
        "/api/payments", body, content_type="application/json", headers={"Idempotency-Key": "k-" + amount}
    )
    assert response.status_code == 422, response.content
    assert not Payment.objects.exists()


def test_an_overpayment_needs_confirmation(personas: Personas, debt: Debt) -> None:
    """The debt is 3,220.00: 3,320.00 passes (100.00 over, the default threshold), 3,320.01 needs confirming."""
    c = client_for(personas.lena)

    def pay(amount: str, key: str, **extra: object) -> Any:
        body = {"case_id": debt.case.pk, "amount": amount, "paid_on": "2025-11-03", **extra}
        return c.post("/api/payments", body, content_type="application/json", headers={"Idempotency-Key": key})

    refused = pay("9999999.99", "big")
    assert refused.status_code == 409
    assert refused.json() | {"detail": ""} == {"detail": "", "owed": "3220.00", "excess": "9996779.99"}
    assert not Payment.objects.exists()
    assert pay("3320.01", "over").status_code == 409
    confirmed = pay("3320.01", "over", confirm_overpayment=True)
    assert confirmed.status_code == 201 and confirmed.json()["credit"] == "100.01"
    # A replay of the posted key is not asked again, though the balance it is compared with is now zero.
    assert pay("3320.01", "over").status_code == 200


def test_the_overpayment_threshold_is_configurable(personas: Personas, debt: Debt, settings: Any) -> None:
    settings.HUIKUAN_PAYMENTS = {"overpayment_confirm_above": "0"}
    body = {"case_id": debt.case.pk, "amount": "3220.01", "paid_on": "2025-11-03"}
    response = client_for(personas.lena).post(
        "/api/payments", body, content_type="application/json", headers={"Idempotency-Key": "k"}
    )
    assert response.status_code == 409


def test_a_promise_above_the_balance_is_a_400_with_the_reason(personas: Personas, debt: Debt) -> None:
    from datetime import timedelta

    from django.utils import timezone

    due = (timezone.localdate() + timedelta(days=3)).isoformat()
    c = client_for(personas.alice)
    url = f"/api/cases/{debt.case.pk}/promises"
    answer = c.post(url, {"amount": "3220.01", "due_date": due}, content_type="application/json")
    assert answer.status_code == 400 and "3,220.00" in answer.json()["detail"]
    assert not Promise.objects.exists()
    assert c.post(url, {"amount": "3220.00", "due_date": due}, content_type="application/json").status_code == 201
    assert Promise.objects.get().amount == Decimal("3220.00")


@pytest.mark.parametrize("due_date", ["2026-02-30", "²⁰²⁶-01-01", "2026-13-01"])
def test_an_impossible_date_is_a_422(personas: Personas, debt: Debt, due_date: str) -> None:
    answer = client_for(personas.alice).post(
        f"/api/cases/{debt.case.pk}/promises",
        {"amount": "100.00", "due_date": due_date},
        content_type="application/json",
    )
    assert answer.status_code == 422


def test_an_idempotency_key_with_control_characters_is_a_422(personas: Personas, debt: Debt) -> None:
    body = {"case_id": debt.case.pk, "amount": "1.00", "paid_on": "2025-11-03"}
    response = client_for(personas.lena).post(
        "/api/payments", body, content_type="application/json", headers={"Idempotency-Key": "a\x01b"}
    )
    assert response.status_code == 422


def test_a_contract_number_in_full_width_names_the_ascii_contract(personas: Personas, debt: Debt) -> None:
    body = {"case_id": debt.case.pk, "amount": "100.00", "paid_on": "2025-11-03", "contract_no": "ＨＴ-ＮＥＷ"}
    response = client_for(personas.lena).post(
        "/api/payments", body, content_type="application/json", headers={"Idempotency-Key": "wide"}
    )
    assert response.status_code == 201, response.content
    entries = Payment.objects.get().entries.all()
    assert {e.account.contract_no for e in entries} == {"HT-NEW"}
