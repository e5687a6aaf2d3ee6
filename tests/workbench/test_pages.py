"""The queue, the case page, saving an outcome and the team lead's pages through Django's test client."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from huikuan.audit.models import ChangeLog
from huikuan.cases.models import Case, Interaction, Promise
from huikuan.compliance.models import StopRequest, TextFlag
from huikuan.portfolio.models import ContactPoint
from huikuan.strategy.models import WorkItem
from huikuan.workbench.models import CallBack, CallRecording
from tests.conftest import client_for
from tests.workbench.fixtures import CaseMaker


def test_queue_lists_todays_items_by_priority_with_gate_time(workday: dict[str, Any]) -> None:
    alice = workday["personas"].alice
    page = client_for(alice).get("/work/").content.decode()
    order = [page.index(f'data-case="{workday[k].pk}"') for k in ("middle", "late", "early")]
    assert order == sorted(order)
    assert f'data-case="{workday["bob"].pk}"' not in page
    assert "12,400.00" in page and "首次逾期 → 电话催收" in page and "中期" in page
    filtered = client_for(alice).get("/work/?stage=late").content.decode()
    assert f'data-case="{workday["late"].pk}"' in filtered and f'data-case="{workday["middle"].pk}"' not in filtered


def test_next_case_goes_to_the_highest_priority(workday: dict[str, Any]) -> None:
    response = client_for(workday["personas"].alice).get("/work/next/")
    assert response["Location"] == f"/cases/{workday['middle'].pk}/"


def test_case_page_shows_the_workbench(workday: dict[str, Any]) -> None:
    case = workday["middle"]
    page = client_for(workday["personas"].alice).get(f"/cases/{case.pk}/").content.decode()
    mobile = ContactPoint.objects.get(debtor=case.debtor, kind="mobile")
    assert "李女士" in page and f"尾号{mobile.national[-4:]}" in page and mobile.national not in page
    assert "12,400.00" in page and "1,234.56" in page and "965.44" in page
    assert "您好，我是回款公司的客服专员alice，请问是李女士本人吗？" in page
    assert "共计12,400.00元，已逾期45天" in page and "请您重视" in page
    assert "一次性结清" in page and "分期还款" in page and "阶梯式还款" in page
    assert "首次逾期 → 电话催收" in page
    assert 'data-objection-key="dispute"' in page


def test_collector_cannot_open_another_collectors_case(workday: dict[str, Any]) -> None:
    client = client_for(workday["personas"].alice)
    assert client.get(f"/cases/{workday['bob'].pk}/").status_code == 404
    assert client.post(f"/work/cases/{workday['bob'].pk}/save/", {"outcome": "no_answer"}).status_code == 404


def test_objections_by_typing_and_by_click(workday: dict[str, Any]) -> None:
    client = client_for(workday["personas"].alice)
    url = f"/work/cases/{workday['early'].pk}/objections/"
    typed = client.get(url, {"q": "金额不对，不是这么多"}).content.decode()
    assert 'data-objection="dispute"' in typed and 'data-action="open_bill"' in typed
    clicked = client.get(url, {"key": "stop_calling"}).content.decode()
    assert "不希望再接到电话" in clicked and 'data-action="stop_calls"' in clicked


def test_notes_are_screened_before_saving_without_registering(workday: dict[str, Any]) -> None:
    client = client_for(workday["personas"].alice)
    html = client.post(f"/work/cases/{workday['early'].pk}/notes/preview/", {"notes": "再不还钱就去你单位闹"}).content
    assert b"note-flags" in html
    assert TextFlag.objects.count() == 0
    clean = client.post(f"/work/cases/{workday['early'].pk}/notes/preview/", {"notes": "客户同意周五还款"}).content
    assert b"note-clean" in clean


def test_saving_a_promise_logs_the_call_and_moves_the_queue_on(workday: dict[str, Any]) -> None:
    alice = workday["personas"].alice
    case = workday["middle"]
    mobile = ContactPoint.objects.get(debtor=case.debtor, kind="mobile")
    due = timezone.localdate() + timedelta(days=5)
    response = client_for(alice).post(
        f"/work/cases/{case.pk}/save/",
        {"outcome": "promise", "point": mobile.pk, "promise_amount": "12400.00", "promise_date": due.isoformat(),
         "notes": "客户同意还款", "recording": SimpleUploadedFile("call.mp3", b"ID3", content_type="audio/mpeg")},
        HTTP_HX_REQUEST="true",
    )  # fmt: skip
    assert response.status_code == 200, response.content
    assert response["HX-Redirect"] == f"/cases/{workday['late'].pk}/"
    interaction = Interaction.objects.get(case=case)
    assert interaction.outcome == "promise" and interaction.user == alice
    promise = Promise.objects.get(case=case)
    assert promise.amount == Decimal("12400.00") and promise.interaction == interaction and promise.due_date == due
    assert CallRecording.objects.filter(interaction=interaction).count() == 1
    assert WorkItem.objects.get(case=case).status == "done"


def test_a_failed_promise_leaves_nothing_behind(workday: dict[str, Any]) -> None:
    case = workday["early"]
    mobile = ContactPoint.objects.get(debtor=case.debtor, kind="mobile")
    response = client_for(workday["personas"].alice).post(
        f"/work/cases/{case.pk}/save/",
        {"outcome": "promise", "point": mobile.pk, "promise_amount": "100.00", "promise_date": "2020-01-01"},
    )
    assert b"save-errors" in response.content
    assert not Interaction.objects.filter(case=case).exists()
    assert WorkItem.objects.get(case=case).status == "pending"


def test_stop_request_complaint_and_callback_in_one_save(workday: dict[str, Any]) -> None:
    from zoneinfo import ZoneInfo

    case = workday["late"]
    # 15:00 tomorrow where the debtor lives (the fixture's zone follows the clock), typed in the server's zone.
    debtor_now = timezone.now().astimezone(ZoneInfo(case.debtor.time_zone))
    callback = timezone.localtime((debtor_now + timedelta(days=1)).replace(hour=15, minute=0, second=0, microsecond=0))
    client = client_for(workday["personas"].alice)
    mobile = ContactPoint.objects.get(debtor=case.debtor, kind="mobile")
    response = client.post(
        f"/work/cases/{case.pk}/save/",
        {"outcome": "callback", "point": mobile.pk, "callback_at": callback.strftime("%Y-%m-%dT%H:%M"),
         "stop_calls": "on", "complaint": "on", "payment_reference": "TX-991"},
    )  # fmt: skip
    assert response.status_code == 302, response.content
    assert StopRequest.objects.filter(debtor=case.debtor, channel="call").exists()
    case.refresh_from_db()
    assert case.status == "on_hold" and case.hold_reason == "complaint"
    assert CallBack.objects.filter(case=case).count() == 1
    assert ChangeLog.objects.filter(action="payment:claimed").exists()


def test_a_callback_follows_the_case_to_its_new_collector(workday: dict[str, Any]) -> None:
    """Whoever moves the case (the lead, the nightly run, an import), its new collector makes the call-back."""
    from zoneinfo import ZoneInfo

    from huikuan.workbench.actions import OutcomeEntry, reassign_case, save_outcome
    from huikuan.workbench.views_data import callbacks_due

    p = workday["personas"]
    case = workday["early"]
    now = timezone.now()
    tomorrow = now.astimezone(ZoneInfo(case.debtor.time_zone)) + timedelta(days=1)
    at = tomorrow.replace(hour=15, minute=0, second=0, microsecond=0)
    mobile = ContactPoint.objects.get(debtor=case.debtor, kind="mobile")
    save_outcome(p.alice, case, OutcomeEntry(outcome="callback", point_id=mobile.pk, callback_at=at), now=now)
    later = now + timedelta(days=3)
    assert [c.case_id for c in callbacks_due(p.alice, later)] == [case.pk]
    reassign_case(p.lena, case, p.bob, "Alice on leave")
    assert [c.case_id for c in callbacks_due(p.bob, later)] == [case.pk]
    assert callbacks_due(p.alice, later) == []
    # The nightly run and an import change the assignee in bulk, without the workbench's action.
    Case.objects.filter(pk=case.pk).update(assignee=p.alice)
    assert [c.case_id for c in callbacks_due(p.alice, later)] == [case.pk]
    assert callbacks_due(p.bob, later) == []


def test_a_call_outcome_closes_the_days_calls_not_the_visit_or_the_hand_over(workday: dict[str, Any]) -> None:
    from huikuan.workbench.actions import OutcomeEntry, save_outcome

    case = workday["late"]
    call = WorkItem.objects.get(case=case)
    for action, channel, queue in (("visit", "visit", "collector"), ("escalate_specialist", "queue", "specialist")):
        WorkItem.objects.create(
            run=call.run, as_of=call.as_of, case=case, action=action, channel=channel, template="", rule=action,
            window_start=call.window_start, window_end=call.window_end, priority=80, stage=call.stage,
            behaviour=call.behaviour, segment=call.segment, queue=queue, policy_version=call.policy_version,
            reason="r", reason_en="r", assignee=call.assignee, created_at=call.created_at,
        )  # fmt: skip
    mobile = ContactPoint.objects.get(debtor=case.debtor, kind="mobile")
    saved = save_outcome(workday["personas"].alice, case, OutcomeEntry(outcome="no_answer", point_id=mobile.pk))
    assert saved.items_done == 1
    status = dict(WorkItem.objects.filter(case=case).values_list("action", "status"))
    assert status == {"call": "done", "visit": "pending", "escalate_specialist": "pending"}


def test_a_callback_in_quiet_hours_is_refused_by_the_gate(workday: dict[str, Any]) -> None:
    from zoneinfo import ZoneInfo

    case = workday["early"]
    local = timezone.now().astimezone(ZoneInfo(case.debtor.time_zone)) + timedelta(days=1)
    night = local.replace(hour=23, minute=30, second=0, microsecond=0)
    at = timezone.localtime(night).strftime("%Y-%m-%dT%H:%M")
    mobile = ContactPoint.objects.get(debtor=case.debtor, kind="mobile")
    response = client_for(workday["personas"].alice).post(
        f"/work/cases/{case.pk}/save/", {"outcome": "callback", "point": mobile.pk, "callback_at": at}
    )
    assert b"save-errors" in response.content and not Interaction.objects.filter(case=case).exists()
    assert "cn.quiet_hours" in response.content.decode() or "22:00" in response.content.decode()


def test_a_call_without_a_number_is_refused_and_the_form_offers_no_empty_number(workday: dict[str, Any]) -> None:
    """A point-less call would be checked against the postal address: no do-not-contact, cap or third-party check."""
    from django.utils import translation

    case = workday["early"]
    client = client_for(workday["personas"].alice)
    with translation.override("zh-hans"):
        response = client.post(f"/work/cases/{case.pk}/save/", {"outcome": "no_answer"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert b"save-errors" in response.content
    assert "电话、短信或电子邮件必须选择对应的号码或地址" in response.content.decode()
    assert not Interaction.objects.filter(case=case).exists()
    page = client.get(f"/cases/{case.pk}/").content.decode()
    # The debtor's mobile is callable now: it is preselected and no empty choice is offered.
    select = page[page.index('<select name="point"') :]
    assert '<option value="">' not in select[: select.index("</select>")]


def test_wrong_number_marks_the_number_invalid(workday: dict[str, Any]) -> None:
    case = workday["early"]
    mobile = ContactPoint.objects.get(debtor=case.debtor, kind="mobile")
    client_for(workday["personas"].alice).post(
        f"/work/cases/{case.pk}/save/", {"outcome": "wrong_number", "point": mobile.pk}
    )
    mobile.refresh_from_db()
    assert mobile.validity == "invalid"


def test_team_lead_sees_queues_and_reassigns(workday: dict[str, Any]) -> None:
    p = workday["personas"]
    lena = client_for(p.lena)
    page = lena.get("/work/team/").content.decode()
    assert "alice" in page and "bob" in page
    case = workday["early"]
    response = lena.post("/work/team/reassign/", {"case": case.pk, "to": p.bob.pk, "reason": "休假"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.assignee == p.bob and WorkItem.objects.get(case=case).assignee == p.bob
    assert ChangeLog.objects.filter(action="case:reassigned").count() == 1
    assert client_for(p.alice).get("/work/team/").status_code == 403
    assert lena.post("/work/team/reassign/", {"case": case.pk, "to": p.carol.pk, "reason": "x"}).status_code == 400


def test_query_counts_are_bounded(
    workday: dict[str, Any], make_case: CaseMaker, django_assert_max_num_queries: Any
) -> None:
    alice = workday["personas"].alice
    for i in range(20):
        make_case(10 + i, priority=i)
    client = client_for(alice)
    client.get("/work/")  # warm the session and caches
    with django_assert_max_num_queries(14):
        assert client.get("/work/").status_code == 200
    case = Case.objects.filter(assignee=alice).first()
    assert case is not None
    with django_assert_max_num_queries(40):
        assert client.get(f"/cases/{case.pk}/").status_code == 200


def test_a_call_the_gate_blocks_is_not_recorded_and_the_refusal_is_kept(workday: dict[str, Any]) -> None:
    """The UI path of issue 4's rule: a blocked contact cannot be logged from the workbench either."""
    from huikuan.compliance.actions import record_stop_request
    from huikuan.compliance.models import ContactDecision

    case = workday["middle"]
    record_stop_request(case, "call", source="call")
    mobile = ContactPoint.objects.get(debtor=case.debtor, kind="mobile")
    response = client_for(workday["personas"].alice).post(
        f"/work/cases/{case.pk}/save/", {"outcome": "no_answer", "point": mobile.pk}
    )
    text = response.content.decode()
    from huikuan.compliance.pack import current_pack

    source = next(r.source for r in current_pack().rules if r.id == "cn.stop_medium")
    assert "save-errors" in text and "cn.stop_medium" in text and source in text
    assert not Interaction.objects.filter(case=case).exists()
    assert WorkItem.objects.get(case=case).status == "pending"
    assert ContactDecision.objects.filter(case=case, allowed=False, rule_ids=["cn.stop_medium"]).exists()


