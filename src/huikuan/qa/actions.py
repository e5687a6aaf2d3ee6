"""Storing a call's transcript with its flags and automatic score; the weekly sample; a QA review.

Entry points (each in its own transaction, nothing half-written): ``attach_transcript``, ``build_sample``,
``submit_review``. They check the actor's capability themselves; the views only parse the form.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from huikuan.cases.models import Channel, HoldReason, Interaction, Party
from huikuan.compliance.actions import screen_and_register
from huikuan.kernel.ledger import total_balance
from huikuan.kernel.qa.sampling import CallFacts, choose_sample
from huikuan.kernel.qa.scorecard import (
    CaseFigures,
    ItemResult,
    ScorecardError,
    ScoreResult,
    apply_overrides,
    score,
)
from huikuan.kernel.qa.transcript import Transcript, TranscriptError, parse
from huikuan.notifications.actions import Notice, notify
from huikuan.notifications.models import NoticeKind
from huikuan.org.permissions import can_review_qa, require
from huikuan.org.visibility import case_filter
from huikuan.payments.guards import case_balances
from huikuan.qa.models import CallTranscript, QaReview, QaSample, TranscriptTurn, TurnFlag
from huikuan.workbench.models import CallRecording


class QaError(ValueError):
    """A QA action refused: the message says what and why, in the user's language."""


def week_of(day: date) -> date:
    """The Monday of ``day``'s week: the unit of the QA sample and of the weekly scores."""
    return day - timedelta(days=day.weekday())


def case_figures(interaction: Interaction) -> CaseFigures:
    """The amount owed now and the days past due on the call's day (the debtor's), as the call should state."""
    case = interaction.case
    owed = total_balance(case_balances(case)).total
    return CaseFigures(amount=owed, dpd=case.dpd(case.debtor.today(interaction.at)))


def _ms(seconds: float | None) -> int | None:
    return None if seconds is None else round(seconds * 1000)


@transaction.atomic(durable=True)
def attach_transcript(
    user: Any,
    interaction: Interaction,
    payload: str | bytes,
    *,
    recording: CallRecording | None = None,
    language: str = "zh",
) -> CallTranscript:
    """Store the transcript of a call: each agent turn screened as said to whoever was on the line (the
    call's party: a third party makes stating the debt a disclosure), its flags kept with the turn's time and
    sent to the QA register, and the automatic scorecard computed against the case's figures."""
    require(can_review_qa(user), _("Only QA or a team lead may upload transcripts."))
    if interaction.channel != Channel.CALL:
        raise QaError(_("Only a call has a transcript."))
    if CallTranscript.objects.filter(interaction=interaction).exists():
        raise QaError(_("This call already has a transcript."))
    if recording is not None and recording.interaction_id != interaction.pk:
        raise QaError(_("The recording belongs to another call."))
    try:
        parsed = parse(payload, language=language)
    except TranscriptError as exc:
        raise QaError(_("The transcript cannot be read: %(problem)s") % {"problem": exc}) from exc
    # Who was on the line is the call's record when it says; the document's own audience otherwise.
    audience = {Party.DEBTOR.value: "debtor", Party.THIRD_PARTY.value: "third_party"}.get(
        str(interaction.party), parsed.audience
    )
    transcript = Transcript(turns=parsed.turns, language=parsed.language, audience=audience)
    result = score(transcript, case_figures(interaction))
    stored = CallTranscript.objects.create(
        interaction=interaction,
        recording=recording,
        language=transcript.language,
        audience=audience,
        uploaded_by=user,
        scorecard_version=result.version,
        auto_items=[item.as_dict() for item in result.items],
        auto_total=result.total,
        flagged=bool(result.flags),
    )
    turns = TranscriptTurn.objects.bulk_create(
        TranscriptTurn(
            transcript=stored,
            index=turn.index,
            speaker=turn.speaker,
            text=turn.text,
            start_ms=_ms(turn.start),
            end_ms=_ms(turn.end),
        )
        for turn in transcript.turns
    )
    by_index = {turn.index: turn for turn in turns}
    flags: list[TurnFlag] = []
    for turn in transcript.agent_turns():
        # The compliance register keeps every flag as evidence (the collector who made the call is its author).
        for flag in screen_and_register(
            turn.text,
            source="transcript",
            case=interaction.case,
            user=interaction.user,
            subject=f"transcript:{stored.pk}:{turn.index}",
            lang=transcript.language,
            audience=audience,
        ):
            flags.append(
                TurnFlag(
                    turn=by_index[turn.index],
                    category=flag.category,
                    severity=flag.severity,
                    rule_id=flag.rule_id,
                    start=flag.start,
                    end=flag.end,
                    suggestion=flag.suggestion,
                )
            )
    TurnFlag.objects.bulk_create(flags)
    return stored


