from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from huikuan.kernel.compliance.gate import reasons_in


class ReviewState(models.TextChoices):
    OPEN = "open", _("Open")
    CONFIRMED = "confirmed", _("Confirmed")
    DISMISSED = "dismissed", _("Dismissed")


class GateSource(models.TextChoices):
    WORKBENCH = "workbench", _("Workbench")
    API = "api", _("API")
    OUTBOX = "outbox", _("Outbox")
    STRATEGY = "strategy", _("Strategy")


class Reviewed(models.Model):
    """What QA records about an item of the register: its state, the note, who, and when the item arose."""

    review_state = models.CharField(
        _("review"), max_length=10, choices=ReviewState.choices, default=ReviewState.OPEN, db_index=True
    )
    review_note = models.CharField(_("review note"), max_length=300, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("reviewer"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        abstract = True


class ContactDecision(Reviewed):
    """A gate answer that blocked or warned, kept for QA; allowed-and-clean answers are not stored."""

    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="gate_decisions", verbose_name=_("case")
    )
    contact_point = models.ForeignKey(
        "portfolio.ContactPoint", null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("contact point")
    )
    channel = models.CharField(_("channel"), max_length=10)
    source = models.CharField(_("source"), max_length=10, choices=GateSource.choices)
    at = models.DateTimeField(_("contact time"))
    allowed = models.BooleanField(_("allowed"))
    rule_ids = models.JSONField(_("rules"), default=list)
    reasons = models.JSONField(_("reasons"), default=list)
    next_allowed_at = models.DateTimeField(_("next allowed at"), null=True, blank=True)
    pack = models.CharField(_("rule pack"), max_length=10)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("by"),
    )
    overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("overridden by"),
    )
    override_reason = models.CharField(_("override reason"), max_length=300, blank=True)
    overridden_at = models.DateTimeField(_("overridden at"), null=True, blank=True)

    class Meta:
        verbose_name = _("gate decision")
        verbose_name_plural = _("gate decisions")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.channel} {'allowed' if self.allowed else 'blocked'} {', '.join(self.rule_ids)}"

    def reason_text(self, language: str) -> str:
        """Why, in ``language`` (zh… or en): the rules' reasons as the pack worded them when the gate decided.

        Pages show this rather than the rule ids, which are the pack's references, not words for a reader.
        """
        wordings = ((str(r.get("zh", "")), str(r.get("en", ""))) for r in self.reasons if isinstance(r, dict))
        return reasons_in(wordings, language)


class TextFlag(Reviewed):
    """A screener hit on words that were about to leave the system, or on a note or transcript."""

    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.CASCADE, related_name="text_flags", verbose_name=_("case")
    )
    source = models.CharField(_("source"), max_length=20)
    subject = models.CharField(_("subject"), max_length=100, blank=True, help_text=_("e.g. template:12, note:5"))
    excerpt = models.CharField(_("excerpt"), max_length=300)
    category = models.CharField(_("category"), max_length=30, db_index=True)
    severity = models.CharField(_("severity"), max_length=10)
    rule_id = models.CharField(_("rule"), max_length=60)
    suggestion = models.TextField(_("suggestion"), blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("by"),
    )

    class Meta:
        verbose_name = _("text flag")
        verbose_name_plural = _("text flags")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.category}: {self.excerpt[:30]}"


class StopRequest(models.Model):
    """The debtor asked to stop one medium (calls, texts, e-mails): the gate refuses it from then on."""

    debtor = models.ForeignKey(
        "portfolio.Debtor", on_delete=models.CASCADE, related_name="stop_requests", verbose_name=_("debtor")
    )
    channel = models.CharField(_("channel"), max_length=10)
    source = models.CharField(_("source"), max_length=30, help_text=_("call, inbound SMS, e-mail link, letter"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        verbose_name = _("stop request")
        verbose_name_plural = _("stop requests")
        constraints = [
            models.UniqueConstraint(
                fields=["debtor", "channel"],
                condition=models.Q(withdrawn_at__isnull=True),
                name="one_active_stop_per_channel",
            )
        ]

    def __str__(self) -> str:
        return f"{self.debtor_id} stop {self.channel}"


class ValidationNotice(models.Model):
    """US (12 CFR 1006.34): the validation notice a case's debtor was sent, its itemisation and its period.

    One per case. The message that carried it lives in comms (above this app), referenced by id; its delivery
    is that message's. A dispute is an interaction with the outcome ``dispute``; verification answers it.
    """

    case = models.OneToOneField(
        "cases.Case", on_delete=models.CASCADE, related_name="validation_notice", verbose_name=_("case")
    )
    sent_on = models.DateField(_("sent on"))
    channel = models.CharField(_("channel"), max_length=10)
    message_id = models.BigIntegerField(_("message"), null=True, blank=True)
    itemization_date = models.DateField(_("itemisation date"))
    # The itemisation as stated, amounts as text to the cent: evidence of what the notice said.
    itemization = models.JSONField(_("itemisation"), default=dict)
    period_end = models.DateField(_("validation period ends"))
    verification_sent_on = models.DateField(_("verification sent on"), null=True, blank=True)
    verification_message_id = models.BigIntegerField(_("verification message"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("validation notice")
        verbose_name_plural = _("validation notices")

    def __str__(self) -> str:
        return f"{self.case_id} {self.sent_on} → {self.period_end}"
