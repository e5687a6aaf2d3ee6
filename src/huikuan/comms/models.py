"""Templates (versioned), the outbox, delivery receipts and opt-outs.

The outbox row is the evidence: it keeps the rendered text, its hash, the template version, the gate's
decision at send time and the delivery status, so "what did we send this debtor, when, and did it arrive"
is answered from one table.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CommChannel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")
    LETTER = "letter", _("Letter")


class Purpose(models.TextChoices):
    REMINDER = "reminder", _("Reminder")
    DUE_REMINDER = "due_reminder", _("Due-date reminder")
    E_BILL = "e_bill", _("E-bill")
    PROMISE_REMINDER = "promise_reminder", _("Promise reminder")
    BROKEN_PROMISE = "broken_promise", _("Broken-promise follow-up")
    PAYMENT_CONFIRMATION = "payment_confirmation", _("Payment confirmation")
    PLAN_CONFIRMATION = "plan_confirmation", _("Plan confirmation")
    CASE_CLOSED = "case_closed", _("Thank-you on closing")
    HOLIDAY_GREETING = "holiday_greeting", _("Holiday greeting")
    INSTALMENT_REMINDER = "instalment_reminder", _("Instalment reminder")
    INSTALMENT_THANKS = "instalment_thanks", _("Thank-you for an instalment paid on time")
    DEMAND_LETTER = "demand_letter", _("Demand letter")
    LAWYER_LETTER = "lawyer_letter", _("Lawyer's letter")
    VALIDATION_NOTICE = "validation_notice", _("Validation notice (US)")
    VERIFICATION = "verification", _("Verification of a disputed debt (US)")
    SELF_SERVICE_LINK = "self_service_link", _("Self-service link")
    ACCESS_CODE = "access_code", _("Self-service one-time code")


class Tone(models.TextChoices):
    GENTLE = "gentle", _("Gentle")
    FIRM = "firm", _("Firm")
    FORMAL = "formal", _("Formal")


class Template(models.Model):
    channel = models.CharField(_("channel"), max_length=10, choices=CommChannel.choices)
    purpose = models.CharField(_("purpose"), max_length=24, choices=Purpose.choices)
    tone = models.CharField(_("tone"), max_length=10, choices=Tone.choices, default=Tone.GENTLE)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        constraints = [
            models.UniqueConstraint(fields=["channel", "purpose", "tone", "language"], name="comms_template_unique")
        ]

    def __str__(self) -> str:
        return f"{self.channel}/{self.purpose}/{self.tone}/{self.language}"


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    RETIRED = "retired", _("Retired")


class TemplateVersion(models.Model):
    """Immutable once activated: a change is a new version, so evidence always points at what was sent."""

    template = models.ForeignKey(
        Template, on_delete=models.PROTECT, related_name="versions", verbose_name=_("template")
    )
    number = models.PositiveIntegerField(_("version"))
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"))
    html = models.TextField(_("HTML"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=VersionStatus.choices, default=VersionStatus.DRAFT)
    screening = models.JSONField(_("screening result"), default=list, blank=True)
    screened_at = models.DateTimeField(_("screened at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("template version")
        verbose_name_plural = _("template versions")
        constraints = [
            models.UniqueConstraint(fields=["template", "number"], name="comms_version_unique"),
            models.UniqueConstraint(
                fields=["template"], condition=models.Q(status="active"), name="comms_one_active_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template} v{self.number}"


class MessageStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    UNDELIVERED = "undelivered", _("Not delivered")
    FAILED = "failed", _("Failed")
    BLOCKED = "blocked", _("Blocked by the gate")
    UNCERTAIN = "uncertain", _("Uncertain: check before resending")
    CANCELLED = "cancelled", _("Cancelled")


class Message(models.Model):
    """One outgoing message or letter: the outbox row and, once sent, the evidence."""

    # Unique (see Meta): the cause's key ("work:812", "payment:17") so a replayed cause queues and sends nothing
    # twice.
    idempotency_key = models.CharField(_("idempotency key"), max_length=120)
    # No database constraints on the references (like a work item's): a night queues a hundred thousand
    # messages, and PostgreSQL checks four deferred constraints per row at COMMIT with a lookup and a
    # WAL-logged row lock each, 8 s of a million-case run's outbox transaction. The ids come from rows just
    # read; debtors, cases, contact points and template versions are not deleted by the product, and a
    # delete through the admin or the ORM still applies on_delete (PROTECT included), as Django does that.
    # The (case, created_at) index serves lookups by case alone. Nothing looks messages up by contact point or
    # template version but deleting one of those (never done by the product; SET_NULL and PROTECT then read
    # the table once): no index for them, each cost a night's COPY a sixth of its time.
    case = models.ForeignKey(
        "cases.Case",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="messages",
        verbose_name=_("case"),
        db_constraint=False,
        db_index=False,
    )
    debtor = models.ForeignKey(
        "portfolio.Debtor",
        on_delete=models.CASCADE,
        related_name="messages",
        verbose_name=_("debtor"),
        db_constraint=False,
    )
    contact_point = models.ForeignKey(
        "portfolio.ContactPoint",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        verbose_name=_("contact point"),
        db_constraint=False,
        db_index=False,
    )
    channel = models.CharField(_("channel"), max_length=10, choices=CommChannel.choices)
    purpose = models.CharField(_("purpose"), max_length=24, choices=Purpose.choices)
    language = models.CharField(_("language"), max_length=10)
    template_version = models.ForeignKey(
        TemplateVersion,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        verbose_name=_("template version"),
        db_constraint=False,
        db_index=False,
    )
    recipient = models.CharField(_("recipient"), max_length=300)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"))
    html = models.TextField(_("HTML"), blank=True)
    content_hash = models.CharField(_("content hash"), max_length=64)
    # The placeholder values used: evidence of what was stated, and the letter layout's amounts and address.
    variables = models.JSONField(_("variables"), default=dict, blank=True)
    batch = models.CharField(_("batch"), max_length=60, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=MessageStatus.choices, default=MessageStatus.QUEUED)
    due_at = models.DateTimeField(_("due at"))
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    lease_token = models.CharField(_("lease"), max_length=32, blank=True)
    lease_until = models.DateTimeField(_("lease until"), null=True, blank=True)
    gate_decision = models.JSONField(_("gate decision"), default=dict, blank=True)
    provider = models.CharField(_("provider"), max_length=30, blank=True)
    provider_id = models.CharField(_("provider id"), max_length=120, blank=True)
    provider_status = models.CharField(_("provider status"), max_length=60, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    document = models.CharField(_("document"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        # A night's run writes a hundred thousand rows here and each maintains every index: only those a query
        # needs. Declared here rather than with unique=True or db_index, which on PostgreSQL add a LIKE-only
        # twin index per text column that nothing queries.
        indexes = [
            models.Index(fields=["status", "due_at"]),  # the dispatcher's claim
            models.Index(fields=["case", "created_at"]),  # the case timeline
            # A run's letters; SMS and e-mails (nine in ten) have no batch and stay out of it. A query naming a
            # batch implies the condition.
            models.Index(fields=["batch"], name="comms_message_batch_idx", condition=models.Q(batch__gt="")),
            models.Index(fields=["provider_id"], name="comms_message_provider_id_idx"),  # delivery receipts
        ]
        constraints = [models.UniqueConstraint(fields=["idempotency_key"], name="comms_message_idempotency_key")]

    def __str__(self) -> str:
        return f"{self.channel} {self.purpose} {self.idempotency_key}"


class DeliveryReceipt(models.Model):
    """A provider's report on a message, kept as received (evidence of delivery or of its failure)."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="receipts", verbose_name=_("message"))
    status = models.CharField(_("status"), max_length=60)
    payload = models.JSONField(_("payload"), default=dict)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("delivery receipt")
        verbose_name_plural = _("delivery receipts")

    def __str__(self) -> str:
        return f"{self.message_id} {self.status}"


class OptOutSource(models.TextChoices):
    SMS_REPLY = "sms_reply", _("SMS reply")
    EMAIL_LINK = "email_link", _("E-mail link")
    COLLECTOR = "collector", _("Recorded by a collector")


class SeenWebhook(models.Model):
    """A provider webhook's signature, kept while it is fresh enough to be accepted, so it is accepted once."""

    signature = models.CharField(_("signature"), max_length=64, primary_key=True)
    keep_until = models.DateTimeField(_("keep until"), db_index=True)

    class Meta:
        verbose_name = _("seen webhook")
        verbose_name_plural = _("seen webhooks")

    def __str__(self) -> str:
        return self.signature
