"""The official holidays and make-up working days an installation imports (docs/holidays.md)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from huikuan.kernel.holidays import CALENDARS, HOLIDAY, WORKDAY, official_day


class DayKind(models.TextChoices):
    HOLIDAY_ = HOLIDAY, _("Official holiday")
    WORKDAY_ = WORKDAY, _("Make-up working day")


class OfficialDay(models.Model):
    """One day of a year's official arrangement. A year present here is read from here alone."""

    calendar = models.CharField(_("calendar"), max_length=4, choices=[(c, c) for c in CALENDARS], default="cn")
    day = models.DateField(_("day"))
    kind = models.CharField(_("kind"), max_length=10, choices=DayKind.choices)
    name = models.CharField(_("name"), max_length=60)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("by")
    )
    imported_at = models.DateTimeField(_("imported at"), auto_now=True)

    class Meta:
        verbose_name = _("official day")
        verbose_name_plural = _("official days")
        ordering = ["calendar", "day"]
        constraints = [models.UniqueConstraint(fields=["calendar", "day"], name="official_day_once")]

    def __str__(self) -> str:
        return f"{self.calendar} {self.day} {self.kind} {self.name}"

    def clean(self) -> None:
        if self.day is None:
            return
        errors, _day = official_day(0, self.calendar, self.day.isoformat(), self.kind, self.name)
        if errors:
            raise ValidationError({e.column if e.column in {"calendar", "day", "kind", "name"} else "day": e.message
                                   for e in errors})  # fmt: skip
