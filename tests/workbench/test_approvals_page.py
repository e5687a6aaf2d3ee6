"""Lena decides waivers on the team page: the reason is marked required, what is wrong is said at the request
in her language, the decision goes on the case's timeline and reaches Alice as a notification."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from huikuan.notifications.models import NoticeKind, Notification
from huikuan.payments.models import WaiverRequest, WaiverStatus
from huikuan.payments.waivers import request_waiver
from tests.conftest import client_for
from tests.workbench.fixtures import CaseMaker
from tests.workbench.opening import in_ledger


def _waiting(workday: dict[str, Any]) -> WaiverRequest:
    """900.00 of penalty: beyond Alice's 500.00, within Lena's 5,000.00."""
    case = in_ledger(workday["middle"])
    request = request_waiver(workday["personas"].alice, case, penalty=Decimal("900.00"), reason="失业半年")
    assert request.status == WaiverStatus.PENDING
    return request


def _article(body: str, waiver: WaiverRequest) -> str:
    found = re.search(rf'<article class="approval[^"]*" id="waiver-{waiver.pk}".*?</article>', body, re.S)
    assert found is not None, "the request is on the page"
    return found.group(0)


def test_the_reason_is_marked_required_and_the_buttons_are_in_the_request(workday: dict[str, Any]) -> None:
    waiver = _waiting(workday)
    body = client_for(workday["personas"].lena).get("/work/team/").content.decode()
    row = _article(body, waiver)
    assert 'name="reason" required aria-required="true"' in row and 'class="req"' in row
    assert 'value="approve"' in row and 'value="reject"' in row
    assert "900.00" in row and "失业半年" in row


def test_approving_without_a_reason_is_refused_at_the_request_in_chinese(workday: dict[str, Any]) -> None:
    waiver = _waiting(workday)
    lena = client_for(workday["personas"].lena)
    for typed in ("", "   "):
        answer = lena.post(f"/work/team/waivers/{waiver.pk}/", {"decision": "approve", "reason": typed})
        assert answer.status_code == 400
        body = answer.content.decode()
        assert "<html" in body and "审批请求" in body  # the team page itself, styled, not a bare 400
        row = _article(body, waiver)
        assert 'data-testid="waiver-errors"' in row and "请填写审批理由。" in row
        assert 'aria-invalid="true"' in row
    waiver.refresh_from_db()
    assert waiver.status == WaiverStatus.PENDING
    assert not Notification.objects.exists()


def test_the_same_refusal_in_english(workday: dict[str, Any]) -> None:
    waiver = _waiting(workday)
    answer = client_for(workday["personas"].lena).post(
        f"/work/team/waivers/{waiver.pk}/", {"decision": "reject", "reason": "a\x00b"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert answer.status_code == 400
    assert "control characters" in _article(answer.content.decode(), waiver)


def test_an_approval_reaches_the_timeline_and_alice(workday: dict[str, Any]) -> None:
    waiver = _waiting(workday)
    p = workday["personas"]
    lena = client_for(p.lena)
    answer = lena.post(f"/work/team/waivers/{waiver.pk}/", {"decision": "approve", "reason": "配合还款，同意"})
    assert answer.status_code == 302 and answer["Location"] == f"/work/team/?decided={waiver.pk}#approvals"
    assert 'data-testid="waiver-decided"' in lena.get(answer["Location"]).content.decode()

    alice = client_for(p.alice)
    case_page = alice.get(f"/cases/{workday['middle'].pk}/").content.decode()
    timeline = case_page[case_page.index('data-testid="timeline"') :]
    assert "减免 900.00 元已批准" in timeline and "申请减免 900.00 元" in timeline
    assert case_page.count("13,500.00") == 0 and "11,500.00" in case_page  # 12,400.00 less the 900.00 waived
    assert "配合还款，同意" in timeline
    assert re.search(r'data-testid="unread-count"[^>]*>1<', case_page)
    notice = Notification.objects.get(user=p.alice)
    assert notice.kind == NoticeKind.WAIVER_APPROVED
    listing = alice.get("/work/notifications/").content.decode()
    assert f'data-notification="{notice.pk}"' in listing and "配合还款，同意" in listing

    assert alice.post("/work/notifications/read/", {"id": notice.pk}).status_code == 302
    notice.refresh_from_db()
    assert notice.read_at is not None
    assert 'data-testid="unread-count"' not in alice.get("/work/").content.decode()


def test_a_waiver_of_another_teams_case_is_not_found(workday: dict[str, Any], make_case: CaseMaker) -> None:
    p = workday["personas"]
    theirs = make_case(50, assignee=p.carol, name="孙丽")
    waiver = request_waiver(p.carol, theirs, penalty=Decimal("900.00"), reason="x")
    answer = client_for(p.lena).post(f"/work/team/waivers/{waiver.pk}/", {"decision": "approve", "reason": "ok"})
    assert answer.status_code == 404
    waiver.refresh_from_db()
    assert waiver.status == WaiverStatus.PENDING


def test_nobody_reads_anothers_notifications(workday: dict[str, Any]) -> None:
    waiver = _waiting(workday)
    p = workday["personas"]
    client_for(p.lena).post(f"/work/team/waivers/{waiver.pk}/", {"decision": "reject", "reason": "过大"})
    notice = Notification.objects.get(user=p.alice)
    assert notice.kind == NoticeKind.WAIVER_REJECTED
    bob = client_for(p.bob)
    assert f'data-notification="{notice.pk}"' not in bob.get("/work/notifications/").content.decode()
    bob.post("/work/notifications/read/", {"id": notice.pk})
    bob.post("/work/notifications/read/")  # "all": Bob's own, none of Alice's
    notice.refresh_from_db()
    assert notice.read_at is None


def test_the_header_names_the_plan_in_force_while_another_waits_for_its_waiver(workday: dict[str, Any]) -> None:
    from huikuan.payments.plans import agree_plan
    from huikuan.workbench.views_data import current_arrangement

    alice, case = workday["personas"].alice, in_ledger(workday["middle"])
    instalments = agree_plan(alice, case, "instalments", confirmation="电话确认")
    waiting = agree_plan(alice, case, "full_with_waiver", confirmation="电话确认")
    assert waiting.status == "accepted"
    plans = list(case.plans.order_by("-created_at"))
    arrangement = current_arrangement(case, [], plans)
    assert arrangement is not None and arrangement.summary == instalments.summary
