"""Issue 21, item 5: QA turns a real call into a scenario with names, numbers, amounts and dates replaced,
the call's outcome kept as the reference, the sharing audited (counts, never the values)."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huikuan.audit.models import ChangeLog
from huikuan.compliance.contacts import log_contact
from huikuan.kernel.training import parse_scenarios
from huikuan.kernel.training.sharing import mask_transcript
from huikuan.qa.actions import attach_transcript
from huikuan.training.actions import in_force, seed_library
from huikuan.training.models import ScenarioVersion
from tests.conftest import Personas, client_for
from tests.workbench.fixtures import CaseMaker

# Everything in this call that identifies somebody or states a real figure.
ORIGINALS = (
    "王建国", "建国", "李梅", "13912345678", "139 1234 5678", "110101199003071234", "12,437.18", "12437",
    "2,072.86", "2072.86", "3157", "2026-03-15", "3月20日", "WB000123", "20931", "alice",
)  # fmt: skip
CALL = """\
[00:00] 坐席: 您好，我是星河金融的小李，工号20931，请问是王建国先生本人吗？
[00:04] 客户: 是我，建国。我的手机是13912345678，也可以打139 1234 5678。
[00:06] 坐席: 核实一下身份，您的身份证号是110101199003071234吗？
[00:10] 客户: 对。
[00:13] 坐席: 王先生，您合同WB000123在2026-03-15到期的12,437.18元（也就是12437元）已经逾期12天。
[00:20] 客户: 我爱人李梅最近生病住院了，3月20日才发工资。
[00:30] 坐席: 很抱歉听到这个。我们可以分六期，每期2,072.86元，先还3157元也行。
[00:43] 坐席: 我跟您确认一下：每月15号还2072.86元，共六期，对吗？
[00:52] 客户: 对。
"""


def test_masking_replaces_names_numbers_amounts_and_dates() -> None:
    turns = [(line[8:].split(": ", 1)[0], line[8:].split(": ", 1)[1]) for line in CALL.splitlines()]
    masked = mask_transcript(turns, ["王建国", "李梅", "alice"], seed=4)
    text = "\n".join(t.text for t in masked.turns)
    for original in ORIGINALS:
        assert original not in text, original
    assert "先生" in text and "元" in text  # the conversation still reads as one
    assert masked.replaced["name"] >= 4 and masked.replaced["phone"] == 2 and masked.replaced["amount"] >= 4
    assert mask_transcript(turns, ["王建国", "李梅"], seed=4) == mask_transcript(turns, ["王建国", "李梅"], seed=4)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200), st.integers(min_value=0, max_value=2**31))
def test_masking_never_raises_and_leaves_no_long_ascii_digit_run(text: str, seed: int) -> None:
    masked = mask_transcript([("agent", text)], ["王建国"], seed=seed)
    assert not re.search(r"[0-9]{3,}", masked.turns[0].text)
    assert "王建国" not in masked.turns[0].text


@pytest.mark.django_db
def test_qa_shares_a_call_as_a_scenario_with_nothing_of_the_original(personas: Personas, make_case: CaseMaker) -> None:
    seed_library(None)
    case = make_case(12, third_party=True)
    point = case.debtor.contact_points.order_by("pk").first()
    interaction = log_contact(case, point, "call", "promise", user=personas.alice).interaction
    transcript = attach_transcript(personas.quinn, interaction, CALL)
    qa = client_for(personas.quinn)
    call_page = qa.get(f"/qa/calls/{transcript.pk}/").content.decode()
    assert f"/training/share/{transcript.pk}/" in call_page
    base = in_force()[0]
    assert qa.get(f"/training/share/{transcript.pk}/").status_code == 200
    answer = qa.post(f"/training/share/{transcript.pk}/", {"base": base.pk, "note": "按时还了第一期"})
    assert answer.status_code == 200 and 'data-testid="shared"' in answer.content.decode(), answer.content.decode()[
        -3000:
    ]
    version = ScenarioVersion.objects.get(shared_from=transcript)
    scenarios, problems = parse_scenarios(version.source)
    assert problems == [] and scenarios[0].key == f"shared_{transcript.pk}" and version.in_force
    stored = version.source + json.dumps(version.reference, ensure_ascii=False)
    for original in ORIGINALS:
        assert original not in stored, original
    assert version.reference["outcome"] == "promise" and version.reference["note"] == "按时还了第一期"
    log = ChangeLog.objects.get(action="training:share")
    assert log.after is not None and log.after["replaced"]["name"] >= 4
    assert "王建国" not in json.dumps(log.after, ensure_ascii=False)


@pytest.mark.django_db
def test_only_qa_and_leads_share_and_bad_input_is_refused(personas: Personas, make_case: CaseMaker) -> None:
    seed_library(None)
    case = make_case(12)
    interaction = log_contact(
        case, case.debtor.contact_points.first(), "call", "promise", user=personas.alice
    ).interaction
    transcript = attach_transcript(personas.quinn, interaction, CALL)
    assert client_for(personas.alice).get(f"/training/share/{transcript.pk}/").status_code == 403
    qa = client_for(personas.quinn)
    for form in ({"base": "x"}, {"base": "999999"}, {"base": str(in_force()[0].pk), "note": "字" * 301}):
        assert qa.post(f"/training/share/{transcript.pk}/", form).status_code == 400
    assert qa.get("/training/share/999999/").status_code == 404
