"""What the debtor does on the page goes through the collector's actions, with evidence, or is refused with why."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal
from html import unescape
from zoneinfo import ZoneInfo

import pytest

from huikuan import clock
from huikuan.cases.models import Case, CaseStatus, HoldReason, Promise
from huikuan.compliance.models import StopRequest
from huikuan.notifications.models import Notification
from huikuan.org.permissions import SelfServiceDebtor
from huikuan.org.visibility import CaseNotFound
from huikuan.payments.models import PlanStatus, RepaymentPlan
from huikuan.payments.promises import record_promise
from huikuan.selfservice.models import Event, EventKind
from tests.conftest import Personas
from tests.payments.conftest import Debt, make_debt
from tests.selfservice.conftest import UA, Walk

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _plans(page: str) -> dict[str, str]:
    """Each offered plan's kind and the exact words shown with it (the hidden field the form posts back)."""
    found = re.findall(r'name="kind" value="(\w+)"><input type="hidden" name="shown" value="([^"]*)"', page)
    return {kind: unescape(text) for kind, text in found}


def test_accepting_a_plan_goes_through_the_plan_action_with_the_words_shown_as_evidence(verified: Walk) -> None:
    offered = _plans(verified.get().content.decode())
    assert {"instalments", "ladder"} <= set(offered)
    text = offered["instalments"]
    assert "3,220" in text and "我接受" in text
    answer = verified.post("plan/", {"kind": "instalments", "shown": text})
    assert answer.status_code == 302 and answer["Location"].endswith("?done=plan")
    plan = RepaymentPlan.objects.get(case=verified.link.case)
    assert plan.status == PlanStatus.ACTIVE and plan.kind == "instalments" and plan.created_by is None
    assert f"link {verified.link.pk}" in plan.confirmation
    evidence = Event.objects.get(kind=EventKind.PLAN, link=verified.link)
    assert evidence.detail["text"] == text and evidence.user_agent == UA and evidence.ip == "127.0.0.1"
    assert evidence.detail["code_id"] and evidence.detail["plan"] == plan.pk


def test_a_plan_whose_words_changed_is_refused_and_nothing_is_agreed(verified: Walk) -> None:
    text = _plans(verified.get().content.decode())["instalments"]
    answer = verified.post("plan/", {"kind": "instalments", "shown": text.replace("3,220", "1,220")})
    assert answer.status_code == 400
    assert not RepaymentPlan.objects.exists()
    assert Event.objects.filter(kind=EventKind.ACTION_REFUSED, detail__what="plan").exists()


def test_a_promise_above_the_balance_or_beyond_the_horizon_is_refused_with_the_reason(verified: Walk) -> None:
    today = verified.link.case.debtor.today(clock.now())
    above = verified.post("promise/", {"amount": "3220.01", "due": today.isoformat()})
    assert above.status_code == 400 and "3,220.00" in above.content.decode()
    far = verified.post("promise/", {"amount": "100.00", "due": (today + timedelta(days=400)).isoformat()})
    assert far.status_code == 400 and "30" in far.content.decode()
    assert not Promise.objects.exists()
    assert Event.objects.filter(kind=EventKind.ACTION_REFUSED, detail__what="promise").count() == 2


def test_a_promise_within_the_rules_is_recorded(verified: Walk) -> None:
    due = verified.link.case.debtor.today(clock.now()) + timedelta(days=5)
    assert verified.post("promise/", {"amount": "500.00", "due": due.isoformat()}).status_code == 302
    promise = Promise.objects.get(case=verified.link.case)
    assert (promise.amount, promise.due_date, promise.created_by) == (Decimal("500.00"), due, None)


def test_a_dispute_opens_the_dispute_hold_and_tells_the_collector_and_the_lead(
    verified: Walk, personas: Personas
) -> None:
    answer = verified.post("dispute/", {"scope": "amount", "reason": "滞纳金计算有误"})
    assert answer.status_code == 302
    case = Case.objects.get(pk=verified.link.case_id)
    assert (case.status, case.hold_reason) == (CaseStatus.ON_HOLD, HoldReason.DISPUTE)
    told = set(
        Notification.objects.filter(kind="self_service", case_id=case.pk).values_list("user__username", flat=True)
    )
    assert told == {"alice", "lena"}


def _next_weekday_at(hour: int) -> datetime:
    day = clock.now().astimezone(SHANGHAI).date() + timedelta(days=2)
    while day.weekday() != 2:  # a Wednesday: a working day in the calendar of the cn pack
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour, 0)


def test_a_call_back_at_night_is_refused_and_in_the_day_the_team_is_told(verified: Walk) -> None:
    night = verified.post("callback/", {"at": _next_weekday_at(3).strftime("%Y-%m-%dT%H:%M")})
    assert night.status_code == 400
    day = verified.post("callback/", {"at": _next_weekday_at(10).strftime("%Y-%m-%dT%H:%M")})
    assert day.status_code == 302
    assert Notification.objects.filter(kind="self_service", params__what="callback").count() == 2


def test_opting_out_writes_the_one_stop_request(verified: Walk) -> None:
    assert verified.post("opt-out/", {"channel": "sms"}).status_code == 302
    assert verified.post("opt-out/", {"channel": "call"}).status_code == 302
    stops = set(StopRequest.objects.filter(debtor_id=verified.link.case.debtor_id).values_list("channel", "source"))
    assert stops == {("sms", "self_service"), ("call", "self_service")}


def test_without_the_code_no_action_is_taken(walk: Walk) -> None:
    due = clock.today() + timedelta(days=3)
    assert walk.post("promise/", {"amount": "100.00", "due": due.isoformat()}).status_code == 403
    assert walk.post("opt-out/", {"channel": "sms"}).status_code == 403
    assert not Promise.objects.exists() and not StopRequest.objects.exists()


def test_the_debtor_acts_on_their_own_case_only(debt: Debt, personas: Personas) -> None:
    other = make_debt(personas, customer_no="C-200")
    with pytest.raises(CaseNotFound):
        record_promise(SelfServiceDebtor(debt.case.pk), other.case, Decimal("10.00"), clock.today())
    assert not Promise.objects.exists()


def test_another_cases_order_is_not_shown(verified: Walk, debt: Debt, personas: Personas) -> None:
    from huikuan.selfservice.models import PaymentOrder

    other = make_debt(personas, customer_no="C-300")
    order = PaymentOrder.objects.create(case=other.case, provider="wechat", order_id="HKOTHER1", amount=Decimal("1"),
                                        created_at=clock.now())  # fmt: skip
    assert verified.get(f"paid/{order.order_id}/").status_code == 404
    assert Event.objects.filter(kind=EventKind.ACTION_REFUSED, detail__what="order").exists()
