"""The payments API through HTTP: idempotency header, reversal, options, promise, plan, waiver decisions."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.test import Client
from django.utils import timezone

from huikuan.payments import waivers
from huikuan.payments.models import Payment
from tests.conftest import Personas, client_for
from tests.payments.conftest import Debt


def test_post_payment_with_idempotency_key(personas: Personas, debt: Debt) -> None:
    c = client_for(personas.lena)
    body = {"case_id": debt.case.pk, "amount": "1200.00", "paid_on": "2025-11-03"}
    first = c.post("/api/payments", body, content_type="application/json", headers={"Idempotency-Key": "abc"})
    assert first.status_code == 201, first.content
    again = c.post("/api/payments", body, content_type="application/json", headers={"Idempotency-Key": "abc"})
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert again.json()["created"] is False
    other = c.post(
        "/api/payments",
        body | {"amount": "1.00"},
        content_type="application/json",
        headers={"Idempotency-Key": "abc"},
    )
    assert other.status_code == 409
    missing = c.post("/api/payments", body, content_type="application/json")
    assert missing.status_code == 422
    assert Payment.objects.count() == 1

    reversed_ = c.post(
        f"/api/payments/{first.json()['id']}/reverse", {"reason": "退票"}, content_type="application/json"
    )
    assert reversed_.status_code == 200 and reversed_.json()["status"] == "reversed"
    assert debt.total() == Decimal("3220.00")


def test_an_amount_no_money_can_be_is_refused_as_bad_input(personas: Personas, debt: Debt) -> None:
    # 1E+26 is a valid JSON number and Decimal; the fen check on it raised InvalidOperation (a 500).
    c = client_for(personas.lena)
    for amount in ("1E+26", "-1E+26", "10000000000000"):
        body = {"case_id": debt.case.pk, "amount": amount, "paid_on": "2025-11-03"}
        answer = c.post("/api/payments", body, content_type="application/json", headers={"Idempotency-Key": amount})
        assert answer.status_code == 422, answer.content
        assert "amount" in answer.content.decode()
    assert not Payment.objects.exists()


def test_roles_and_visibility_over_http(personas: Personas, debt: Debt) -> None:
    body = {"case_id": debt.case.pk, "amount": "1.00", "paid_on": "2025-11-03"}
    hdr = {"Idempotency-Key": "k"}
    assert (
        client_for(personas.alice).post("/api/payments", body, content_type="application/json", headers=hdr).status_code
        == 403
    )
    assert (
        client_for(personas.carol).post("/api/payments", body, content_type="application/json", headers=hdr).status_code
        == 404
    )
    assert Client().post("/api/payments", body, content_type="application/json", headers=hdr).status_code == 401


def test_options_promise_and_plan(personas: Personas, debt: Debt) -> None:
    c = client_for(personas.alice)
    case_id = debt.case.pk
    options = c.get(f"/api/cases/{case_id}/plan-options?payment_day=15")
    assert options.status_code == 200
    kinds = [o["kind"] for o in options.json()]
    assert kinds == ["full_with_waiver", "instalments", "ladder"]
    ladder = options.json()[2]
    assert ladder["schedule"][0]["amount"] == "500.00" and ladder["summary"].startswith("阶梯式还款")
    promise = c.post(
        f"/api/cases/{case_id}/promises",
        {"amount": "500.00", "due_date": _in_days(debt, 20)},
        content_type="application/json",
    )
    assert promise.status_code == 201 and promise.json()["state"] == "pending"
    plan = c.post(
        f"/api/cases/{case_id}/plans",
        {"kind": "instalments", "confirmation": "录音 #88", "payment_day": 15},
        content_type="application/json",
    )
    assert plan.status_code == 201, plan.content
    assert plan.json()["status"] == "active"
    assert sum(Decimal(i["amount"]) for i in plan.json()["schedule"]) == Decimal("3220.00")
    bad = c.post(f"/api/cases/{case_id}/plans", {"kind": "instalments"}, content_type="application/json")
    assert bad.status_code == 400


def test_waiver_decisions_over_http(personas: Personas, debt: Debt) -> None:
    request = waivers.request_waiver(personas.alice, debt.case, penalty=Decimal("70.00"), reason="x")
    assert (
        client_for(personas.alice)
        .post(f"/api/waivers/{request.pk}/approve", {"reason": "ok"}, content_type="application/json")
        .status_code
        == 403
    )
    done = client_for(personas.lena).post(
        f"/api/waivers/{request.pk}/approve", {"reason": "同意"}, content_type="application/json"
    )
    assert done.status_code == 200 and done.json()["status"] == "approved"
    assert debt.total() == Decimal("3150.00")


def _in_days(debt: Debt, days: int) -> str:
    return (debt.case.debtor.today(timezone.now()) + timedelta(days=days)).isoformat()


def test_a_promise_above_the_balance_or_beyond_the_horizon_is_refused_with_its_reason(
    personas: Personas, debt: Debt
) -> None:
    # The reproduced case: 99,999,999 on a balance of 3,220.00, due in seven months.
    c = client_for(personas.alice)
    url = f"/api/cases/{debt.case.pk}/promises"
    huge = c.post(url, {"amount": "99999999.00", "due_date": _in_days(debt, 10)}, content_type="application/json")
    assert huge.status_code == 400 and "3,220.00" in huge.json()["detail"]
    late = c.post(url, {"amount": "500.00", "due_date": _in_days(debt, 210)}, content_type="application/json")
    assert late.status_code == 400 and "30" in late.json()["detail"]
    edge = c.post(url, {"amount": "3220.00", "due_date": _in_days(debt, 30)}, content_type="application/json")
    assert edge.status_code == 201


def test_the_plan_designer_meets_the_debtors_asks_or_names_the_limit(personas: Personas, debt: Debt) -> None:
    c = client_for(personas.alice)
    url = f"/api/cases/{debt.case.pk}/plan-options"
    three = c.get(url, {"instalments": "3", "payment_day": "15", "first_payment": "1000.00"})
    assert three.status_code == 200, three.content
    by_kind = {o["kind"]: o for o in three.json()}
    assert [i["amount"] for i in by_kind["instalments"]["schedule"]] == ["1073.00", "1073.00", "1074.00"]
    assert [i["amount"] for i in by_kind["ladder"]["schedule"]] == ["1000.00", "1110.00", "1110.00"]
    too_many = c.get(url, {"instalments": 24})
    assert too_many.status_code == 400 and "300.00" in too_many.json()["detail"]
    above = c.get(url, {"first_payment": "5000.00"})
    assert above.status_code == 400 and "3,220.00" in above.json()["detail"]
    plan = c.post(
        f"/api/cases/{debt.case.pk}/plans",
        {"kind": "instalments", "confirmation": "录音 #89", "instalments": 3, "payment_day": 15},
        content_type="application/json",
    )
    assert plan.status_code == 201 and len(plan.json()["schedule"]) == 3
