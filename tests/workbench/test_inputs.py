"""Every field of the workbench's forms is parsed before it reaches an action: a wrong value is a message
naming the field (or a 400), never a server error, and nothing is saved."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from huikuan.cases.models import Interaction, Promise
from huikuan.portfolio.models import ContactPoint
from tests.conftest import client_for


def promise_form(case: Any, **changes: str) -> dict[str, Any]:
    mobile = ContactPoint.objects.get(debtor=case.debtor, kind="mobile")
    due = timezone.localdate() + timedelta(days=5)
    return {"outcome": "promise", "point": str(mobile.pk), "promise_amount": "1000.00",
            "promise_date": due.isoformat(), **changes}  # fmt: skip


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("promise_amount", "NaN"),
        ("promise_amount", "Infinity"),
        ("promise_amount", "-Infinity"),
        ("promise_amount", "1e999999"),
        ("promise_amount", "1²"),
        ("promise_amount", "100000000000"),  # above HUIKUAN_MAX_AMOUNT
        ("promise_date", "2026-02-30"),
        ("promise_date", "²⁰²⁶-12-01"),
        ("callback_at", "2026-02-30T10:00"),
        ("point", "²"),
        ("point", "9" * 40),
        ("notes", "客户\x00同意"),
        ("payment_reference", "TX\x00-1"),
    ],
)
def test_a_wrong_field_is_named_and_nothing_is_saved(workday: dict[str, Any], field: str, value: str) -> None:
    case = workday["middle"]
    response = client_for(workday["personas"].alice).post(
        f"/work/cases/{case.pk}/save/", promise_form(case, **{field: value}), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200, response.content
    body = response.content.decode()
    assert "save-errors" in body
    label = {"promise_amount": "Promise amount", "promise_date": "Promise date", "callback_at": "Call-back time",
             "point": "Contact point", "notes": "Notes", "payment_reference": "Payment reference"}[field]  # fmt: skip
    assert label in body
    assert not Interaction.objects.filter(case=case).exists()
    assert not Promise.objects.filter(case=case).exists()


def test_a_promise_above_what_is_owed_is_refused_with_the_amount_owed(workday: dict[str, Any]) -> None:
    case = workday["middle"]  # owes 12,400.00
    response = client_for(workday["personas"].alice).post(
        f"/work/cases/{case.pk}/save/", promise_form(case, promise_amount="12400.01"), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "cannot be more than the debtor owes (12,400.00)" in response.content.decode()
    assert not Promise.objects.filter(case=case).exists()
    ok = client_for(workday["personas"].alice).post(
        f"/work/cases/{case.pk}/save/", promise_form(case, promise_amount="１２,４００.００")
    )
    assert ok.status_code == 302 and Promise.objects.get(case=case).amount == 12400


@pytest.mark.parametrize("after", ["²", "١x", "-1", "0", "9" * 30])
def test_next_case_with_a_bad_after_is_a_400(workday: dict[str, Any], after: str) -> None:
    response = client_for(workday["personas"].alice).get("/work/next/", {"after": after})
    assert response.status_code == 400


def test_next_case_reads_after_in_any_digits(workday: dict[str, Any]) -> None:
    middle = workday["middle"]
    wide = str(middle.pk).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    response = client_for(workday["personas"].alice).get("/work/next/", {"after": wide})
    assert response.status_code == 302 and response["Location"] != f"/cases/{middle.pk}/"


@pytest.mark.parametrize("url", ["/?q=HT%00-1", "/work/?stage=%00", "/comms/templates/?channel=%00",
                                 "/qa/?category=a%00b"])  # fmt: skip
def test_nul_in_a_query_string_is_a_400(workday: dict[str, Any], url: str) -> None:
    response = client_for(workday["personas"].adam).get(url)
    assert response.status_code == 400


def test_nul_in_a_posted_form_is_a_400(workday: dict[str, Any]) -> None:
    response = client_for(workday["personas"].lena).post(
        "/work/team/reassign/", "case=1&to=2&reason=a%00b", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400


def test_the_search_box_finds_a_customer_number_typed_in_full_width(workday: dict[str, Any]) -> None:
    case = workday["middle"]
    wide = case.debtor.customer_no.translate(str.maketrans("0123456789W", "０１２３４５６７８９Ｗ"))
    page = client_for(workday["personas"].alice).get("/", {"q": wide}).content.decode()
    assert f"/cases/{case.pk}/" in page
