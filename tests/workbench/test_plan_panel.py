"""Issue 16, item 6 on the case page: promises within the balance and the horizon, and the plan panel.

Alice's middle case owes 12,400.00 (fixtures). Her debtor can pay 3 instalments on the 15th, or 2,000 now and
the rest later; he cannot promise 99,999,999 nor a date seven months off. What the panel designs is what
step 4 reads back and what the save stores, recomputed from the asks, never from the form's amounts.
"""

from __future__ import annotations

import html
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from huikuan.cases.models import Promise
from huikuan.payments.models import RepaymentPlan
from huikuan.portfolio.models import ContactPoint
from tests.conftest import client_for


def design(workday: dict[str, Any], lang: str = "zh-hans", **asks: str) -> Any:
    case = workday["middle"]
    url = f"/work/cases/{case.pk}/plans/design/"
    return client_for(workday["personas"].alice).get(url, asks, HTTP_ACCEPT_LANGUAGE=lang)


def test_the_case_page_has_the_plan_panel_with_the_policys_limits(workday: dict[str, Any]) -> None:
    page = client_for(workday["personas"].alice).get(f"/cases/{workday['middle'].pk}/")
    panel = page.context["plan_panel"]
    assert (panel.max_instalments, panel.min_instalment, panel.deferral_allowed) == (24, Decimal("300.00"), False)
    body = page.content.decode()
    assert 'data-testid="plan-panel"' in body and 'name="deferral_months"' not in body


def test_three_instalments_are_designed_with_their_schedule_and_read_back(workday: dict[str, Any]) -> None:
    response = design(workday, instalments="3", payment_day="15", first_payment="2,000")
    assert response.status_code == 200
    panel = response.context["panel"]
    assert panel.errors == []
    by_kind = {d.option.kind.value: d for d in panel.options}
    plan = by_kind["instalments"].option.schedule
    assert [i.amount for i in plan] == [Decimal("4133.00"), Decimal("4133.00"), Decimal("4134.00")]
    assert all(i.due_date.day == 15 for i in plan)
    assert by_kind["ladder"].option.schedule[0].amount == Decimal("2000.00")
    # Step 4's read-back of the designed option is in the answer, for the page to show when it is taken.
    body = html.unescape(response.content.decode())
    assert 'id="confirm-designed" hx-swap-oob="true"' in body and 'data-choice="design:instalments"' in body
    assert "4,133.00" in " ".join(by_kind["instalments"].read_back)


def test_asks_beyond_the_policy_are_refused_in_place_with_the_limit(workday: dict[str, Any]) -> None:
    too_many = design(workday, "en", instalments="99").context["panel"]
    assert too_many.options == [] and "At most 24 instalments" in too_many.errors[0]
    too_much = design(workday, "en", first_payment="20000").context["panel"]
    assert "cannot be more than the balance (12,400.00)" in too_much.errors[0]
    wrong = design(workday, "en", payment_day="32", capacity="abc").context["panel"]
    assert len(wrong.errors) == 2 and any("Payment day" in e for e in wrong.errors)
    deferral = design(workday, "en", deferral_months="2").context["panel"]
    assert deferral.errors == ["The policy does not allow deferral."]
    chinese = design(workday, instalments="99").context["panel"]
    assert "期" in chinese.errors[0]


def test_a_deferral_is_designed_where_the_policy_allows_it(workday: dict[str, Any], settings: Any) -> None:
    settings.HUIKUAN_PAYMENTS = {"plan": {"deferral_allowed": True, "max_deferral_months": 3}}
    panel = design(workday, deferral_months="2", payment_day="10").context["panel"]
    deferral = next(d for d in panel.options if d.option.kind.value == "deferral")
    assert len(deferral.option.schedule) == 1 and deferral.option.schedule[0].amount == Decimal("12400.00")
    assert design(workday, deferral_months="4").context["panel"].errors == ["延期为1至3个月。"]


def test_the_designed_plan_is_saved_from_the_asks(workday: dict[str, Any]) -> None:
    case = workday["middle"]
    client = client_for(workday["personas"].alice)
    mobile = ContactPoint.objects.get(debtor=case.debtor, kind="mobile")
    response = client.post(
        f"/work/cases/{case.pk}/save/",
        {"outcome": "plan_accepted", "point": mobile.pk, "plan_kind": "instalments", "plan_instalments": "3",
         "plan_payment_day": "15"},
    )  # fmt: skip
    assert response.status_code == 302
    plan = RepaymentPlan.objects.get(case=case)
    assert [(i.due_date.day, i.amount) for i in plan.instalments.order_by("n")] == [
        (15, Decimal("4133.00")),
        (15, Decimal("4133.00")),
        (15, Decimal("4134.00")),
    ]


def test_asks_that_break_the_policy_save_nothing(workday: dict[str, Any]) -> None:
    case = workday["middle"]
    client = client_for(workday["personas"].alice)
    mobile = ContactPoint.objects.get(debtor=case.debtor, kind="mobile")
    response = client.post(
        f"/work/cases/{case.pk}/save/",
        {"outcome": "plan_accepted", "point": mobile.pk, "plan_kind": "instalments", "plan_instalments": "99"},
    )
    assert response.status_code == 200 and "24" in response.content.decode()
    assert not RepaymentPlan.objects.filter(case=case).exists() and not case.interactions.exists()


def test_a_promise_above_the_balance_or_beyond_the_horizon_is_refused_with_its_reason(
    workday: dict[str, Any],
) -> None:
    case = workday["middle"]
    client = client_for(workday["personas"].alice)
    mobile = ContactPoint.objects.get(debtor=case.debtor, kind="mobile")
    today = case.debtor.today(timezone.now())
    far = (today + timedelta(days=210)).isoformat()
    save = {"outcome": "promise", "point": mobile.pk, "promise_amount": "99999999", "promise_date": far}
    body = client.post(f"/work/cases/{case.pk}/save/", save).content.decode()
    assert "承诺金额不能超过欠款（12,400.00）" in body and "30天内" in body
    assert not Promise.objects.filter(case=case).exists()
    # Said while typing, in step 4, before the save.
    preview = client.get(f"/work/cases/{case.pk}/confirm/", {"promise_amount": "99999999", "promise_date": far})
    assert "12,400.00" in preview.content.decode() and "确认一下" not in preview.content.decode()
    within = {**save, "promise_amount": "12400.00", "promise_date": (today + timedelta(days=30)).isoformat()}
    assert client.post(f"/work/cases/{case.pk}/save/", within).status_code == 302
    assert Promise.objects.get(case=case).amount == Decimal("12400.00")


def test_the_panel_of_a_hidden_case_is_a_404_and_a_role_that_may_not_negotiate_is_told(
    workday: dict[str, Any],
) -> None:
    personas = workday["personas"]
    assert client_for(personas.alice).get(f"/work/cases/{workday['bob'].pk}/plans/design/").status_code == 404
    panel = client_for(personas.quinn).get(f"/work/cases/{workday['middle'].pk}/plans/design/", {"instalments": "3"})
    assert panel.status_code == 200 and panel.context["panel"].errors and not panel.context["panel"].options
