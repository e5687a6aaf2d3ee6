"""Payments, repayment plans, waiver requests and the messages they leave for the debtor.

Money moves only through ledger entries (portfolio.LedgerEntry); these rows say why it moved and
what the debtor was promised, and carry the states the nightly job and the actions keep current.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from huikuan.portfolio.fields import MoneyField


class PaymentSource(models.TextChoices):
    MANUAL = "manual", _("Manual")
    BANK_STATEMENT = "bank_statement", _("Bank statement")
    API = "api", _("API")
    ONLINE = "online", _("Online payment")


# Each source's keys live in a space of their own: the stored key is the prefix and the key the caller
# gave (the API's Idempotency-Key header, a bank's transaction id, a form's token), so an API client's
# key "bank:TX-1" is "api:bank:TX-1" and never the statement's transaction TX-1 ("bank:TX-1").
KEY_PREFIXES = {
    PaymentSource.MANUAL.value: "manual:",
    PaymentSource.BANK_STATEMENT.value: "bank:",
    PaymentSource.API.value: "api:",
    # A payment provider's order (WeChat Pay, Alipay): "online:<provider>:<order id>".
    PaymentSource.ONLINE.value: "online:",
}
# The longest key a caller may give; the column holds it with the longest prefix.
CLIENT_KEY_LIMIT = 120
KEY_LENGTH = CLIENT_KEY_LIMIT + max(len(p) for p in KEY_PREFIXES.values())


def source_key(source: str, key: str) -> str:
    """The stored idempotency key of a caller's key from this source."""
    return KEY_PREFIXES[source] + key


def client_key(source: str, stored: str) -> str:
    """The key as its caller gave it (what the API answers with)."""
    prefix = KEY_PREFIXES[source]
    return stored[len(prefix) :] if stored.startswith(prefix) else stored


class PaymentStatus(models.TextChoices):
    POSTED = "posted", _("Posted")
    REVERSED = "reversed", _("Reversed")


class Payment(models.Model):
    """One payment received from a debtor, posted once whatever the number of times it is reported."""

    # The source's prefix and the caller's key (API header, bank transaction id, form token): unique, so a
    # replay finds the row.
    idempotency_key = models.CharField(_("idempotency key"), max_length=KEY_LENGTH, unique=True)
    source = models.CharField(_("source"), max_length=20, choices=PaymentSource.choices)
    debtor = models.ForeignKey(
        "portfolio.Debtor", on_delete=models.PROTECT, related_name="payments", verbose_name=_("debtor")
    )
    case = models.ForeignKey(
        "cases.Case",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments",
        verbose_name=_("case"),
    )
    amount = MoneyField(_("amount"))
    # The part of the payment nothing was owed against: kept on the account as credit, shown apart.
    credit = MoneyField(_("credit"), default=0)
    paid_on = models.DateField(_("paid on"), db_index=True)
    reference = models.CharField(_("payer's reference"), max_length=120, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=PaymentStatus.choices, default=PaymentStatus.POSTED)
    entries = models.ManyToManyField(
        "portfolio.LedgerEntry",
        through="PaymentEntry",
        related_name="payments",
        verbose_name=_("ledger entries"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("posted by"),
    )
    created_at = models.DateTimeField(_("posted at"), auto_now_add=True)
    reversed_at = models.DateTimeField(_("reversed at"), null=True, blank=True)
    reversed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("reversed by"),
    )
    reversal_reason = models.CharField(_("reversal reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-paid_on", "-id"]
        indexes = [models.Index(fields=["case", "status", "paid_on"])]

    def __str__(self) -> str:
        return f"{self.amount} @ {self.paid_on} ({self.idempotency_key})"

    @property
    def ledger_reference(self) -> str:
        return f"payment:{self.pk}"

    @property
    def reversal_reference(self) -> str:
        return f"payment:{self.pk}:reversal"


class EntryRole(models.TextChoices):
    ALLOCATION = "allocation", _("Allocation")
    REVERSAL = "reversal", _("Reversal")


class PaymentEntry(models.Model):
    """Which ledger entries a payment produced: its allocation and, if it bounced, the reversal."""

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="entry_links")
    entry = models.OneToOneField("portfolio.LedgerEntry", on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=10, choices=EntryRole.choices, default=EntryRole.ALLOCATION)

    class Meta:
        verbose_name = _("payment entry")
        verbose_name_plural = _("payment entries")

    def __str__(self) -> str:
        return f"{self.payment_id} → {self.entry_id} ({self.role})"


class PlanKind(models.TextChoices):
    FULL_WITH_WAIVER = "full_with_waiver", _("Pay in full with waiver")
    INSTALMENTS = "instalments", _("Instalments")
    LADDER = "ladder", _("Ladder")
    DEFERRAL = "deferral", _("Deferral")


class PlanStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    # Agreed by the debtor, waiting for a team lead to approve its waiver.
    ACCEPTED = "accepted", _("Accepted")
    ACTIVE = "active", _("Active")
    COMPLETED = "completed", _("Completed")
    BROKEN = "broken", _("Broken")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_PLAN_STATUSES = (PlanStatus.PROPOSED, PlanStatus.ACCEPTED, PlanStatus.ACTIVE)
