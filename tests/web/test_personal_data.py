"""Masked by default; a reveal needs the role and a reason, and is audited."""

from __future__ import annotations

from typing import Any

import pytest

from huikuan.audit.models import AccessLog
from huikuan.cases.models import Case
from huikuan.comms.models import Message
from huikuan.portfolio.models import ContactPoint
from tests.conftest import Personas, client_for


@pytest.fixture
def phone(small_portfolio: Personas) -> ContactPoint:
    case = Case.objects.filter(assignee=small_portfolio.alice).first()
    assert case is not None
    return ContactPoint.objects.filter(debtor=case.debtor, kind="mobile", relation="self").get()


def test_case_page_shows_only_masked_numbers(small_portfolio: Personas, phone: ContactPoint) -> None:
    html = client_for(small_portfolio.alice).get(f"/cases/{phone.debtor.case.pk}/").content.decode()
    national = phone.national
    assert national not in html
    assert f"{national[:3]}****{national[-4:]}" in html
    assert f"尾号{national[-4:]}" in html


def test_api_shows_only_masked_numbers(small_portfolio: Personas, phone: ContactPoint) -> None:
    body = client_for(small_portfolio.lena).get(f"/api/cases/{phone.debtor.case.pk}").json()
    assert phone.national not in str(body)


def test_team_lead_reveal_is_audited(small_portfolio: Personas, phone: ContactPoint) -> None:
    response = client_for(small_portfolio.lena).post(f"/contacts/{phone.pk}/reveal/", {"reason": "核实号码"})
    assert response.status_code == 200 and phone.national in response.content.decode()
    log = AccessLog.objects.get()
    assert (log.user, log.subject_id, log.field, log.reason) == (
        small_portfolio.lena,
        str(phone.pk),
        "value",
        "核实号码",
    )


def test_reveal_without_reason_is_refused_and_not_logged(small_portfolio: Personas, phone: ContactPoint) -> None:
    response = client_for(small_portfolio.lena).post(f"/contacts/{phone.pk}/reveal/", {"reason": " "})
    assert response.status_code == 400
    assert not AccessLog.objects.exists()


def test_collector_may_not_reveal(small_portfolio: Personas, phone: ContactPoint) -> None:
    response = client_for(small_portfolio.alice).post(f"/contacts/{phone.pk}/reveal/", {"reason": "call"})
    assert response.status_code == 403
    assert not AccessLog.objects.exists()


def test_lead_of_another_team_may_not_reveal(small_portfolio: Personas, phone: ContactPoint) -> None:
    from huikuan.org.models import Role, User

    other = User.objects.create_user("olga", role=Role.TEAM_LEAD, team=small_portfolio.team_b)
    response = client_for(other).post(f"/contacts/{phone.pk}/reveal/", {"reason": "x"})
    assert response.status_code == 404
    assert not AccessLog.objects.exists()


def test_api_reveal_is_audited_with_its_channel(small_portfolio: Personas, phone: ContactPoint) -> None:
    response = client_for(small_portfolio.quinn).post(
        f"/api/contacts/{phone.pk}/reveal", {"reason": "质检复核"}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["value"] == phone.national
    assert AccessLog.objects.get().channel == "api"


def test_admin_form_hides_value_without_the_right(small_portfolio: Personas, phone: ContactPoint) -> None:
    from django.contrib.auth.models import Permission

    user = small_portfolio.lena
    user.role = "team_lead"
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_contactpoint", "change_contactpoint"]))
    html = client_for(user).get(f"/admin/portfolio/contactpoint/{phone.pk}/change/").content.decode()
    assert phone.value in html  # lead may reveal: the form shows it ...
    assert AccessLog.objects.filter(channel="admin").count() == 1  # ... and the look is logged


def _message_for(case: Case) -> Message:
    from django.utils import timezone

    point = ContactPoint.objects.filter(debtor=case.debtor, kind="mobile", relation="self").first()
    assert point is not None
    return Message.objects.create(
        idempotency_key=f"test:{case.pk}",
        case=case,
        debtor=case.debtor,
        contact_point=point,
        channel="sms",
        purpose="reminder",
        language="zh-hans",
        recipient=point.value,
        body=f"{case.debtor.name}您好，您的欠款尚未结清。",
        content_hash="x",
        due_at=timezone.now(),
    )


def test_admin_messages_are_scoped_and_their_personal_fields_follow_the_reveal_right(
    small_portfolio: Personas, settings: Any
) -> None:
    from django.contrib.auth.models import Permission

    own = _message_for(Case.objects.filter(assignee=small_portfolio.alice).earliest("pk"))  # team A, lena's team
    other = _message_for(Case.objects.filter(assignee=small_portfolio.carol).earliest("pk"))  # team B
    lena = small_portfolio.lena
    lena.user_permissions.add(*Permission.objects.filter(codename="view_message"))
    client = client_for(lena)
    listing = client.get("/admin/comms/message/").content.decode()
    assert f"/admin/comms/message/{own.pk}/change/" in listing
    assert f"/admin/comms/message/{other.pk}/change/" not in listing
    assert own.recipient not in listing
    assert client.get(f"/admin/comms/message/{other.pk}/change/").status_code == 302

    # A lead may reveal: the form shows the number and the text, and the look is logged field by field.
    point = own.contact_point
    assert point is not None
    html = client.get(f"/admin/comms/message/{own.pk}/change/").content.decode()
    assert point.national in html and own.body in html
    assert {"recipient", "body"} <= set(AccessLog.objects.filter(channel="admin").values_list("field", flat=True))

    # Without the right (a team whose leads may not reveal), neither the number nor the text reaches the page.
    settings.PII_REVEAL_ROLES = ["admin"]
    AccessLog.objects.all().delete()
    html = client.get(f"/admin/comms/message/{own.pk}/change/").content.decode()
    assert point.national not in html and own.body not in html
    assert point.masked in html
    assert not AccessLog.objects.exists()
