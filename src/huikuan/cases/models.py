from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from huikuan.kernel import delinquency, lifecycle
from huikuan.kernel.contacts import Outcome as KernelOutcome
from huikuan.kernel.contacts import Party as KernelParty
from huikuan.portfolio.fields import MoneyField

STAGE_LABELS = {
    delinquency.Stage.REMINDER: _("Reminder"),
    delinquency.Stage.EARLY: _("Early"),
    delinquency.Stage.MIDDLE: _("Middle"),
    delinquency.Stage.LATE: _("Late"),
    delinquency.Stage.LEGAL: _("Legal action"),
}


class CaseStatus(models.TextChoices):
    """The lifecycle's statuses (``kernel.lifecycle``, which decides the moves between them), with labels."""

    OPEN = lifecycle.CaseStatus.OPEN.value, _("Open")
    ON_HOLD = lifecycle.CaseStatus.ON_HOLD.value, _("On hold")
    CLOSED = lifecycle.CaseStatus.CLOSED.value, _("Closed")
    LEGAL = lifecycle.CaseStatus.LEGAL.value, _("Legal")


class HoldReason(models.TextChoices):
    DISPUTE = "dispute", _("Dispute")
    HARDSHIP_REVIEW = "hardship_review", _("Hardship review")
    COMPLAINT = "complaint", _("Complaint")
    DECEASED = "deceased", _("Deceased")
    BANKRUPTCY = "bankruptcy", _("Bankruptcy")
    LEGAL = "legal", _("Legal")


