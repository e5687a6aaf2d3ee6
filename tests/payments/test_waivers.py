"""Waiver authority per role, the team lead's approval flow, and waivers as audited ledger entries.

The debt owes penalty 70 and fee 20: 90 waivable. A collector may waive 50 % of that, at most 500 → 45;
a team lead 100 %, at most 5,000 → 90.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied

from huikuan.audit.models import ChangeLog
from huikuan.cases.models import CaseStatus
from huikuan.comms.facts import facts_for_debtors
from huikuan.kernel.ledger import Component, EntryKind
from huikuan.org.visibility import CaseNotFound
from huikuan.payments import guards, incoming, plans, waivers
from huikuan.payments.models import PlanStatus, WaiverStatus
from huikuan.portfolio.models import LedgerEntry
from tests.conftest import Personas
from tests.payments.conftest import Debt
from tests.postings import post_entry

D = Decimal


def test_authority_follows_the_role(personas: Personas, debt: Debt) -> None:
    assert waivers.waiver_authority(personas.alice, debt.case) == D("45.00")
    assert waivers.waiver_authority(personas.lena, debt.case) == D("90.00")
    assert waivers.waiver_authority(personas.quinn, debt.case) == D("0.00")


def test_a_waiver_within_authority_is_applied_at_once_penalty_oldest_first(personas: Personas, debt: Debt) -> None:
    request = waivers.request_waiver(personas.alice, debt.case, penalty=D("40.00"), reason="困难")
    assert request.status == WaiverStatus.APPROVED and request.decided_by == personas.alice
    b = debt.balances()
    assert (b["HT-OLD"].penalty, b["HT-NEW"].penalty) == (D("0.00"), D("30.00"))
    assert LedgerEntry.objects.filter(kind="waiver", reference=request.ledger_reference).count() == 2
    log = ChangeLog.objects.get(action="waiver:applied")
    assert log.before is not None and log.after is not None
    assert log.before[f"{debt.old.pk}.penalty"] == "30.00" and log.after[f"{debt.old.pk}.penalty"] == "0.00"


def test_beyond_authority_waits_for_the_lead_of_the_cases_team(personas: Personas, debt: Debt) -> None:
    request = waivers.request_waiver(
        personas.alice,
        debt.case,
        penalty=D("70.00"),
        fee=D("20.00"),
        reason="一次性结清",
    )
    assert request.status == WaiverStatus.PENDING
    assert debt.total() == D("3220.00")
    assert list(waivers.waivers_awaiting(personas.lena)) == [request]
    assert list(waivers.waivers_awaiting(personas.alice)) == []
    for outsider in (personas.alice, personas.bob, personas.carol, personas.quinn):
        with pytest.raises(PermissionDenied):
            waivers.approve_waiver(outsider, request, "ok")
    with pytest.raises(guards.ActionError, match="reason"):
        waivers.approve_waiver(personas.lena, request, " ")
    decided = waivers.approve_waiver(personas.lena, request, "客户配合，同意减免")
    assert (decided.status, decided.decided_by) == (WaiverStatus.APPROVED, personas.lena)
    assert debt.total() == D("3130.00")
    assert ChangeLog.objects.filter(action="waiver:approved", user=personas.lena).count() == 1
    with pytest.raises(guards.ActionError, match="already decided"):
        waivers.reject_waiver(personas.lena, request, "changed my mind")


def test_rejection_changes_no_money(personas: Personas, debt: Debt) -> None:
    request = waivers.request_waiver(personas.alice, debt.case, penalty=D("60.00"), reason="x")
    waivers.reject_waiver(personas.lena, request, "金额过大")
    request.refresh_from_db()
    assert (request.status, request.decision_reason) == (WaiverStatus.REJECTED, "金额过大")
    assert debt.total() == D("3220.00")
    assert not LedgerEntry.objects.filter(kind="waiver").exists()


def test_a_lead_cannot_approve_their_own_request(personas: Personas, debt: Debt) -> None:
    request = waivers.request_waiver(personas.alice, debt.case, penalty=D("60.00"), reason="x")
    request.requested_by = personas.lena
    request.save()
    with pytest.raises(PermissionDenied):
        waivers.approve_waiver(personas.lena, request, "self")


def test_waiver_cannot_exceed_what_is_owed(personas: Personas, debt: Debt) -> None:
    with pytest.raises(guards.ActionError, match="exceed"):
        waivers.request_waiver(personas.lena, debt.case, fee=D("20.01"), reason="x")


def test_pay_in_full_offer_beyond_authority_activates_on_approval_and_closes_the_case(
    personas: Personas, debt: Debt
) -> None:
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    options = plans.propose_options(personas.alice, debt.case, now=now)
    assert options.options.full.total == D("3130.00") and options.options.full.needs_approval
    assert not plans.propose_options(personas.lena, debt.case, now=now).options.full.needs_approval
    plan = plans.agree_plan(personas.alice, debt.case, "full_with_waiver", confirmation="call 11:02", now=now)
    assert plan.status == PlanStatus.ACCEPTED
    request = plan.waiver_requests.get()
    assert request.amount == D("90.00")
    waivers.approve_waiver(personas.lena, request, "ok")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.ACTIVE
    assert debt.total() == D("3130.00")
    incoming.post_payment(personas.lena, debt.case, D("3130.00"), now.date(), "full")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.COMPLETED
    assert debt.refresh().status == CaseStatus.CLOSED


def test_qa_may_not_negotiate(personas: Personas, debt: Debt) -> None:
    with pytest.raises(PermissionDenied):
        plans.propose_options(personas.quinn, debt.case)
    with pytest.raises(CaseNotFound):  # another team's case: answered as missing, not as forbidden
        waivers.request_waiver(personas.carol, debt.case, penalty=D("1.00"), reason="x")


def test_a_replaced_offer_takes_its_pending_waiver_with_it(personas: Personas, debt: Debt) -> None:
    """Alice's pay-in-full offer waits for Lena; the debtor then takes instalments instead."""
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    offer = plans.agree_plan(personas.alice, debt.case, "full_with_waiver", confirmation="call 11:02", now=now)
    request = offer.waiver_requests.get()
    assert (offer.status, request.status) == (PlanStatus.ACCEPTED, WaiverStatus.PENDING)

    replacement = plans.agree_plan(personas.alice, debt.case, "instalments", confirmation="call 11:20", now=now)
    offer.refresh_from_db()
    request.refresh_from_db()
    assert (replacement.status, offer.status) == (PlanStatus.ACTIVE, PlanStatus.CANCELLED)
    assert request.status == WaiverStatus.REJECTED and request.decided_at is not None
    assert list(waivers.waivers_awaiting(personas.lena)) == []
    assert ChangeLog.objects.filter(action="waiver:rejected", subject_id=str(request.pk), user=personas.alice).exists()
    assert ChangeLog.objects.filter(action="plan:cancelled", subject_id=str(offer.pk)).exists()
    with pytest.raises(guards.ActionError, match="already decided"):
        waivers.approve_waiver(personas.lena, request, "ok")
    assert debt.total() == D("3220.00")
    assert not LedgerEntry.objects.filter(kind="waiver").exists()