# Statuses the tracker may move between as payments arrive or bounce.
TRACKED_PLAN_STATUSES = (PlanStatus.ACTIVE, PlanStatus.COMPLETED, PlanStatus.BROKEN)


class RepaymentPlan(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="plans", verbose_name=_("case"))
    kind = models.CharField(_("kind"), max_length=20, choices=PlanKind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=PlanStatus.choices, default=PlanStatus.PROPOSED, db_index=True
    )
    owed = MoneyField(_("owed when agreed"))
    total = MoneyField(_("plan total"))
    payment_day = models.PositiveSmallIntegerField(_("payment day"), null=True, blank=True)
    waiver_penalty = MoneyField(_("penalty waived"), default=0)
    waiver_fee = MoneyField(_("fee waived"), default=0)
    waiver_valid_until = models.DateTimeField(_("waiver valid until"), null=True, blank=True)
    summary = models.CharField(_("summary"), max_length=500, blank=True)
    # Acceptance evidence: the recorded call it was agreed in, or the debtor's written confirmation.
    accepted_in = models.ForeignKey(
        "cases.Interaction",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("agreed in"),
    )
    confirmation = models.CharField(_("confirmation"), max_length=200, blank=True)
    accepted_on = models.DateField(_("accepted on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("repayment plan")
        verbose_name_plural = _("repayment plans")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.total} ({self.status})"

    @property
    def waiver_total(self) -> Decimal:
        return self.waiver_penalty + self.waiver_fee


class InstalmentStatus(models.TextChoices):
    DUE = "due", _("Due")
    PARTLY_PAID = "partly_paid", _("Partly paid")
    PAID = "paid", _("Paid")
    LATE = "late", _("Late")
    MISSED = "missed", _("Missed")


class Instalment(models.Model):
    plan = models.ForeignKey(
        RepaymentPlan, on_delete=models.CASCADE, related_name="instalments", verbose_name=_("plan")
    )
    n = models.PositiveSmallIntegerField(_("number"))
    due_date = models.DateField(_("due date"), db_index=True)
    amount = MoneyField(_("amount"))
    paid_amount = MoneyField(_("paid"), default=0)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=InstalmentStatus.choices, default=InstalmentStatus.DUE
    )

    class Meta:
        verbose_name = _("instalment")
        verbose_name_plural = _("instalments")
        ordering = ["plan", "n"]
        constraints = [models.UniqueConstraint(fields=["plan", "n"], name="instalment_number_unique")]

    def __str__(self) -> str:
        return f"{self.n}: {self.amount} @ {self.due_date}"


class WaiverStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class WaiverRequest(models.Model):
    """A waiver of penalties and fees; beyond the requester's authority it waits for a team lead."""

    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, related_name="waiver_requests", verbose_name=_("case")
    )
    plan = models.ForeignKey(
        RepaymentPlan,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="waiver_requests",
        verbose_name=_("plan"),
    )
    penalty = MoneyField(_("penalty"), default=0)
    fee = MoneyField(_("fee"), default=0)
    reason = models.CharField(_("reason"), max_length=300)
    status = models.CharField(
        _("status"), max_length=10, choices=WaiverStatus.choices, default=WaiverStatus.PENDING, db_index=True
    )
    # None: the debtor on their self-service page, accepting a plan whose waiver they were offered.
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("requested by"),
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.CharField(_("decision reason"), max_length=300, blank=True)
    # The case's delinquency (its cured_episodes when asked): waiver authority covers one delinquency's
    # waivers together. Null for requests made before this was kept; those count as current.
    episode = models.PositiveIntegerField(_("delinquency"), null=True, blank=True)

    class Meta:
        verbose_name = _("waiver request")
        verbose_name_plural = _("waiver requests")
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"{self.amount} ({self.status})"

    @property
    def amount(self) -> Decimal:
        return self.penalty + self.fee

    @property
    def ledger_reference(self) -> str:
        return f"waiver:{self.pk}"


class MessageKind(models.TextChoices):
    PAYMENT_CONFIRMATION = "payment_confirmation", _("Payment confirmation")
    CASE_CLOSED = "case_closed", _("Thank-you on closing")
    PLAN_CONFIRMATION = "plan_confirmation", _("Plan confirmation")
    INSTALMENT_THANKS = "instalment_thanks", _("Thank-you for an instalment paid on time")


class PendingMessage(models.Model):
    """A message to the debtor waiting for the communications outbox, which will consume these rows.

    Payments says only what happened (the kind and its cause); comms words it from its templates in the
    debtor's language, with the payment's or the plan's figures.
    """

    kind = models.CharField(_("kind"), max_length=24, choices=MessageKind.choices)
    debtor = models.ForeignKey("portfolio.Debtor", on_delete=models.CASCADE, related_name="+", verbose_name=_("debtor"))
    # What caused it ("payment:17", "case:3:closed"): unique so a replayed event queues nothing twice.
    cause = models.CharField(_("cause"), max_length=80, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    consumed_at = models.DateTimeField(_("handed to the outbox at"), null=True, blank=True)

    class Meta:
        verbose_name = _("pending message")
        verbose_name_plural = _("pending messages")
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.cause}"