class Case(models.Model):
    """The collection file of one debtor: all their delinquent accounts together."""

    debtor = models.OneToOneField(
        "portfolio.Debtor", on_delete=models.PROTECT, related_name="case", verbose_name=_("debtor")
    )
    # Indexed in Meta.indexes: a field's db_index on PostgreSQL adds a second, LIKE-pattern index on text
    # that nothing here queries, and every index costs each case an import creates a write.
    status = models.CharField(_("status"), max_length=10, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    hold_reason = models.CharField(_("hold reason"), max_length=20, choices=HoldReason.choices, blank=True)
    hold_since = models.DateTimeField(_("on hold since"), null=True, blank=True)
    # The earliest due date among the debtor's accounts that still owe money; DPD derives from it.
    oldest_due_date = models.DateField(_("oldest unpaid due date"), null=True, blank=True, db_index=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_cases",
        verbose_name=_("assignee"),
        db_index=False,  # the (assignee, status) index serves lookups by assignee
    )
    team = models.ForeignKey(
        "org.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
        verbose_name=_("team"),
        db_index=False,  # the (team, status) index serves lookups by team
    )
    opened_at = models.DateTimeField(_("opened at"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    close_reason = models.CharField(_("close reason"), max_length=200, blank=True)
    # Earlier delinquencies the debtor paid off (counted when a new one reopens the case): the history that
    # tells a late payer who pays from one who is late for the first time.
    # db_default: the bulk writers insert cases with an explicit column list that leaves this out.
    cured_episodes = models.PositiveIntegerField(_("earlier delinquencies paid off"), default=0, db_default=0)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        indexes = [
            models.Index(fields=["assignee", "status"]),
            models.Index(fields=["team", "status"]),
            models.Index(fields=["status"], name="case_status"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"

    def dpd(self, as_of: date) -> int:
        return delinquency.days_past_due(self.oldest_due_date, as_of)

    def bucket(self, as_of: date) -> delinquency.Bucket:
        return delinquency.bucket(self.dpd(as_of))

    def stage(self, as_of: date) -> delinquency.Stage:
        return delinquency.stage(self.dpd(as_of), legal=self.status == CaseStatus.LEGAL)


class HeldCount(models.Model):
    """A change in the number of cases one user holds (``Case.assignee``); the sum of a user's rows is the count.

    Written only by the database's triggers on the cases (migration 0008), in the statement that changes them,
    so the sum is exact whatever writes them: an import, the nightly reassignment's UPDATE, a lead's move, a
    deleted user's cases set to nobody. PostgreSQL appends one row per user and statement and never updates
    one, so concurrent writers never wait on each other's locks; SQLite (one writer at a time) keeps one row
    a user. The team page sums these instead of counting a team's ~300,000 cases (cases.counts); counting
    them read every index entry, and after a night's reassignment, the table's pages too.
    ``counts.compact_held_counts`` folds each user's rows into one.
    """

    assignee_id = models.BigIntegerField()
    n = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["assignee_id"], name="held_count_assignee")]

    def __str__(self) -> str:
        return f"{self.assignee_id} {self.n:+d}"


class Channel(models.TextChoices):
    CALL = "call", _("Call")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")
    LETTER = "letter", _("Letter")
    VISIT = "visit", _("Visit")


class Party(models.TextChoices):
    """Who was reached (``kernel.contacts``, which classifies them), with labels."""

    DEBTOR = KernelParty.DEBTOR.value, _("Debtor")
    THIRD_PARTY = KernelParty.THIRD_PARTY.value, _("Third party")
    NOBODY = KernelParty.NOBODY.value, _("Nobody reached")


class Outcome(models.TextChoices):
    """A contact's outcomes (``kernel.contacts``, which classifies them), with labels."""

    RIGHT_PARTY = KernelOutcome.RIGHT_PARTY.value, _("Right party contact")
    THIRD_PARTY = KernelOutcome.THIRD_PARTY.value, _("Third party")
    NO_ANSWER = KernelOutcome.NO_ANSWER.value, _("No answer")
    BUSY = KernelOutcome.BUSY.value, _("Busy")
    SWITCHED_OFF = KernelOutcome.SWITCHED_OFF.value, _("Switched off")
    WRONG_NUMBER = KernelOutcome.WRONG_NUMBER.value, _("Wrong number")
    PROMISE = KernelOutcome.PROMISE.value, _("Promise to pay")
    PLAN_ACCEPTED = KernelOutcome.PLAN_ACCEPTED.value, _("Plan accepted")
    REFUSAL = KernelOutcome.REFUSAL.value, _("Refusal")
    DISPUTE = KernelOutcome.DISPUTE.value, _("Dispute")
    HARDSHIP = KernelOutcome.HARDSHIP.value, _("Hardship")
    CALLBACK = KernelOutcome.CALLBACK.value, _("Call-back requested")
    HUNG_UP = KernelOutcome.HUNG_UP.value, _("Hung up")
    ENDED_ABUSIVE = KernelOutcome.ENDED_ABUSIVE.value, _("Ended: abusive")
    SENT = KernelOutcome.SENT.value, _("Sent")


class Interaction(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="interactions", verbose_name=_("case"))
    contact_point = models.ForeignKey(
        "portfolio.ContactPoint",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        verbose_name=_("contact point"),
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    party = models.CharField(_("party reached"), max_length=12, choices=Party.choices, default=Party.NOBODY)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    notes = models.TextField(_("notes"), blank=True)
    at = models.DateTimeField(_("at"), db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("by")
    )

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        ordering = ["-at"]
        indexes = [models.Index(fields=["case", "at"])]

    def __str__(self) -> str:
        return f"{self.channel} {self.outcome} {self.at:%Y-%m-%d}"


class PromiseState(models.TextChoices):
    PENDING = "pending", _("Pending")
    KEPT = "kept", _("Kept")
    PARTLY_KEPT = "partly_kept", _("Partly kept")
    BROKEN = "broken", _("Broken")


class Promise(models.Model):
    """A promise to pay (PTP); its state is settled from the payments by the nightly job."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="promises", verbose_name=_("case"))
    amount = MoneyField(_("amount"))
    due_date = models.DateField(_("due date"))
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.CALL)
    state = models.CharField(
        _("state"), max_length=12, choices=PromiseState.choices, default=PromiseState.PENDING, db_index=True
    )
    paid_amount = MoneyField(_("paid towards it"), default=0)
    interaction = models.ForeignKey(
        Interaction, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("given in")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("promise to pay")
        verbose_name_plural = _("promises to pay")
        ordering = ["-due_date"]
        # The promises given in a period: the dashboard's self-service share counts them on every view and the
        # nightly contact facts read a day's; without it both scan every promise (120 ms at a million cases).
        indexes = [models.Index(fields=["created_at"], name="promise_created")]

    def __str__(self) -> str:
        return f"{self.amount} @ {self.due_date}"


class PromiseHour(models.Model):
    """A change in the number of promises created in one hour (UTC); the sum of an hour's rows is the count.

    Written only by the database's triggers on the promises (migration 0010), like ``HeldCount``: PostgreSQL
    appends one row per hour and statement, SQLite keeps one row an hour. The dashboard's self-service share
    over the whole portfolio sums the hours of its period instead of counting every promise given in it
    (300,000 index entries at a million cases, on every view). ``counts.compact_promise_hours`` folds each
    hour's rows into one.
    """

    hour = models.DateTimeField()
    n = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["hour"], name="promise_hour")]

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H}:00 {self.n:+d}"
