"""The debtor's self-service records: links, one-time codes, what the debtor did, and payment orders.

A link is a row (so it can expire, be revoked and be locked); the token in the URL only names the row and
proves it was issued here. What the debtor does on the page is an ``Event`` with the request's address and
user agent: the evidence of an acceptance and the case timeline's self-service entries.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from huikuan.portfolio.fields import MoneyField


class Link(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+", verbose_name=_("case"))
    # The random part of the token: a link's token cannot be made from its id alone, even with the key.
    nonce = models.CharField(_("nonce"), max_length=32, unique=True)
    channel = models.CharField(_("sent by"), max_length=10, blank=True)
    message_key = models.CharField(_("message"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("sent by user"),
    )  # fmt: skip
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("revoked by"),
    )  # fmt: skip
    wrong_codes = models.PositiveSmallIntegerField(_("wrong codes"), default=0)
    locked_at = models.DateTimeField(_("locked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("self-service link")
        verbose_name_plural = _("self-service links")
        indexes = [models.Index(fields=["case", "created_at"], name="ss_link_case")]

    def __str__(self) -> str:
        return f"#{self.case_id} link {self.pk}"


class AccessCode(models.Model):
    link = models.ForeignKey(Link, on_delete=models.CASCADE, related_name="codes", verbose_name=_("link"))
    contact_point = models.ForeignKey(
        "portfolio.ContactPoint", on_delete=models.CASCADE, related_name="+", verbose_name=_("sent to")
    )
    # Only a keyed hash is kept: the code itself is in the one message that carried it.
    code_hash = models.CharField(_("code hash"), max_length=64)
    sent_at = models.DateTimeField(_("sent at"))
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("one-time code")
        verbose_name_plural = _("one-time codes")

    def __str__(self) -> str:
        return f"code {self.pk} of link {self.link_id}"


class EventKind(models.TextChoices):
    VISIT = "visit", _("Opened the link")
    REFUSED = "refused", _("Link refused")
    CODE_SENT = "code_sent", _("Code sent")
    CODE_REFUSED = "code_refused", _("Code not sent")
    CODE_WRONG = "code_wrong", _("Wrong code")
    LOCKED = "locked", _("Link locked")
    VERIFIED = "verified", _("Code accepted")
    PLAN = "plan", _("Plan accepted")
    PROMISE = "promise", _("Promise given")
    DISPUTE = "dispute", _("Dispute")
    CALLBACK = "callback", _("Call-back requested")
    OPT_OUT = "opt_out", _("Opted out")
    PAYMENT_STARTED = "payment_started", _("Payment started")
    PAYMENT_POSTED = "payment_posted", _("Payment received")
    NOTIFICATION_REFUSED = "notification_refused", _("Payment notification refused")
    LINK_SENT = "link_sent", _("Link sent")
    LINK_REVOKED = "link_revoked", _("Link revoked")
    ACTION_REFUSED = "action_refused", _("Request refused")


class Event(models.Model):
    # None only for a refused payment notification whose order could not be trusted or found.
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name=_("case")
    )
    link = models.ForeignKey(Link, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("link"))
    code = models.ForeignKey(
        AccessCode, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("one-time code")
    )
    kind = models.CharField(_("kind"), max_length=24, choices=EventKind.choices)
    at = models.DateTimeField(_("at"))
    ip = models.GenericIPAddressField(_("address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)
    # What was shown and decided, word for word (an acceptance's exact text), or why it was refused.
    detail = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("self-service event")
        verbose_name_plural = _("self-service events")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["case", "at"], name="ss_event_case")]

    def __str__(self) -> str:
        return f"#{self.case_id} {self.kind}"


class OrderStatus(models.TextChoices):
    CREATED = "created", _("Waiting for payment")
    PAID = "paid", _("Paid")
    FAILED = "failed", _("Not created")


class PaymentOrder(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+", verbose_name=_("case"))
    link = models.ForeignKey(Link, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("link"))
    provider = models.CharField(_("provider"), max_length=20)
    # Our order number (out_trade_no): the payment's idempotency key in the online source's space.
    order_id = models.CharField(_("order number"), max_length=32, unique=True)
    amount = MoneyField(_("amount"))
    status = models.CharField(_("status"), max_length=10, choices=OrderStatus.choices, default=OrderStatus.CREATED)
    checkout_url = models.URLField(_("checkout address"), max_length=1000, blank=True)
    created_at = models.DateTimeField(_("created at"))
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    # The debtor's day of the first accepted notification: a retry posts under the same facts (a replay).
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    provider_transaction = models.CharField(_("provider's transaction"), max_length=64, blank=True)
    payment = models.ForeignKey(
        "payments.Payment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("payment"),
    )  # fmt: skip

    class Meta:
        verbose_name = _("payment order")
        verbose_name_plural = _("payment orders")

    def __str__(self) -> str:
        return self.order_id


class SeenNotification(models.Model):
    """A provider notification accepted once: the same one again is a replay and posts nothing."""

    provider = models.CharField(_("provider"), max_length=20)
    notification_id = models.CharField(_("notification"), max_length=128)
    at = models.DateTimeField(_("at"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["provider", "notification_id"], name="ss_notification_once")]

    def __str__(self) -> str:
        return f"{self.provider} {self.notification_id}"