def test_a_waiver_is_never_written_for_a_plan_no_longer_waiting_for_it(personas: Personas, debt: Debt) -> None:
    """A request left pending on a cancelled plan (older data, or any path that forgets it) stays unwritten."""
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    offer = plans.agree_plan(personas.alice, debt.case, "full_with_waiver", confirmation="call 11:02", now=now)
    request = offer.waiver_requests.get()
    type(offer).objects.filter(pk=offer.pk).update(status=PlanStatus.CANCELLED)

    with pytest.raises(guards.ActionError, match="Cancelled"):
        waivers.approve_waiver(personas.lena, request, "ok")
    request.refresh_from_db()
    assert request.status == WaiverStatus.PENDING
    assert debt.total() == D("3220.00")
    assert not LedgerEntry.objects.filter(kind="waiver").exists()
    # Rejecting it is still possible, and clears the list.
    waivers.reject_waiver(personas.lena, request, "方案已取消")
    request.refresh_from_db()
    assert request.status == WaiverStatus.REJECTED


def _late_penalty(debt: Debt, amount: str) -> None:
    post_entry(debt.new, EntryKind.PENALTY, "late:penalty", {Component.PENALTY: D(amount)}, date(2025, 9, 30))


def test_a_lead_approves_only_within_their_own_authority(personas: Personas, debt: Debt) -> None:
    """10,000 more penalty: 10,090 waivable. Lena's authority is 100 % but at most 5,000."""
    _late_penalty(debt, "10000.00")
    big = waivers.request_waiver(personas.alice, debt.case, penalty=D("6000.00"), reason="长期失业")
    assert big.status == WaiverStatus.PENDING
    assert list(waivers.waivers_awaiting(personas.lena)) == [big]

    with pytest.raises(guards.ActionError, match=r"6000\.00 is beyond your authority of 5000\.00"):
        waivers.approve_waiver(personas.lena, big, "同意")
    big.refresh_from_db()
    assert big.status == WaiverStatus.PENDING
    assert not LedgerEntry.objects.filter(kind="waiver").exists()
    assert debt.total() == D("13220.00")

    # Within her authority she approves as before; and she may always say no.
    small = waivers.request_waiver(personas.alice, debt.case, penalty=D("4000.00"), reason="x")
    assert waivers.approve_waiver(personas.lena, small, "同意").status == WaiverStatus.APPROVED
    assert debt.total() == D("9220.00")
    assert waivers.reject_waiver(personas.lena, big, "超出权限，驳回").status == WaiverStatus.REJECTED


