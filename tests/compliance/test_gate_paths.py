"""The gate on the outbound paths: blocked contacts are refused (with rule, source and time) and logged."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from huikuan.audit.models import ChangeLog
from huikuan.cases.models import Case, Interaction
from huikuan.compliance.actions import ContactBlocked, ask_gate, override_warning, record_stop_request
from huikuan.compliance.contacts import log_contact
from huikuan.compliance.models import ContactDecision, GateSource, TextFlag
from huikuan.portfolio.models import ContactPoint
from tests.conftest import Personas, client_for


def daytime_zone() -> str:
    """A fixed-offset zone where it is about noon right now, so API tests never fall into quiet hours."""
    offset = 12 - datetime.now(UTC).hour
    return f"Etc/GMT{-offset:+d}" if offset else "Etc/GMT"


@pytest.fixture
def case(small_portfolio: Personas) -> Case:
    case = Case.objects.filter(assignee=small_portfolio.alice, hold_reason="").select_related("debtor").first()
    assert case is not None
    case.debtor.time_zone = daytime_zone()
    case.debtor.save()
    return case


def mobile(case: Case) -> ContactPoint:
    point = ContactPoint.objects.filter(debtor=case.debtor, kind="mobile", relation="self").get()
    point.validity = "valid"
    point.save()
    return point


def shanghai(day: int, hour: int, minute: int = 0) -> datetime:
    return (
        datetime(2026, 11, day, hour - 8, minute, tzinfo=UTC)
        if hour >= 8
        else datetime(2026, 11, day - 1, hour + 16, minute, tzinfo=UTC)
    )


def test_quiet_hours_block_at_22_00_and_allow_at_21_59(case: Case, small_portfolio: Personas) -> None:
    case.debtor.time_zone = "Asia/Shanghai"
    case.debtor.save()
    point = mobile(case)
    ok = ask_gate(case, point, "call", source=GateSource.WORKBENCH, at=shanghai(18, 21, 59))
    assert ok.allowed and ok.logged is None  # clean answers are not stored
    blocked = ask_gate(case, point, "call", source=GateSource.WORKBENCH, at=shanghai(18, 22, 0))
    assert not blocked.allowed and blocked.decision.blocking_rule == "cn.quiet_hours"
    assert blocked.decision.next_allowed_at == shanghai(19, 8, 0)
    assert blocked.logged is not None and blocked.logged.rule_ids == ["cn.quiet_hours"]


def test_api_refuses_a_blocked_call_and_records_nothing(case: Case, small_portfolio: Personas) -> None:
    point = mobile(case)
    record_stop_request(case, "call", source="call", user=small_portfolio.alice)
    response = client_for(small_portfolio.alice).post(
        f"/api/cases/{case.pk}/contacts",
        {"contact_point_id": point.pk, "channel": "call", "outcome": "no_answer"},
        content_type="application/json",
    )
    assert response.status_code == 409
    body = response.json()
    assert body["blocking_rule"] == "cn.stop_medium" and body["next_allowed_at"] is None
    assert body["reasons"][0]["source"] and body["reasons"][0]["zh"]
    assert not Interaction.objects.filter(
        case=case, contact_point=point, at__gte=datetime.now(UTC) - timedelta(minutes=5)
    ).exists()
    assert ContactDecision.objects.filter(case=case, source="api", allowed=False).count() == 1


def test_daily_attempt_cap_through_the_api(case: Case, small_portfolio: Personas) -> None:
    point = mobile(case)
    client = client_for(small_portfolio.alice)
    payload = {"contact_point_id": point.pk, "channel": "call", "outcome": "no_answer"}
    codes = [client.post(f"/api/cases/{case.pk}/contacts", payload, content_type="application/json").status_code
             for _ in range(7)]  # fmt: skip
    assert codes == [201] * 6 + [409]


def test_a_call_or_sms_without_a_contact_point_is_refused_with_a_clear_message(
    case: Case, small_portfolio: Personas
) -> None:
    """Standing in the postal address would skip do-not-contact, the per-number cap and the third-party check."""
    from django.utils import translation

    point = mobile(case)
    point.do_not_contact = True
    point.save()
    client = client_for(small_portfolio.alice)
    for channel in ("call", "sms"):
        response = client.post(
            f"/api/cases/{case.pk}/contacts",
            {"channel": channel, "outcome": "no_answer"},
            content_type="application/json",
        )
        assert response.status_code == 422, response.content
        assert response.json()["detail"] == "电话、短信或电子邮件必须选择对应的号码或地址。"  # zh-Hans by default
    assert not Interaction.objects.filter(case=case, at__gte=datetime.now(UTC) - timedelta(minutes=5)).exists()
    with translation.override("en"), pytest.raises(ValueError) as raised:
        log_contact(case, None, "call", "no_answer", user=small_portfolio.alice)
    assert str(raised.value) == "A call, text message or e-mail needs the number or address it goes to."
    # With the number given, the gate sees the do-not-contact mark.
    with pytest.raises(ContactBlocked) as blocked:
        log_contact(case, point, "call", "no_answer", user=small_portfolio.alice)
    assert blocked.value.answer.decision.blocking_rule == "cn.do_not_contact"
    # A visit goes to the address on file and needs no point.
    assert ask_gate(case, None, "visit", source=GateSource.WORKBENCH, collectors=2).allowed


def test_third_party_number_is_refused_while_the_debtor_is_reachable(case: Case, small_portfolio: Personas) -> None:
    mobile(case)
    third = ContactPoint.objects.create(debtor=case.debtor, kind="mobile", value="+8613900001234", relation="spouse")
    with pytest.raises(ContactBlocked) as raised:
        log_contact(case, third, "call", "no_answer", user=small_portfolio.alice, source=GateSource.WORKBENCH)
    assert raised.value.answer.decision.blocking_rule == "cn.third_party"


def test_reminders_sent_by_the_outbox_do_not_open_third_party_calls(case: Case, small_portfolio: Personas) -> None:
    """The outbox logs every SMS as an Interaction ``sent``: those are not failed calls, so no 失联."""
    point = mobile(case)
    spouse = ContactPoint.objects.create(debtor=case.debtor, kind="mobile", value="+8613900001234", relation="spouse")
    Interaction.objects.filter(case=case).delete()
    now = datetime.now(UTC)
    for days in (4, 2, 1):
        Interaction.objects.create(case=case, contact_point=point, channel="sms", party="nobody", outcome="sent",
                                   at=now - timedelta(days=days))  # fmt: skip
    answer = ask_gate(case, spouse, "call", source=GateSource.WORKBENCH, at=now)
    assert answer.decision.blocking_rule == "cn.third_party"
    for hours in (3, 2, 1):
        Interaction.objects.create(case=case, contact_point=point, channel="call", party="nobody",
                                   outcome="no_answer", at=now - timedelta(hours=hours))  # fmt: skip
    assert ask_gate(case, spouse, "call", source=GateSource.WORKBENCH, at=now).allowed


def test_a_third_party_who_refused_long_ago_is_still_not_called(case: Case, small_portfolio: Personas) -> None:
    """ "Stop at once if they refuse" has no expiry: the refusal is older than the weeks of history read."""
    ContactPoint.objects.filter(debtor=case.debtor, relation="self").update(validity="invalid")  # 失联
    spouse = ContactPoint.objects.create(debtor=case.debtor, kind="mobile", value="+8613900001234", relation="spouse")
    sister = ContactPoint.objects.create(debtor=case.debtor, kind="mobile", value="+8613900005678", relation="relative")
    now = datetime.now(UTC)
    Interaction.objects.create(case=case, contact_point=spouse, channel="call", party="third_party",
                               outcome="refusal", at=now - timedelta(days=400))  # fmt: skip
    refused = ask_gate(case, spouse, "call", source=GateSource.WORKBENCH, at=now)
    assert refused.decision.blocking_rule == "cn.third_party" and refused.decision.next_allowed_at is None
    assert ask_gate(case, sister, "call", source=GateSource.WORKBENCH, at=now).allowed


def test_us_each_third_party_once_however_long_ago(case: Case, small_portfolio: Personas, settings: Any) -> None:
    settings.COMPLIANCE_PACK = "us"
    ContactPoint.objects.filter(debtor=case.debtor, relation="self").update(validity="invalid")
    neighbour = ContactPoint.objects.create(debtor=case.debtor, kind="home", value="+12125550100", relation="other")
    now = datetime.now(UTC)
    assert ask_gate(case, neighbour, "call", source=GateSource.WORKBENCH, at=now).allowed
    Interaction.objects.create(case=case, contact_point=neighbour, channel="call", party="third_party",
                               outcome="third_party", at=now - timedelta(days=60))  # fmt: skip
    assert ask_gate(case, neighbour, "call", source=GateSource.WORKBENCH, at=now).decision.blocking_rule == (
        "us.third_party"
    )


def test_do_not_contact_on_the_debtors_phones_is_not_unreachable(case: Case, small_portfolio: Personas) -> None:
    """失联 is numbers invalid (or calls failing): a do-not-contact mark does not open calls to the family."""
    ContactPoint.objects.filter(debtor=case.debtor, relation="self").update(do_not_contact=True, validity="valid")
    spouse = ContactPoint.objects.create(debtor=case.debtor, kind="mobile", value="+8613900001234", relation="spouse")
    Interaction.objects.filter(case=case).delete()
    answer = ask_gate(case, spouse, "call", source=GateSource.WORKBENCH)
    assert answer.decision.blocking_rule == "cn.third_party"
    ContactPoint.objects.filter(debtor=case.debtor, relation="self").update(validity="invalid")
    assert ask_gate(case, spouse, "call", source=GateSource.WORKBENCH).allowed


def test_hold_blocks_until_a_person_acts(case: Case, small_portfolio: Personas) -> None:
    case.hold_reason = "dispute"
    case.save()
    answer = ask_gate(case, mobile(case), "sms", source=GateSource.OUTBOX, automated=True)
    assert not answer.allowed and answer.decision.blocking_rule == "cn.holds"
    assert answer.decision.next_allowed_at is None


def test_a_warning_can_be_overridden_by_a_team_lead_only(case: Case, small_portfolio: Personas) -> None:
    case.hold_reason = "legal"
    case.save()
    answer = ask_gate(case, mobile(case), "call", source=GateSource.WORKBENCH, user=small_portfolio.alice)
    assert answer.allowed and [r.rule_id for r in answer.decision.warnings] == ["cn.legal_hold"]
    assert answer.logged is not None
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        override_warning(answer.logged, small_portfolio.alice, "急")
    override_warning(answer.logged, small_portfolio.lena, "法务已同意协商还款")
    answer.logged.refresh_from_db()
    assert answer.logged.overridden_by == small_portfolio.lena
    assert ChangeLog.objects.filter(action="gate:override", subject_id=str(answer.logged.pk)).exists()


def test_notes_are_screened_and_registered(case: Case, small_portfolio: Personas) -> None:
    logged = log_contact(case, mobile(case), "call", "refusal", user=small_portfolio.alice,
                         notes="客户拒绝还款，我告诉他法院已经下了逮捕令")  # fmt: skip
    assert logged.flags and logged.flags[0].category
    flag = TextFlag.objects.get(case=case)
    assert flag.source == "note" and "逮捕令" in flag.excerpt


def test_wrong_number_marks_the_point_invalid(case: Case, small_portfolio: Personas) -> None:
    point = mobile(case)
    log_contact(case, point, "call", "wrong_number", user=small_portfolio.alice)
    point.refresh_from_db()
    assert point.validity == "invalid"


def test_collector_cannot_log_on_another_collectors_case(case: Case, small_portfolio: Personas) -> None:
    response = client_for(small_portfolio.carol).post(
        f"/api/cases/{case.pk}/contacts", {"channel": "call", "outcome": "no_answer"}, content_type="application/json"
    )
    assert response.status_code == 404


def test_qa_register_review(case: Case, small_portfolio: Personas) -> None:
    case.hold_reason = "complaint"
    case.save()
    answer = ask_gate(case, mobile(case), "call", source=GateSource.WORKBENCH)
    assert answer.logged is not None
    quinn = client_for(small_portfolio.quinn)
    page = quinn.get("/qa/")
    assert page.status_code == 200 and "cn.holds" in page.content.decode()
    assert client_for(small_portfolio.alice).get("/qa/").status_code == 403
    url = f"/qa/decisions/{answer.logged.pk}/review/"
    assert quinn.post(url, {"state": "dismissed", "note": ""}).status_code == 400
    assert quinn.post(url, {"state": "confirmed", "note": "符合规定"}).status_code == 200
    answer.logged.refresh_from_db()
    assert answer.logged.review_state == "confirmed" and answer.logged.reviewed_by == small_portfolio.quinn


def test_screen_api_previews_without_registering(small_portfolio: Personas) -> None:
    response = client_for(small_portfolio.alice).post(
        "/api/compliance/screen", {"text": "你再不还钱我们就去你单位闹"}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()
    assert not TextFlag.objects.exists()


def test_screen_command_writes_one_json_object_per_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("您好，请问是张先生本人吗？\n法院已经下了逮捕令\n"))
    out = io.StringIO()
    call_command("screen", stdout=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert lines[0]["flags"] == [] and lines[1]["flags"]
    assert lines[1]["flags"][0]["category"] and lines[1]["text"] == "法院已经下了逮捕令"


def test_gate_command_explains_the_decision(tmp_path: Path) -> None:
    out = io.StringIO()
    call_command("gate", "--pack", "cn", "--at", "2026-11-23T22:00:00+08:00", "--lang", "en", stdout=out)
    text = out.getvalue()
    assert "Contact blocked" in text and "cn.quiet_hours" in text and "2026-11-24T00:00:00Z" in text
