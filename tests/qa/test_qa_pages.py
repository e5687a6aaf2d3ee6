"""The QA pages: who sees them, bad input answered with a 400 that says what, the team page's weekly scores."""

from __future__ import annotations

from typing import Any

import pytest

from huikuan.compliance.contacts import log_contact
from huikuan.qa.actions import attach_transcript
from huikuan.qa.models import CallTranscript, QaReview
from tests.qa.test_qa_flow import GOOD

pytestmark = pytest.mark.django_db


def a_call(case: Any, user: Any) -> Any:
    return log_contact(case, case.debtor.contact_points.first(), "call", "right_party", user=user).interaction


def test_collectors_do_not_see_call_qa(client: Any, personas: Any) -> None:
    client.force_login(personas.alice)
    assert client.get("/qa/calls/").status_code == 403
    client.force_login(personas.quinn)
    assert client.get("/qa/calls/").status_code == 200


def test_upload_answers_bad_input_with_a_400_and_the_reason(client: Any, personas: Any, make_case: Any) -> None:
    logged = a_call(make_case(12), personas.alice)
    client.force_login(personas.quinn)
    response = client.post("/qa/calls/upload/", {"call": str(logged.pk), "text": "路人: 你好"})
    assert response.status_code == 400 and "unknown speaker" in response.content.decode()
    response = client.post("/qa/calls/upload/", {"call": "abc", "text": GOOD})
    assert response.status_code == 400
    response = client.post("/qa/calls/upload/", {"call": "999999", "text": GOOD})
    assert response.status_code == 400 and not CallTranscript.objects.exists()
    response = client.post("/qa/calls/upload/", {"call": str(logged.pk), "text": GOOD})
    stored = CallTranscript.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/qa/calls/{stored.pk}/"


def test_an_override_without_a_reason_is_refused_in_place(client: Any, personas: Any, make_case: Any) -> None:
    stored = attach_transcript(personas.quinn, a_call(make_case(12), personas.alice), GOOD)
    client.force_login(personas.quinn)
    form = {
        f"item-{i['id']}": "pass" if i["passed"] else ("na" if i["passed"] is None else "fail")
        for i in stored.auto_items
    }
    form["item-compliant_ending"] = "fail"
    response = client.post(f"/qa/calls/{stored.pk}/", form)
    assert response.status_code == 400 and "compliant_ending" in response.content.decode()
    assert not QaReview.objects.exists()
    form["reason-compliant_ending"] = "结束语前说了不当的话"
    assert client.post(f"/qa/calls/{stored.pk}/", form).status_code == 302
    review = QaReview.objects.get()
    assert {i["id"]: i["automatic"] for i in review.items}["compliant_ending"] is False


def test_the_team_page_shows_weekly_qa_scores(client: Any, personas: Any, make_case: Any) -> None:
    client.force_login(personas.lena)
    page = client.get("/work/team/").content.decode()
    assert 'data-testid="qa-team-scores"' in page and f'data-user="{personas.alice.pk}"' in page
