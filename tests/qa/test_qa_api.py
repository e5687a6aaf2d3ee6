"""POST /api/qa/calls/{id}/transcript: what a speech-to-text service sends, and what it gets back."""

from __future__ import annotations

import json
from typing import Any

import pytest

from huikuan.compliance.contacts import log_contact
from huikuan.qa.models import CallTranscript

pytestmark = pytest.mark.django_db

DOC = {
    "language": "zh",
    "turns": [
        {"speaker": "agent", "start": 0, "end": 3.5, "text": "您好，请问是王建国先生本人吗？"},
        {"speaker": "customer", "start": 3.6, "end": 4.2, "text": "是我。"},
        {"speaker": "坐席", "start": 4.5, "end": 8, "text": "您逾期12天了，再不还我们一百个号码轮流打你。"},
    ],
}


def post(client: Any, call_id: int, body: object) -> Any:
    return client.post(
        f"/api/qa/calls/{call_id}/transcript", json.dumps(body, ensure_ascii=False), content_type="application/json"
    )


def test_a_transcript_posted_comes_back_with_its_flags_and_times(client: Any, personas: Any, make_case: Any) -> None:
    case = make_case(12)
    call = log_contact(case, case.debtor.contact_points.first(), "call", "right_party", user=personas.alice)
    client.force_login(personas.quinn)
    response = post(client, call.interaction.pk, DOC)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["id"] == CallTranscript.objects.get().pk and body["scorecard_version"] == 1
    assert {(f["turn"], f["start"], f["category"]) for f in body["flags"]} == {(2, 4.5, "harassment")}
    assert post(client, call.interaction.pk, DOC).status_code == 400  # one transcript a call


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"turns": [{"speaker": "passer-by", "text": "你好"}]}, 400),
        ({"turns": [{"speaker": "agent", "text": "你好", "start": 5, "end": 1}]}, 400),
        ({"turns": [{"speaker": "agent", "text": "你\u0000好"}]}, 400),
        ({"turns": []}, 422),
        ({"recording_id": 999}, 400),
    ],
)
def test_bad_transcripts_are_refused_and_nothing_is_written(
    client: Any, personas: Any, make_case: Any, change: dict[str, object], status: int
) -> None:
    case = make_case(12)
    call = log_contact(case, case.debtor.contact_points.first(), "call", "right_party", user=personas.alice)
    client.force_login(personas.quinn)
    assert post(client, call.interaction.pk, DOC | change).status_code == status
    assert not CallTranscript.objects.exists()


def test_who_may_post(client: Any, personas: Any, make_case: Any) -> None:
    case = make_case(12)
    call = log_contact(case, case.debtor.contact_points.first(), "call", "right_party", user=personas.alice)
    client.force_login(personas.alice)  # her own call, but scoring is QA's
    assert post(client, call.interaction.pk, DOC).status_code == 403
    client.force_login(personas.carol)  # another team's collector: the call is not hers to see
    assert post(client, call.interaction.pk, DOC).status_code == 404
