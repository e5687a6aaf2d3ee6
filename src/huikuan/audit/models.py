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


class SecurityEventKind(models.TextChoices):
    LOGIN_FAILED = "login_failed", _("Failed login")
    LOCKED_OUT = "locked_out", _("Login locked out")
    REFUSED = "refused", _("Access refused")


class SecurityEvent(models.Model):
    """Failed logins, lockouts and refused accesses: who tried what, from where, and how it was answered.

    A refused access is a 403, or a 404 for a case the user may not see (answered like a case that does not
    exist, so that ids cannot be probed; only this log tells the two apart).
    """

    kind = models.CharField(_("kind"), max_length=20, choices=SecurityEventKind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("user")
    )
    # As typed at the login form (the user may not exist); the user's name for other events.
    username = models.CharField(_("user name"), max_length=150, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    method = models.CharField(_("method"), max_length=10, blank=True)
    path = models.CharField(_("path"), max_length=300, blank=True)
    status = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    subject_type = models.CharField(_("subject type"), max_length=50, blank=True)
    subject_id = models.CharField(_("subject id"), max_length=50, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("security event")
        verbose_name_plural = _("security events")
        ordering = ["-at"]
        indexes = [models.Index(fields=["kind", "at"]), models.Index(fields=["username", "at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.username or '-'} {self.path}"
