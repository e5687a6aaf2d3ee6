"""The API of a lead's and a collector's day: the team's payments, notifications and their reading, a number
given by the debtor; each answers 2xx or a 4xx with its reason."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from huikuan.notifications.models import Notification
from huikuan.payments.incoming import post_payment
from huikuan.payments.waivers import reject_waiver, request_waiver
from huikuan.portfolio.models import ContactPoint, Validity
from tests.conftest import Personas, client_for
from tests.payments.conftest import Debt, make_debt


def test_the_payments_list_holds_the_cases_one_sees(personas: Personas, debt: Debt) -> None:
    today = timezone.localdate()
    ours, _ = post_payment(personas.lena, debt.case, Decimal("100.00"), today, "a")
    other = make_debt(personas, "C-200", assignee=personas.carol)
    other.case.team = personas.team_b
    other.case.save()
    theirs, _ = post_payment(personas.adam, other.case, Decimal("50.00"), today, "b")
    rows = client_for(personas.lena).get("/api/payments").json()["items"]
    assert [r["id"] for r in rows] == [ours.pk]
    assert rows[0]["debtor"] == "张*" + " (C-100)" and rows[0]["posted_by"] == "lena"
    assert {r["id"] for r in client_for(personas.adam).get("/api/payments").json()["items"]} == {ours.pk, theirs.pk}
    assert client_for(personas.lena).get("/api/payments?status=reversed").json()["items"] == []
    assert client_for(personas.lena).get("/api/payments?status=nope").status_code == 422


def test_notifications_are_read_and_marked_through_the_api(personas: Personas, debt: Debt) -> None:
    request = request_waiver(personas.alice, debt.case, penalty=Decimal("60.00"), reason="x")
    reject_waiver(personas.lena, request, "过大")
    alice = client_for(personas.alice)
    rows = alice.get("/api/notifications?unread=true").json()["items"]
    assert len(rows) == 1 and rows[0]["kind"] == "waiver_rejected" and "过大" in rows[0]["text"]
    # Lena's attempt on Alice's notification marks nothing.
    assert client_for(personas.lena).post("/api/notifications/read", {"ids": [rows[0]["id"]]},
                                          content_type="application/json").json() == {"marked": 0}  # fmt: skip
    for body in ("5", "[]", "{}"):  # not a request to mark anything
        assert alice.post("/api/notifications/read", body, content_type="application/json").status_code == 422
    everything = alice.post("/api/notifications/read", {"ids": None}, content_type="application/json")
    assert everything.json() == {"marked": 1}
    assert Notification.objects.get().read_at is not None
    bad = alice.post("/api/notifications/read", {"ids": [0]}, content_type="application/json")
    assert bad.status_code == 422


def test_a_number_is_added_through_the_api_or_refused_with_its_field(personas: Personas, debt: Debt) -> None:
    alice = client_for(personas.alice)
    url = f"/api/cases/{debt.case.pk}/contact-points"
    body = {"kind": "mobile", "value": "１３８００１３８０００", "reason": "电话中告知"}
    created = alice.post(url, body, content_type="application/json")
    assert created.status_code == 201 and created.json()["masked"] == "138****8000"
    point = ContactPoint.objects.get(pk=created.json()["id"])
    assert (point.value, point.validity) == ("+8613800138000", Validity.UNVERIFIED)
    again = alice.post(url, body, content_type="application/json")
    assert again.status_code == 400 and "value" in again.json()["fields"]
    assert alice.post(url, body | {"value": "a\x00"}, content_type="application/json").status_code == 422
    assert alice.post(url, body | {"kind": "fax"}, content_type="application/json").status_code == 422
    assert client_for(personas.quinn).post(url, body, content_type="application/json").status_code == 403
    assert client_for(personas.carol).post(url, body, content_type="application/json").status_code == 404