def test_an_administrator_decides_what_is_beyond_a_lead(personas: Personas, debt: Debt) -> None:
    _late_penalty(debt, "10000.00")
    big = waivers.request_waiver(personas.alice, debt.case, penalty=D("6000.00"), reason="长期失业")
    assert list(waivers.waivers_awaiting(personas.adam)) == [big]
    decided = waivers.approve_waiver(personas.adam, big, "特批")
    assert (decided.status, decided.decided_by) == (WaiverStatus.APPROVED, personas.adam)
    assert debt.total() == D("7220.00")
    assert ChangeLog.objects.filter(action="waiver:approved", user=personas.adam).count() == 1


def test_authority_covers_the_cases_waivers_together_not_each_request(personas: Personas, debt: Debt) -> None:
    """Alice may waive 45 of the 90 in all; asking in pieces does not get her more."""
    first = waivers.request_waiver(personas.alice, debt.case, penalty=D("40.00"), reason="困难")
    assert first.status == WaiverStatus.APPROVED
    # 50 still owed: per request she could waive 25 of it; 5 is what is left of her 45.
    assert waivers.waiver_authority(personas.alice, debt.case) == D("5.00")
    second = waivers.request_waiver(personas.alice, debt.case, penalty=D("5.00"), reason="困难")
    assert second.status == WaiverStatus.APPROVED
    third = waivers.request_waiver(personas.alice, debt.case, penalty=D("20.00"), reason="困难")
    assert third.status == WaiverStatus.PENDING
    assert debt.total() == D("3175.00")
    assert waivers.waiver_authority(personas.alice, debt.case) == D("0.00")


def test_a_pending_request_counts_against_the_requesters_authority(personas: Personas, debt: Debt) -> None:
    big = waivers.request_waiver(personas.alice, debt.case, penalty=D("60.00"), reason="x")
    small = waivers.request_waiver(personas.alice, debt.case, fee=D("10.00"), reason="x")
    assert (big.status, small.status) == (WaiverStatus.PENDING, WaiverStatus.PENDING)
    assert debt.total() == D("3220.00")
    # Once the big one is rejected, it no longer counts.
    waivers.reject_waiver(personas.lena, big, "过大")
    again = waivers.request_waiver(personas.alice, debt.case, fee=D("10.00"), reason="x")
    assert again.status == WaiverStatus.APPROVED


def test_a_lead_approves_within_what_their_authority_leaves_on_the_case(personas: Personas, debt: Debt) -> None:
    """10,090 waivable; Lena's 5,000 covers the case's waivers together."""
    _late_penalty(debt, "10000.00")
    first = waivers.request_waiver(personas.alice, debt.case, penalty=D("4000.00"), reason="x")
    waivers.approve_waiver(personas.lena, first, "同意")
    second = waivers.request_waiver(personas.alice, debt.case, penalty=D("2000.00"), reason="x")
    with pytest.raises(guards.ActionError, match=r"beyond your authority of 1000\.00"):
        waivers.approve_waiver(personas.lena, second, "同意")
    assert debt.total() == D("9220.00")
    waivers.approve_waiver(personas.adam, second, "特批")
    assert debt.total() == D("7220.00")


def test_waivers_of_an_earlier_delinquency_do_not_count(personas: Personas, debt: Debt) -> None:
    """The debtor paid a first delinquency off (a 45 waiver helped); a new one starts the count again."""
    first = waivers.request_waiver(personas.alice, debt.case, penalty=D("45.00"), reason="x")
    assert first.status == WaiverStatus.APPROVED
    type(debt.case).objects.filter(pk=debt.case.pk).update(cured_episodes=1)
    assert waivers.waiver_authority(personas.alice, debt.case) == D("22.50")


