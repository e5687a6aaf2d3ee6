"""The model registry and the nightly scores.

A ``ModelVersion`` is one trained model: its kind, features, training window, metrics and validation report,
the model file itself (JSON, stored in the row with its SHA-256, checked at every load) and who trained it.
One version at most is in force (a partial unique constraint); promoting one is an audited action
(``actions.promote_version``). ``CaseScore`` holds each open case's latest nightly score, rewritten in bulk.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from huikuan.cases.models import Case


class ModelKind(models.TextChoices):
    SCORECARD = "scorecard", _("Scorecard")
    GBM = "gbm", _("Gradient boosting (LightGBM)")


class ModelVersion(models.Model):
    number = models.PositiveIntegerField(_("version"), unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=ModelKind.choices)
    features = models.JSONField(_("features"))
    target = models.CharField(_("target"), max_length=200)
    window_start = models.DateField(_("training window start"))
    window_end = models.DateField(_("training window end"))
    metrics = models.JSONField(_("metrics on the test period"), default=dict)
    report = models.JSONField(_("validation report"), default=dict)
    file = models.TextField(_("model file (JSON)"))
    sha256 = models.CharField(_("SHA-256 of the model file"), max_length=64)
    in_force = models.BooleanField(_("in force"), default=False)
    promoted_at = models.DateTimeField(_("promoted at"), null=True, blank=True)
    psi_tonight = models.FloatField(_("PSI on the latest scored population"), null=True, blank=True)
    psi_on = models.DateField(_("PSI computed for"), null=True, blank=True)
    trained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("trained by")
    )
    trained_at = models.DateTimeField(_("trained at"))

    class Meta:
        verbose_name = _("model version")
        verbose_name_plural = _("model versions")
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["in_force"], condition=models.Q(in_force=True), name="one_model_in_force"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}#{self.number}"

    def file_matches(self) -> bool:
        return hashlib.sha256(self.file.encode()).hexdigest() == self.sha256


class CaseScore(models.Model):
    """A case's latest nightly score: the calibrated probability of paying ≥ the target share in 30 days."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, primary_key=True, verbose_name=_("case"))
    version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, verbose_name=_("model version"))
    as_of = models.DateField(_("as of"))
    probability = models.FloatField(_("probability of paying"))
    score = models.IntegerField(_("score"))
    band = models.CharField(_("band"), max_length=1)
    reasons = models.JSONField(_("reason codes"), default=list)

    class Meta:
        verbose_name = _("case score")
        verbose_name_plural = _("case scores")

    def __str__(self) -> str:
        return f"{self.case_id}: {self.score}"
