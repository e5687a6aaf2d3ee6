"""Field visits (外访): the visit the collectors made at the debtor's address, and what they brought back.

A visit is an interaction of the channel ``visit`` (cases.Interaction: what the gate, the strategy and the
timeline read) with the visit's own facts beside it: both collectors, when they arrived and left, whom they
met, the visit's outcome (finer than a contact's, ``kernel.visits``) and the photos or receipts, each kept
with its SHA-256 so an evidence pack can prove the file is the one uploaded.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from huikuan.kernel.visits import PersonMet as KernelPersonMet
from huikuan.kernel.visits import VisitOutcome as KernelVisitOutcome


class VisitOutcome(models.TextChoices):
    MET_DEBTOR = KernelVisitOutcome.MET_DEBTOR.value, _("Met the debtor")
    NOT_HOME = KernelVisitOutcome.NOT_HOME.value, _("Not at home")
    MOVED = KernelVisitOutcome.MOVED.value, _("Moved away")
    ADDRESS_INVALID = KernelVisitOutcome.ADDRESS_INVALID.value, _("Address invalid")
    PROMISE = KernelVisitOutcome.PROMISE.value, _("Promise to pay")
    PAID = KernelVisitOutcome.PAID.value, _("Paid")
    REFUSED = KernelVisitOutcome.REFUSED.value, _("Refused")


class PersonMet(models.TextChoices):
    DEBTOR = KernelPersonMet.DEBTOR.value, _("The debtor")
    FAMILY = KernelPersonMet.FAMILY.value, _("A family member")
    OTHER = KernelPersonMet.OTHER.value, _("Someone else (neighbour, property manager)")


class Visit(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="visits", verbose_name=_("case"))
    interaction = models.OneToOneField(
        "cases.Interaction", on_delete=models.CASCADE, related_name="visit", verbose_name=_("interaction")
    )
    # The address visited (the debtor's postal contact point); its validity learns from the outcome.
    address = models.ForeignKey(
        "portfolio.ContactPoint",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("address"),
        db_constraint=False,
    )
    # The day's visit item it closed; None when the visit was not planned by the nightly run.
    work_item = models.ForeignKey(
        "strategy.WorkItem",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("work item"),
        db_constraint=False,
    )
    collector = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="visits_made", verbose_name=_("collector")
    )
    second_collector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="visits_accompanied",
        verbose_name=_("second collector"),
    )
    arrived_at = models.DateTimeField(_("arrived at"))
    left_at = models.DateTimeField(_("left at"))
    persons_met = models.JSONField(_("persons met"), default=list)
    outcome = models.CharField(_("outcome"), max_length=20, choices=VisitOutcome.choices)
    notes = models.TextField(_("notes"), blank=True)
    promise = models.ForeignKey(
        "cases.Promise", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("promise")
    )
    plan = models.ForeignKey(
        "payments.RepaymentPlan",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("plan"),
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("field visit")
        verbose_name_plural = _("field visits")
        ordering = ["-arrived_at"]

    def __str__(self) -> str:
        return f"#{self.case_id} {self.arrived_at:%Y-%m-%d %H:%M} {self.outcome}"

    def persons_met_labels(self) -> list[str]:
        labels = dict(PersonMet.choices)
        return [str(labels.get(p, p)) for p in self.persons_met]


def attachment_path(instance: VisitAttachment, filename: str) -> str:
    # The digest in the name: two uploads of the same name never overwrite each other's evidence.
    return f"visits/{instance.visit.case_id}/{instance.visit_id}-{instance.sha256[:16]}-{filename}"


class VisitAttachment(models.Model):
    """A photo or a receipt from a visit (image or PDF), with the SHA-256 of its bytes."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("visit"))
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=300)
    name = models.CharField(_("file name"), max_length=200)
    media_type = models.CharField(_("media type"), max_length=40)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("by")
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("visit attachment")
        verbose_name_plural = _("visit attachments")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name
