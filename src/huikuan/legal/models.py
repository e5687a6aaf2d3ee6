"""Legal cases (法诉): one file per hand-over of a collection case to legal, its moves and its documents.

The stages and the moves between them are the kernel's (``kernel.legal``); these rows record where a file
stands and what the court said. A collection case has at most one open legal case; one that came back
and went to legal again has a new file, so each file's history stays as it was.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from huikuan.kernel.legal import FINAL, Stage
from huikuan.portfolio.fields import MoneyField


class LegalStage(models.TextChoices):
    REVIEW = Stage.REVIEW.value, _("Legal review")
    LETTER = Stage.LETTER.value, _("Lawyer's letter")
    FILED = Stage.FILED.value, _("Suit filed")
    HEARING = Stage.HEARING.value, _("Hearing")
    JUDGMENT = Stage.JUDGMENT.value, _("Judgment")
    ENFORCEMENT = Stage.ENFORCEMENT.value, _("Enforcement")
    CLOSED = Stage.CLOSED.value, _("Closed")
    WITHDRAWN = Stage.WITHDRAWN.value, _("Withdrawn")
    SETTLED = Stage.SETTLED.value, _("Settled")


OPEN_STAGES = [s.value for s in Stage if s not in FINAL]


class LegalCase(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="legal_cases", verbose_name=_("case"))
    stage = models.CharField(_("stage"), max_length=12, choices=LegalStage.choices, default=LegalStage.REVIEW)
    court = models.CharField(_("court"), max_length=200, blank=True)
    case_number = models.CharField(_("court case number (案号)"), max_length=100, blank=True)
    law_firm = models.CharField(_("law firm"), max_length=200, blank=True)
    filed_on = models.DateField(_("filed on"), null=True, blank=True)
    next_hearing = models.DateTimeField(_("next hearing"), null=True, blank=True)
    judgment_on = models.DateField(_("judgment on"), null=True, blank=True)
    claim_amount = MoneyField(_("claim amount"), null=True, blank=True)
    costs = MoneyField(_("legal costs"), default=0)
    judgment_amount = MoneyField(_("judgment amount"), null=True, blank=True)
    awarded_costs = MoneyField(_("costs awarded"), null=True, blank=True)
    # What was charged to the debtor's ledger as a fee for the awarded costs (kernel.legal.costs_to_post).
    costs_posted = MoneyField(_("costs posted to the ledger"), default=0)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("opened by"),
    )
    opened_at = models.DateTimeField(_("opened at"))
    # Where the case stood before legal took it: the status the hold's lifting returns it to (a complaint's
    # hold outlives the legal file).
    prior_status = models.CharField(_("status before legal"), max_length=10, blank=True)
    prior_hold_reason = models.CharField(_("hold before legal"), max_length=20, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("legal case")
        verbose_name_plural = _("legal cases")
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=models.Q(stage__in=OPEN_STAGES), name="one_open_legal_case"
            )
        ]
        indexes = [models.Index(fields=["stage", "next_hearing"], name="legal_case_stage_hearing")]

    def __str__(self) -> str:
        return f"L{self.pk} #{self.case_id}"

    @property
    def is_open(self) -> bool:
        return self.stage not in FINAL


class LegalMove(models.Model):
    """One move of a legal case: the history its page shows (the change log holds the same, audited)."""

    legal_case = models.ForeignKey(
        LegalCase, on_delete=models.CASCADE, related_name="moves", verbose_name=_("legal case")
    )
    from_stage = models.CharField(_("from"), max_length=12, choices=LegalStage.choices, blank=True)
    to_stage = models.CharField(_("to"), max_length=12, choices=LegalStage.choices)
    note = models.TextField(_("note"), blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("by")
    )
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("legal move")
        verbose_name_plural = _("legal moves")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_stage or '—'} → {self.to_stage}"


def document_path(instance: LegalDocument, filename: str) -> str:
    # The digest names the file: two uploads of one name never overwrite each other, and the name says nothing
    # the case file does not.
    return f"legal/{instance.legal_case.case_id}/{instance.legal_case_id}/{instance.sha256[:16]}-{filename}"


class LegalDocument(models.Model):
    """A document uploaded for a legal case (a contract, a delivery receipt, a recording), ticking a checklist item."""

    legal_case = models.ForeignKey(
        LegalCase, on_delete=models.CASCADE, related_name="documents", verbose_name=_("legal case")
    )
    item = models.CharField(_("checklist item"), max_length=200)
    file = models.FileField(_("file"), upload_to=document_path, max_length=300)
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("by")
    )
    uploaded_at = models.DateTimeField(_("uploaded at"))

    class Meta:
        verbose_name = _("legal document")
        verbose_name_plural = _("legal documents")
        ordering = ["item", "uploaded_at", "id"]

    def __str__(self) -> str:
        return self.name
