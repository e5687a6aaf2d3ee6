"""The specialist queue (专员) and the legal pages and API. Sam collects in team A with the specialist skill; Alice
collects there without it; Lena leads team A; Lara is legal counsel."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from huikuan.audit.models import ChangeLog
from huikuan.cases.models import Case, CaseStatus
from huikuan.legal.actions import LegalError, open_legal_case
from huikuan.legal.models import LegalCase
from huikuan.legal.specialists import back_to_team, hand_to_legal, specialist_queue
from huikuan.org.models import Role, User
from huikuan.strategy.models import WorkStatus
from tests.conftest import Personas, client_for
from tests.workbench.fixtures import CaseMaker
from tests.workbench.test_routing import add_item


@pytest.fixture
def sam(personas: Personas) -> User:
    return User.objects.create_user("sam", role=Role.COLLECTOR, team=personas.team_a, skills="specialist")


@pytest.fixture
def escalated(personas: Personas, sam: User, make_case: CaseMaker) -> Case:
    case = make_case(100, assignee=sam, name="周强")
    add_item(case, "escalate_specialist", sam)
    return case


def test_a_specialist_sees_their_escalations_with_the_reason_chain(sam: User, escalated: Case) -> None:
    [item] = specialist_queue(sam)
    assert (item.case_id, item.reason) == (escalated.pk, "escalate_specialist 原因")
    page = client_for(sam).get("/legal/specialists/")
    assert page.status_code == 200
    assert "escalate_specialist 原因" in page.content.decode()


def test_a_collector_without_the_skill_has_no_specialist_queue(personas: Personas, escalated: Case) -> None:
    with pytest.raises(PermissionDenied):
        specialist_queue(personas.alice)
    assert client_for(personas.alice).get("/legal/specialists/").status_code == 403
    with pytest.raises(PermissionDenied):
        hand_to_legal(personas.alice, escalated, "转法务")


def test_a_specialist_hands_a_case_to_legal(sam: User, escalated: Case) -> None:
    legal_case = hand_to_legal(sam, escalated, "多次跳票，建议起诉")
    escalated.refresh_from_db()
    assert escalated.status == CaseStatus.LEGAL and legal_case.stage == "review"
    assert not specialist_queue(sam).exists()
    assert escalated.work_items.get(action="escalate_specialist").status == WorkStatus.DONE
    logged = ChangeLog.objects.get(action="handover:escalate_specialist", subject_id=str(escalated.pk))
    assert logged.after == {"decision": "to_legal", "note": "多次跳票，建议起诉", "items": 1}


def test_a_specialist_gives_a_case_back_to_the_team_with_a_note(sam: User, escalated: Case) -> None:
    assert back_to_team(sam, escalated, "已与债务人达成口头方案，请组内跟进") == 1
    escalated.refresh_from_db()
    assert escalated.status == CaseStatus.OPEN
    assert not LegalCase.objects.exists()
    logged = ChangeLog.objects.get(action="handover:escalate_specialist")
    assert logged.after is not None and logged.after["decision"] == "back_to_team"
    with pytest.raises(LegalError, match="no open escalation"):
        back_to_team(sam, escalated, "再次")


def test_a_note_is_needed_to_give_a_case_back(sam: User, escalated: Case) -> None:
    with pytest.raises(LegalError):
        back_to_team(sam, escalated, " ")
    assert escalated.work_items.get(action="escalate_specialist").status == WorkStatus.PENDING


def test_the_legal_queue_shows_the_nightly_legal_reviews_to_legal_counsel_only(
    personas: Personas, make_case: CaseMaker
) -> None:
    case = make_case(120, name="钱多多")
    add_item(case, "legal_review", personas.lara)
    page = client_for(personas.lara).get("/legal/")
    assert page.status_code == 200
    assert f'data-case="{case.pk}"' in page.content.decode()
    for user in (personas.alice, personas.lena):
        assert client_for(user).get("/legal/").status_code == 403


def test_a_legal_review_opens_a_legal_case_from_the_queue(personas: Personas, make_case: CaseMaker) -> None:
    case = make_case(120)
    add_item(case, "legal_review", personas.lara)
    response = client_for(personas.lara).post(f"/legal/cases/{case.pk}/refer/", {"note": "证据充分，起诉"})
    legal_case = LegalCase.objects.get(case=case)
    assert response.status_code == 302 and response["Location"] == f"/legal/{legal_case.pk}/"
    assert case.work_items.get(action="legal_review").status == WorkStatus.DONE


def test_a_lead_puts_a_case_into_legal_status_from_the_case_page(personas: Personas, make_case: CaseMaker) -> None:
    case = make_case(120)
    page = client_for(personas.lena).get(f"/cases/{case.pk}/").content.decode()
    assert f"/legal/cases/{case.pk}/refer/" in page
    assert f"/legal/cases/{case.pk}/refer/" not in client_for(personas.alice).get(f"/cases/{case.pk}/").content.decode()
    response = client_for(personas.lena).post(
        f"/legal/cases/{case.pk}/refer/", {"note": "转法务", "next": f"/cases/{case.pk}/"}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.LEGAL


def test_the_move_form_answers_an_out_of_order_step_with_400_and_the_allowed_steps(
    personas: Personas, make_case: CaseMaker
) -> None:
    legal_case = open_legal_case(personas.lara, make_case(120), "转法务")
    client = client_for(personas.lara)
    response = client.post(f"/legal/{legal_case.pk}/move/", {"to": "judgment", "judgment_amount": "100.00"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "judgment" in body and 'data-stage="review"' in body
    bad = client.post(f"/legal/{legal_case.pk}/move/", {"to": "letter", "costs": "12.345"})
    assert bad.status_code == 400
    legal_case.refresh_from_db()
    assert legal_case.stage == "review"
    assert client.post(f"/legal/{legal_case.pk}/move/", {"to": "letter", "costs": "1500.00"}).status_code == 302
    legal_case.refresh_from_db()
    assert (legal_case.stage, str(legal_case.costs)) == ("letter", "1500.00")


def test_the_api_refuses_a_move_out_of_order_with_the_allowed_next_states(
    personas: Personas, make_case: CaseMaker
) -> None:
    case = make_case(120)
    client = client_for(personas.lara)
    opened = client.post(f"/api/cases/{case.pk}/legal", {"note": "转法务"}, content_type="application/json")
    assert opened.status_code == 201
    legal_case_id = opened.json()["id"]
    refused = client.post(
        f"/api/legal/{legal_case_id}/moves",
        {"to": "judgment", "judgment_on": "2026-11-01", "judgment_amount": "100.00"},
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert refused.json()["allowed_next"] == ["letter", "filed", "withdrawn", "settled"]
    moved = client.post(f"/api/legal/{legal_case_id}/moves", {"to": "letter"}, content_type="application/json")
    assert moved.status_code == 200 and moved.json()["stage"] == "letter"
    assert client.get("/api/legal/cases").json()[0]["id"] == legal_case_id
    forbidden = client_for(personas.alice).post(
        f"/api/legal/{legal_case_id}/moves", {"to": "filed"}, content_type="application/json"
    )
    assert forbidden.status_code == 403


def test_the_api_upload_refuses_a_file_that_is_no_document(personas: Personas, make_case: CaseMaker) -> None:
    legal_case = open_legal_case(personas.lara, make_case(120), "转法务")
    client = client_for(personas.lara)
    refused = client.post(
        f"/api/legal/{legal_case.pk}/documents",
        {"item": "借款合同 / loan contract", "file": SimpleUploadedFile("x.pdf", b"MZ\x90\x00exe")},
    )
    assert refused.status_code == 400
    accepted = client.post(
        f"/api/legal/{legal_case.pk}/documents",
        {"item": "借款合同 / loan contract", "file": SimpleUploadedFile("x.pdf", b"%PDF-1.4 ok")},
    )
    assert accepted.status_code == 201 and len(accepted.json()["sha256"]) == 64


def test_the_specialist_api_decides(sam: User, escalated: Case, settings: Any) -> None:
    client = client_for(sam)
    assert [row["case_id"] for row in client.get("/api/specialists").json()] == [escalated.pk]
    decided = client.post(
        f"/api/specialists/{escalated.pk}/decision",
        {"decision": "team", "note": "组内跟进"},
        content_type="application/json",
    )
    assert decided.status_code == 200 and decided.json()["closed"] == 1


def test_a_refused_step_reads_in_chinese_on_the_page(personas: Personas, make_case: CaseMaker) -> None:
    legal_case = open_legal_case(personas.lara, make_case(120), "转法务")
    client = client_for(personas.lara)
    client.post("/i18n/setlang/", {"language": "zh-hans"})
    response = client.post(f"/legal/{legal_case.pk}/move/", {"to": "filed", "court": "北京市朝阳区人民法院"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "此步骤需要填写案号。" in body
