"""The workbench's own records: versions of the call-script library and call recordings.

The script library lives in the database as versions of its YAML, so admins edit it in the admin without a
deployment and QA can see which wording was in force on a given day; the packaged default.yaml is used until
a version is put in force.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from huikuan.kernel.scripts import parse_library


class ScriptLibraryVersion(models.Model):
    number = models.PositiveIntegerField(_("version"), unique=True)
    source = models.TextField(_("YAML source"))
    note = models.CharField(_("what changed"), max_length=300, blank=True)
    in_force = models.BooleanField(_("in force"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("script library version")
        verbose_name_plural = _("script library versions")
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["in_force"], condition=models.Q(in_force=True), name="one_library_in_force")
        ]

    def __str__(self) -> str:
        return f"v{self.number}"

    def clean(self) -> None:
        _library, problems = parse_library(self.source)
        if problems:
            raise ValidationError({"source": problems})


def recording_path(instance: CallRecording, filename: str) -> str:
    return f"recordings/{instance.interaction.case_id}/{instance.interaction_id}-{filename}"


class CallRecording(models.Model):
    """The audio of a call, kept with its interaction (信用卡办法 art. 68: at least two years)."""

    interaction = models.ForeignKey(
        "cases.Interaction", on_delete=models.CASCADE, related_name="recordings", verbose_name=_("interaction")
    )
    file = models.FileField(_("file"), upload_to=recording_path)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("by")
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("call recording")
        verbose_name_plural = _("call recordings")

    def __str__(self) -> str:
        return self.file.name or ""


class CallBack(models.Model):
    """A call-back the debtor asked for; the gate checked the time before it was accepted.

    ``user`` is who took the request; the call-back is the case's current collector's to make.
    """

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="callbacks", verbose_name=_("case"))
    interaction = models.ForeignKey(
        "cases.Interaction", on_delete=models.CASCADE, related_name="+", verbose_name=_("asked in")
    )
    at = models.DateTimeField(_("call back at"), db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("by")
    )
    done = models.BooleanField(_("done"), default=False)

    class Meta:
        verbose_name = _("call-back")
        verbose_name_plural = _("call-backs")
        ordering = ["at"]
        # No index on user: the queue finds call-backs through the case's assignee (case index, then case_id).

    def __str__(self) -> str:
        return f"#{self.case_id} {self.at:%Y-%m-%d %H:%M}"
