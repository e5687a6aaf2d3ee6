from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AccessLog(models.Model):
    """Every look at unmasked personal data: who, what, when, why."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, verbose_name=_("user"))
    subject_type = models.CharField(_("subject type"), max_length=50)
    subject_id = models.CharField(_("subject id"), max_length=50)
    field = models.CharField(_("field"), max_length=50)
    reason = models.CharField(_("reason"), max_length=300)
    channel = models.CharField(_("channel"), max_length=20, default="web")
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data accesses")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.user} {self.subject_type}:{self.subject_id}.{self.field}"


class ChangeLog(models.Model):
    """Every change to cases and money, with the values before and after."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("user")
    )
    subject_type = models.CharField(_("subject type"), max_length=50)
    subject_id = models.CharField(_("subject id"), max_length=50)
    action = models.CharField(_("action"), max_length=50)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("change")
        verbose_name_plural = _("changes")
        ordering = ["-at"]
        indexes = [models.Index(fields=["subject_type", "subject_id"])]

    def __str__(self) -> str:
        return f"{self.action} {self.subject_type}:{self.subject_id}"
