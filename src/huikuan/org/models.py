from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from huikuan.kernel.names import person_name


class Role(models.TextChoices):
    COLLECTOR = "collector", _("Collector")
    TEAM_LEAD = "team_lead", _("Team lead")
    QA = "qa", _("QA and compliance")
    LEGAL = "legal", _("Legal counsel")
    ADMIN = "admin", _("Administrator")


# Roles whose members see every case; the others see only their own (collector) or their team's.
ALL_CASES_ROLES = frozenset({Role.QA, Role.LEGAL, Role.ADMIN})


class Team(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.COLLECTOR)
    team = models.ForeignKey(
        Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    skills = models.CharField(
        _("skills"), max_length=200, blank=True, help_text=_("Comma-separated, e.g. specialist,legal_review")
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def get_full_name(self) -> str:
        # Django joins "first last"; 李丽 is written family name first (kernel.names.person_name).
        return person_name(self.first_name, self.last_name)

    def __str__(self) -> str:
        return self.get_full_name() or self.username
