"""Conversation QA (issue 20, items 2 and 4): transcripts stored with their flags, the weekly sample, scoring
with overrides and coaching, calibration, weekly scores on the team page.

Personas: Alice (collector) made the calls; Quinn (QA) and Lena (Alice's lead) score them.
"""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone, translation

from huikuan.cases.models import HoldReason, Interaction
from huikuan.compliance.contacts import log_contact
from huikuan.compliance.models import TextFlag
from huikuan.notifications.models import NoticeKind, Notification
from huikuan.qa.actions import QaError, attach_transcript, build_sample, submit_review, week_of
from huikuan.qa.models import CallTranscript, QaReview, QaSample, TranscriptTurn, TurnFlag
from huikuan.qa.queries import calibration, weekly_scores

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_english() -> Any:
    """The refusals are matched by their English wording (zh-hans is the default language)."""
    with translation.override("en"):
        yield


# make_case's defaults: 10,000 + 1,234.56 + 200 + 965.44 owed, 12 days past due.
GOOD = """\
[00:00] 坐席: 您好，我是星河金融的小李，请问是王建国先生本人吗？
[00:04] 客户: 是我。
[00:06] 坐席: 核实一下身份，请说一下身份证后四位。
[00:10] 客户: 123X。
[00:13] 坐席: 好的。您的借款逾期12天，待还金额12,400.00元。
[00:20] 客户: 我最近生病住院了，手头很紧。
[00:30] 坐席: 很抱歉听到这个，身体要紧。我们可以帮您申请分期，分六期还。
[00:41] 客户: 可以。
[00:43] 坐席: 我跟您确认一下：每月15号还2,066.67元，共六期，对吗？
[00:52] 客户: 对。
[00:54] 坐席: 感谢您的配合，祝您早日康复，再见。
"""
THREAT = GOOD.replace("感谢您的配合，祝您早日康复，再见。", "再不还就把你的事发到你公司群里。")


def call(case: Any, user: Any, outcome: str = "right_party", at: Any = None) -> Interaction:
    point = case.debtor.contact_points.first()
    return log_contact(case, point, "call", outcome, user=user, at=at).interaction


def test_a_transcript_is_stored_turn_by_turn_scored_against_the_case_and_flagged_with_times(
    personas: Any, make_case: Any
) -> None:
    case = make_case(12, debtors_days=True)
    logged = call(case, personas.alice)
    stored = attach_transcript(personas.quinn, logged, THREAT)
    turns = list(stored.turns.all())
    assert [(t.index, t.speaker, t.start_ms) for t in turns][:2] == [(0, "agent", 0), (1, "debtor", 4000)]
    flag = TurnFlag.objects.get()
    assert (flag.turn.index, flag.turn.start_ms, flag.category) == (10, 54000, "disclosure")
    assert flag.turn.text[flag.start : flag.end] == "公司群"
    # the QA register keeps it too, as the collector's words on that call
    registered = TextFlag.objects.get(source="transcript")
    assert (registered.case_id, registered.user_id, registered.subject) == (
        case.pk,
        personas.alice.pk,
        f"transcript:{stored.pk}:10",
    )
    items = {i["id"]: i["passed"] for i in stored.auto_items}
    assert items["amount_exact"] is True and items["dpd_exact"] is True  # 12,400.00 and 12 days: the case's figures
    assert items["screening_clean"] is False and stored.flagged and stored.auto_total == Decimal("0.0")


def test_a_third_party_on_the_line_makes_stating_the_debt_a_disclosure(personas: Any, make_case: Any) -> None:
    case = make_case(12, third_party=True)
    logged = call(case, personas.alice, outcome="third_party")
    doc = {"turns": [
        {"speaker": "agent", "start": 0, "end": 3, "text": "您好，请问王建国在吗？"},
        {"speaker": "third_party", "start": 3, "end": 5, "text": "他不在，我是他爱人。"},
        {"speaker": "agent", "start": 5, "end": 9, "text": "他在我们这借的钱逾期了，你让他赶紧还。"},
    ]}  # fmt: skip
    stored = attach_transcript(personas.quinn, logged, json.dumps(doc, ensure_ascii=False))
    assert stored.audience == "third_party"
    assert set(TurnFlag.objects.values_list("turn__index", "category")) == {(2, "disclosure")}
    # the same words to the debtor are a plain statement of the debt
    other = call(make_case(12, debtors_days=True), personas.alice)
    doc["turns"][2]["text"] = "您在我们这借的钱逾期了，请尽快还款。"
    assert attach_transcript(personas.quinn, other, json.dumps(doc, ensure_ascii=False)).flagged is False


