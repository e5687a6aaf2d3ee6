"""Transcripts of calls, turn by turn with their screening flags; the weekly QA sample; QA reviews."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CallTranscript(models.Model):
    """What was said on one call (an interaction), uploaded from speech-to-text or typed, optionally tied to
    the recording it was transcribed from. The automatic scorecard is kept as scored at upload."""

    interaction = models.OneToOneField(
        "cases.Interaction", on_delete=models.CASCADE, related_name="transcript", verbose_name=_("call")
    )
    recording = models.ForeignKey(
        "workbench.CallRecording",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="transcripts",
        verbose_name=_("recording"),
    )
    language = models.CharField(_("language"), max_length=5, default="zh")
    audience = models.CharField(_("audience"), max_length=12, default="debtor")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("by"),
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    scorecard_version = models.PositiveSmallIntegerField(_("scorecard version"))
    auto_items = models.JSONField(_("automatic items"), default=list)
    auto_total = models.DecimalField(_("automatic score"), max_digits=4, decimal_places=1)
    flagged = models.BooleanField(_("flagged"), default=False)

    class Meta:
        verbose_name = _("call transcript")
        verbose_name_plural = _("call transcripts")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"transcript {self.pk} of call {self.interaction_id}"


class TranscriptTurn(models.Model):
    transcript = models.ForeignKey(CallTranscript, on_delete=models.CASCADE, related_name="turns")
    index = models.PositiveIntegerField(_("turn"))
    speaker = models.CharField(_("speaker"), max_length=12)
    text = models.TextField(_("text"))
    # Milliseconds from the start of the recording: QA jumps to the passage.
    start_ms = models.PositiveIntegerField(_("start"), null=True, blank=True)
    end_ms = models.PositiveIntegerField(_("end"), null=True, blank=True)

    class Meta:
        ordering = ["transcript", "index"]
        constraints = [models.UniqueConstraint(fields=["transcript", "index"], name="qa_turn_once")]

    def __str__(self) -> str:
        return f"{self.index} {self.speaker}"


class TurnFlag(models.Model):
    """A screening hit in one agent turn; start/end are character offsets in the turn's text."""

    turn = models.ForeignKey(TranscriptTurn, on_delete=models.CASCADE, related_name="flags")
    category = models.CharField(_("category"), max_length=30)
    severity = models.CharField(_("severity"), max_length=10)
    rule_id = models.CharField(_("rule"), max_length=60)
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    suggestion = models.TextField(_("suggestion"), blank=True)

    def __str__(self) -> str:
        return f"{self.category} in turn {self.turn_id}"


class SampleReason(models.TextChoices):
    FLAGGED = "flagged", _("Flagged by screening")
    COMPLAINT = "complaint", _("Complaint")
    RANDOM = "random", _("Random share")


class QaSample(models.Model):
    """A call in a week's QA queue, and why it is there."""

    transcript = models.OneToOneField(CallTranscript, on_delete=models.CASCADE, related_name="sample")
    week = models.DateField(_("week of"), db_index=True)  # the Monday
    reason = models.CharField(_("reason"), max_length=10, choices=SampleReason.choices)
    collector = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["week", "reason", "transcript"]

    def __str__(self) -> str:
        return f"{self.week} {self.reason} {self.transcript_id}"


class QaReview(models.Model):
    """One scorer's verdict on a call: the scorecard items (automatic, confirmed or overridden with a reason),
    the total, and the coaching note the collector receives. Two scorers on one call calibrate."""

    transcript = models.ForeignKey(CallTranscript, on_delete=models.CASCADE, related_name="reviews")
    scorer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    scorecard_version = models.PositiveSmallIntegerField(_("scorecard version"))
    items = models.JSONField(_("items"), default=list)
    total = models.DecimalField(_("score"), max_digits=4, decimal_places=1)
    coaching = models.TextField(_("coaching note"), blank=True)
    created_at = models.DateTimeField(_("scored at"), auto_now_add=True)

    class Meta:
        verbose_name = _("QA review")
        verbose_name_plural = _("QA reviews")
        ordering = ["created_at"]
        constraints = [models.UniqueConstraint(fields=["transcript", "scorer"], name="qa_review_once_per_scorer")]

    def __str__(self) -> str:
        return f"review {self.pk} of {self.transcript_id}"