def test_a_blocked_contact_reads_as_its_reason_on_the_team_page_and_the_timeline(workday: dict[str, Any]) -> None:
    """The lead and the collector read why the gate blocked, in their language; the rule's id is the pack's
    reference (the QA register's column), not words for them."""
    from huikuan.compliance.actions import record_stop_request
    from huikuan.compliance.models import TextFlag
    from huikuan.compliance.pack import current_pack

    case, personas = workday["middle"], workday["personas"]
    record_stop_request(case, "call", source="call")
    mobile = ContactPoint.objects.get(debtor=case.debtor, kind="mobile")
    client_for(personas.alice).post(f"/work/cases/{case.pk}/save/", {"outcome": "no_answer", "point": mobile.pk})
    TextFlag.objects.create(
        case=case, source="note", excerpt="再不还就上门", category="threat", severity="block", rule_id="threat.visit"
    )
    rule = next(r for r in current_pack().rules if r.id == "cn.stop_medium")
    lead = client_for(personas.lena)
    for language, reason, flag in (
        ("zh-hans", rule.reason_zh, "威胁 · 拦截"),
        ("en", rule.reason_en, "Threat · blocks"),
    ):
        team = lead.get("/work/team/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
        row = next(line for line in team.splitlines() if f"/cases/{case.pk}/" in line and "cn.stop_medium" in line)
        assert reason in row and ">cn.stop_medium<" not in row
        page = client_for(personas.alice).get(f"/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
        timeline = page[page.index('data-testid="timeline"') :]
        assert reason in timeline and "cn.stop_medium" not in timeline
        assert flag in timeline and "threat ·" not in timeline


def test_the_promise_date_cannot_be_before_the_debtors_today_not_the_servers(
    make_case: CaseMaker, personas: Any, monkeypatch: Any
) -> None:
    """00:30 on 4 November in Shanghai is still 3 November in Los Angeles: a promise for the 3rd is allowed."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from huikuan.portfolio.models import Debtor

    case = make_case(assignee=personas.alice)
    Debtor.objects.filter(pk=case.debtor_id).update(time_zone="America/Los_Angeles")
    now = datetime(2025, 11, 4, 0, 30, tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(UTC)
    monkeypatch.setattr("django.utils.timezone.now", lambda: now)
    page = client_for(personas.alice).get(f"/cases/{case.pk}/").content.decode()
    assert 'name="promise_date" min="2025-11-03"' in page