def test_a_bad_transcript_is_refused_with_where_and_nothing_is_written(personas: Any, make_case: Any) -> None:
    logged = call(make_case(12, debtors_days=True), personas.alice)
    with pytest.raises(QaError, match="line 2: expected 'speaker: text'"):
        attach_transcript(personas.quinn, logged, "坐席: 您好\n\n[00:03]没有说话人\n".replace("\n\n", "\n"))
    assert not CallTranscript.objects.exists() and not TranscriptTurn.objects.exists()
    with pytest.raises(PermissionDenied):
        attach_transcript(personas.alice, logged, GOOD)
    attach_transcript(personas.quinn, logged, GOOD)
    with pytest.raises(QaError, match="already has a transcript"):
        attach_transcript(personas.quinn, logged, GOOD)


def test_the_weekly_sample_takes_every_flagged_call_every_complaint_and_a_share(personas: Any, make_case: Any) -> None:
    flagged = attach_transcript(personas.quinn, call(make_case(12, debtors_days=True), personas.alice), THREAT)
    complaint_case = make_case(12, debtors_days=True)
    complaint = attach_transcript(personas.quinn, call(complaint_case, personas.alice), GOOD)
    complaint_case.hold_reason = HoldReason.COMPLAINT
    complaint_case.save()
    plain = [
        attach_transcript(personas.quinn, call(make_case(12, debtors_days=True), personas.alice), GOOD)
        for _ in range(4)
    ]
    week = week_of(timezone.localdate())
    added = build_sample(personas.quinn, week, share=Decimal("0.5"))
    reasons = dict(QaSample.objects.values_list("transcript_id", "reason"))
    assert reasons[flagged.pk] == "flagged" and reasons[complaint.pk] == "complaint"
    assert sum(1 for t in plain if reasons.get(t.pk) == "random") == 2  # half of Alice's four other calls
    assert added == 4
    assert build_sample(personas.quinn, week, share=Decimal("0.5")) == 0  # drawn again: the same sample
    assert build_sample(personas.quinn, week - timedelta(weeks=1)) == 0  # nothing that week
    with pytest.raises(PermissionDenied):
        build_sample(personas.alice, week)


def test_scoring_confirms_or_overrides_with_a_reason_coaches_and_calibrates(personas: Any, make_case: Any) -> None:
    stored = attach_transcript(
        personas.quinn,
        call(make_case(12, debtors_days=True), personas.alice),
        GOOD.replace("对吗？", "。").replace("我跟您确认一下：", ""),
    )
    assert {i["id"]: i["passed"] for i in stored.auto_items}["agreement_read_back"] is False
    with pytest.raises(QaError, match="needs a reason"):
        submit_review(personas.quinn, stored, {"agreement_read_back": (True, "")})
    assert not QaReview.objects.exists()
    first = submit_review(
        personas.quinn, stored, {"agreement_read_back": (True, "录音里有复述，转写漏了")}, "金额和期数读得很清楚。"
    )
    assert first.total == Decimal("100.0") > stored.auto_total
    note = Notification.objects.get(user=personas.alice)
    assert note.kind == NoticeKind.QA_COACHING and note.case_id == stored.interaction.case_id
    assert note.params["note"] == "金额和期数读得很清楚。"
    with pytest.raises(QaError, match="already scored"):
        submit_review(personas.quinn, stored, {})
    submit_review(personas.lena, stored, {})  # the lead confirms the automatic items: no coaching, no notice
    assert Notification.objects.filter(user=personas.alice).count() == 1
    reviews, agreed = calibration(stored)
    assert [r.scorer for r in reviews] == [personas.quinn, personas.lena]
    assert agreed is not None and agreed.differing == ("agreement_read_back",)
    assert agreed.total_gap == first.total - stored.auto_total


def test_weekly_scores_per_collector(personas: Any, make_case: Any) -> None:
    stored = attach_transcript(personas.quinn, call(make_case(12, debtors_days=True), personas.alice), GOOD)
    submit_review(personas.quinn, stored, {})
    mondays, rows = weekly_scores([personas.alice, personas.bob])
    assert mondays[-1] == week_of(timezone.localdate()) and len(mondays) == 4
    by_user = {row.collector: row for row in rows}
    assert by_user[personas.alice].scores[-1] == stored.auto_total and by_user[personas.alice].counts[-1] == 1
    assert by_user[personas.bob].scores == (None, None, None, None)
