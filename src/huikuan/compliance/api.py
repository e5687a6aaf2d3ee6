"""Compliance endpoints: screen text, override a warning, and the QA register."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema
from ninja.errors import HttpError

from huikuan.compliance import actions
from huikuan.compliance.models import ContactDecision, ReviewState, TextFlag
from huikuan.inputs import Id, Limit, Notes, Reason, errors
from huikuan.org.visibility import case_filter

router = Router(tags=["compliance"])


class ScreenIn(Schema):
    text: Notes
    lang: Literal["zh", "en"] = "zh"
    audience: Literal["debtor", "third_party"] = "debtor"
    source: Literal["message", "note", "transcript", "template"] = "message"


class FlagOut(Schema):
    category: str
    severity: str
    start: int
    end: int
    rule_id: str
    suggestion: str


class OverrideIn(Schema):
    reason: Reason


class DecisionOut(Schema):
    id: int
    case_id: int
    channel: str
    source: str
    at: datetime
    allowed: bool
    rule_ids: list[str]
    next_allowed_at: datetime | None
    overridden: bool
    review_state: str


def decision_out(d: ContactDecision) -> DecisionOut:
    return DecisionOut(
        id=d.pk,
        case_id=d.case_id,
        channel=d.channel,
        source=d.source,
        at=d.at,
        allowed=d.allowed,
        rule_ids=list(d.rule_ids),
        next_allowed_at=d.next_allowed_at,
        overridden=d.overridden_by_id is not None,
        review_state=d.review_state,
    )


@router.post("/screen", response={200: list[FlagOut], **errors(400, 401, 422)})
def screen_text(request: HttpRequest, body: ScreenIn) -> list[FlagOut]:
    """A preview: flags are returned, not registered (registration happens when the words are saved or sent)."""
    flags = actions.screen_and_register(
        body.text, source=body.source, lang=body.lang, audience=body.audience, register=False
    )
    return [FlagOut(**f.as_dict()) for f in flags]  # type: ignore[arg-type]


@router.post("/decisions/{decision_id}/override", response={200: DecisionOut, **errors(400, 401, 403, 404, 422)})
def override(request: HttpRequest, decision_id: Id, body: OverrideIn) -> DecisionOut:
    decision = get_object_or_404(ContactDecision.objects.filter(case_filter(request.user, "case__")), pk=decision_id)
    try:
        return decision_out(actions.override_warning(decision, request.user, body.reason))
    except ValueError as exc:
        raise HttpError(400, str(exc)) from exc


@router.get("/decisions", response={200: list[DecisionOut], **errors(401, 422)})
def decisions(request: HttpRequest, state: ReviewState = ReviewState.OPEN, limit: Limit = 100) -> list[DecisionOut]:
    """The QA register's gate decisions in one review state, newest first; ``limit`` is 1 to 1000."""
    rows = ContactDecision.objects.filter(case_filter(request.user, "case__"), review_state=state)[:limit]
    return [decision_out(d) for d in rows]


class RegisteredFlagOut(Schema):
    id: int
    case_id: int | None
    source: str
    excerpt: str
    category: str
    severity: str
    rule_id: str
    review_state: str


@router.get("/flags", response={200: list[RegisteredFlagOut], **errors(401, 422)})
def flags(request: HttpRequest, state: ReviewState = ReviewState.OPEN, limit: Limit = 100) -> list[RegisteredFlagOut]:
    """The QA register's screening flags in one review state; ``limit`` is 1 to 1000."""
    rows = TextFlag.objects.filter(case_filter(request.user, "case__"), review_state=state)[:limit]
    return [
        RegisteredFlagOut(
            id=f.pk,
            case_id=f.case_id,
            source=f.source,
            excerpt=f.excerpt,
            category=f.category,
            severity=f.severity,
            rule_id=f.rule_id,
            review_state=f.review_state,
        )
        for f in rows
    ]