def week_bounds(week: date) -> tuple[datetime, datetime]:
    """The week as instants: Monday 00:00 to the next Monday in the installation's time zone (the QA team's
    working week; calls to debtors in other zones fall in the week their collector made them)."""
    start = datetime.combine(week, time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))
    return start, start + timedelta(days=7)


def share_setting() -> Decimal:
    return Decimal(str(settings.QA_SAMPLE_SHARE))


@transaction.atomic(durable=True)
def build_sample(user: Any, week: date, share: Decimal | None = None) -> int:
    """Add the week's calls to the QA queue: every flagged call, every complaint (a call of a case held for a
    complaint), a random share of each collector's other calls with a transcript. Calls already in the queue
    stay; returns how many were added."""
    require(can_review_qa(user), _("Only QA or a team lead may build the QA sample."))
    week = week_of(week)
    start, end = week_bounds(week)
    transcripts = list(
        CallTranscript.objects.filter(
            case_filter(user, "interaction__case__"), interaction__at__gte=start, interaction__at__lt=end
        ).select_related("interaction__case")
    )
    facts = [
        CallFacts(
            call_id=t.pk,
            collector_id=t.interaction.user_id,
            flagged=t.flagged,
            complaint=t.interaction.case.hold_reason == HoldReason.COMPLAINT,
        )
        for t in transcripts
    ]
    picks = choose_sample(facts, share_setting() if share is None else share, seed=week.isoformat())
    collectors = {t.pk: t.interaction.user_id for t in transcripts}
    taken = set(
        QaSample.objects.filter(transcript_id__in=[p.call_id for p in picks]).values_list("transcript_id", flat=True)
    )
    rows = [
        QaSample(transcript_id=p.call_id, week=week, reason=p.reason, collector_id=collectors[p.call_id])
        for p in picks
        if p.call_id not in taken
    ]
    QaSample.objects.bulk_create(rows)
    return len(rows)


def automatic_result(transcript: CallTranscript) -> ScoreResult:
    """The scorecard as computed at upload (the flags are in the turns)."""
    items = tuple(
        ItemResult(
            id=str(raw["id"]),
            passed=raw["passed"],
            evidence_turn=raw["evidence_turn"],
            note=str(raw["note"]),
        )
        for raw in transcript.auto_items
    )
    return ScoreResult(version=transcript.scorecard_version, items=items, total=transcript.auto_total, flags=())


@transaction.atomic(durable=True)
def submit_review(
    scorer: Any, transcript: CallTranscript, decisions: dict[str, tuple[bool | None, str]], coaching: str = ""
) -> QaReview:
    """Score a call: the automatic items confirmed or overridden (an override needs a reason); the coaching
    note goes to the collector who made the call. A scorer scores a call once; a second scorer calibrates."""
    require(can_review_qa(scorer), _("Only QA or a team lead may score calls."))
    if QaReview.objects.filter(transcript=transcript, scorer=scorer).exists():
        raise QaError(_("You have already scored this call."))
    try:
        result = apply_overrides(automatic_result(transcript), decisions)
    except ScorecardError as exc:
        raise QaError(str(exc)) from exc
    review = QaReview.objects.create(
        transcript=transcript,
        scorer=scorer,
        scorecard_version=result.version,
        items=[item.as_dict() for item in result.items],
        total=result.total,
        coaching=coaching,
    )
    collector_id = transcript.interaction.user_id
    if coaching and collector_id and collector_id != scorer.pk:
        notify(
            [
                Notice(
                    user_id=collector_id,
                    kind=NoticeKind.QA_COACHING,
                    key=f"qa-review:{review.pk}",
                    case_id=transcript.interaction.case_id,
                    params={"by": str(scorer), "score": str(result.total), "note": coaching[:300]},
                )
            ]
        )
    return review
