"""A user's in-app notifications: what happened that is theirs to act on, read or unread.

This app sits just above org: it knows users and nothing of cases, payments or the workbench. The apps above
write a notification through ``actions.notify`` in their own transaction (a waiver decided, a case reassigned)
or from the workbench's sweep of what fell due (a call-back, a promise due today). A case is named by its id,
not by a foreign key, so that no table of this layer depends on one above it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class NoticeKind(models.TextChoices):
    WAIVER_APPROVED = "waiver_approved", _("Waiver approved")
    WAIVER_REJECTED = "waiver_rejected", _("Waiver rejected")
    CASE_ASSIGNED = "case_assigned", _("Case reassigned to you")
    CALLBACK_DUE = "callback_due", _("Call-back due")
    PROMISE_DUE = "promise_due", _("Promise due today")
    HEARING_DUE = "hearing_due", _("Court hearing coming")
    QA_COACHING = "qa_coaching", _("QA coaching note")
    SELF_SERVICE = "self_service", _("Debtor's self-service request")


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("user")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=NoticeKind.choices)
    # What caused it ("waiver:7:decided", "callback:12"): unique per user, so an event told twice (a sweep that
    # runs again, a retried task) notifies once.
    key = models.CharField(_("cause"), max_length=120)
    case_id = models.BigIntegerField(_("case"), null=True, blank=True)
    # The figures the text is worded from when it is read, in the reader's language (texts.describe).
    params = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="notification_once_per_cause")]
        # The header's unread count and the list: a user's rows, unread first.
        indexes = [models.Index(fields=["user", "read_at"], name="notification_user_unread")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.key}"
