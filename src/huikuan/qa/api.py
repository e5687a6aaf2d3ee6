"""QA endpoints: a speech-to-text service posts a call's transcript; the answer is its flags and score."""

from __future__ import annotations

import json
from typing import Annotated, Literal

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status

from huikuan.cases.models import Interaction
from huikuan.inputs import Id, errors
from huikuan.org.visibility import case_filter
from huikuan.qa.actions import QaError, attach_transcript
from huikuan.qa.models import TurnFlag
from huikuan.workbench.models import CallRecording

router = Router(tags=["qa"])

Seconds = Annotated[float, Field(ge=0, lt=86400)]


class TurnIn(Schema):
    speaker: Annotated[str, Field(min_length=1, max_length=20)]
    text: Annotated[str, Field(min_length=1, max_length=4000)]
    start: Seconds | None = None
    end: Seconds | None = None


class TranscriptIn(Schema):
    """The documented transcript JSON (docs/qa.md), with the recording it was made from if any."""

    language: Literal["zh", "en"] = "zh"
    audience: Literal["debtor", "third_party"] = "debtor"
    turns: Annotated[list[TurnIn], Field(min_length=1, max_length=2000)]
    recording_id: Id | None = None


class TurnFlagOut(Schema):
    turn: int
    start: float | None
    category: str
    severity: str
    rule_id: str


class TranscriptOut(Schema):
    id: int
    scorecard_version: int
    automatic_score: str
    flags: list[TurnFlagOut]


@router.post(
    "/calls/{call_id}/transcript",
    response={201: TranscriptOut, **errors(400, 401, 403, 404, 422)},
)
def post_transcript(request: HttpRequest, call_id: Id, body: TranscriptIn) -> Status:
    """Store a call's transcript: each agent turn screened as said to whoever was on the line, its flags kept
    with the turn's time and sent to the QA register, the automatic scorecard computed (400 says why not)."""
    interaction = get_object_or_404(Interaction.objects.filter(case_filter(request.user, "case__")), pk=call_id)
    recording = None
    if body.recording_id is not None:
        recording = CallRecording.objects.filter(pk=body.recording_id, interaction_id=call_id).first()
        if recording is None:
            raise HttpError(400, f"recording {body.recording_id} is not a recording of call {call_id}")
    document = body.dict(exclude={"recording_id"})
    try:
        stored = attach_transcript(
            request.user,
            interaction,
            json.dumps(document, ensure_ascii=False),
            recording=recording,
            language=body.language,
        )
    except QaError as exc:
        raise HttpError(400, str(exc)) from exc
    flags = TurnFlag.objects.filter(turn__transcript=stored).select_related("turn").order_by("turn__index", "start")
    return Status(
        201,
        TranscriptOut(
            id=stored.pk,
            scorecard_version=stored.scorecard_version,
            automatic_score=str(stored.auto_total),
            flags=[
                TurnFlagOut(
                    turn=f.turn.index,
                    start=None if f.turn.start_ms is None else f.turn.start_ms / 1000,
                    category=f.category,
                    severity=f.severity,
                    rule_id=f.rule_id,
                )
                for f in flags
            ],
        ),
    )