def test_a_rejected_waiver_turns_its_plan_back_into_an_offer_and_leaves_the_plan_in_force(
    personas: Personas, debt: Debt
) -> None:
    """The debtor pays in instalments; asked again, they would settle in full if the penalties went. Lena says
    no: the instalments stay as they were, the full settlement is an offer again, and Alice is told."""
    from huikuan.notifications.models import NoticeKind, Notification
    from huikuan.payments.models import PendingMessage

    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    instalments = plans.agree_plan(personas.alice, debt.case, "instalments", confirmation="call 10:00", now=now)
    assert instalments.status == PlanStatus.ACTIVE
    full = plans.agree_plan(personas.alice, debt.case, "full_with_waiver", confirmation="call 11:02", now=now)
    instalments.refresh_from_db()
    # Waiting for the lead, the full settlement is conditional: the instalments are still what binds, what
    # the case page's header and the debtor's messages name.
    assert (full.status, instalments.status) == (PlanStatus.ACCEPTED, PlanStatus.ACTIVE)
    assert not PendingMessage.objects.filter(cause=f"plan:{full.pk}:accepted").exists()
    facts = facts_for_debtors([debt.case.debtor_id], now.date())[debt.case.debtor_id]
    assert facts.plan_summary == instalments.summary != full.summary

    waivers.reject_waiver(personas.lena, full.waiver_requests.get(), "减免过大，按原分期执行")
    full.refresh_from_db()
    instalments.refresh_from_db()
    assert (full.status, instalments.status) == (PlanStatus.PROPOSED, PlanStatus.ACTIVE)
    assert debt.total() == D("3220.00")
    log = ChangeLog.objects.get(action="plan:proposed", subject_id=str(full.pk), user=personas.lena)
    assert log.after == {
        "status": "proposed",
        "waiver": full.waiver_requests.get().pk,
        "reason": "减免过大，按原分期执行",
    }
    told = Notification.objects.get(user=personas.alice)
    assert (told.kind, told.case_id, told.params["plan_reverted"]) == (NoticeKind.WAIVER_REJECTED, debt.case.pk, True)
    assert not Notification.objects.filter(user=personas.lena).exists()


def test_an_approved_waiver_puts_its_plan_in_force_in_place_of_the_earlier_one(personas: Personas, debt: Debt) -> None:
    from huikuan.notifications.models import NoticeKind, Notification
    from huikuan.payments.models import PendingMessage

    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    instalments = plans.agree_plan(personas.alice, debt.case, "instalments", confirmation="call 10:00", now=now)
    full = plans.agree_plan(personas.alice, debt.case, "full_with_waiver", confirmation="call 11:02", now=now)
    waivers.approve_waiver(personas.lena, full.waiver_requests.get(), "一次性结清，同意")
    full.refresh_from_db()
    instalments.refresh_from_db()
    assert (full.status, instalments.status) == (PlanStatus.ACTIVE, PlanStatus.CANCELLED)
    assert ChangeLog.objects.get(action="plan:cancelled", subject_id=str(instalments.pk)).after == {
        "status": "cancelled",
        "replaced_by": full.pk,
    }
    # The debtor is confirmed the plan that binds them, once it does.
    assert PendingMessage.objects.filter(cause=f"plan:{full.pk}:accepted").count() == 1
    told = Notification.objects.get(user=personas.alice)
    assert told.kind == NoticeKind.WAIVER_APPROVED and told.params["amount"] == "90.00"


def test_a_second_conditional_offer_replaces_the_first_not_the_plan_in_force(personas: Personas, debt: Debt) -> None:
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    instalments = plans.agree_plan(personas.alice, debt.case, "instalments", confirmation="call 10:00", now=now)
    first = plans.agree_plan(personas.alice, debt.case, "full_with_waiver", confirmation="call 11:02", now=now)
    second = plans.agree_plan(personas.alice, debt.case, "full_with_waiver", confirmation="call 11:30", now=now)
    first.refresh_from_db()
    instalments.refresh_from_db()
    assert (first.status, second.status, instalments.status) == (
        PlanStatus.CANCELLED,
        PlanStatus.ACCEPTED,
        PlanStatus.ACTIVE,
    )
    assert first.waiver_requests.get().status == WaiverStatus.REJECTED
    assert list(waivers.waivers_awaiting(personas.lena)) == [second.waiver_requests.get()]


def test_a_waiver_the_collector_asked_for_without_a_plan_tells_them_the_decision(
    personas: Personas, debt: Debt
) -> None:
    from huikuan.notifications.models import NoticeKind, Notification
    from huikuan.notifications.texts import describe

    request = waivers.request_waiver(personas.alice, debt.case, penalty=D("60.00"), reason="失业")
    waivers.approve_waiver(personas.lena, request, "同意")
    told = Notification.objects.get(user=personas.alice)
    assert told.kind == NoticeKind.WAIVER_APPROVED and told.params["plan_reverted"] is False
    assert describe(told) == f"Case #{debt.case.pk}: lena approved the waiver of 60.00 (同意)."
