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
    # The China pack's rule cn.collector_training: collectors trained before starting and at least yearly.
    # A team setting, so an installation can switch it on team by team as it records its courses.
    training_required = models.BooleanField(
        _("training required"),
        default=False,
        help_text=_("Collectors without a passed training or assessment in the last 12 months get no live contact."),
    )

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
    outsourced = models.BooleanField(
        _("outsourced"), default=False, help_text=_("Works for a collection agency, not for the creditor.")
    )
    # The first-login tour of the queue (web.views_help): shown to a collector until dismissed, once per user.
    tour_done_at = models.DateTimeField(_("guided tour dismissed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def get_full_name(self) -> str:
        # Django joins "first last"; 李丽 is written family name first (kernel.names.person_name).
        return person_name(self.first_name, self.last_name)

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class TrainingKind(models.TextChoices):
    COURSE = "course", _("Course")
    ASSESSMENT = "assessment", _("Assessment")


class TrainingRecord(models.Model):
    """A training a user passed: a course recorded by their lead, or an assessment of the training app."""

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="trainings")
    kind = models.CharField(_("kind"), max_length=12, choices=TrainingKind.choices, default=TrainingKind.COURSE)
    title = models.CharField(_("title"), max_length=200)
    passed_on = models.DateField(_("passed on"))
    recorded_by = models.ForeignKey(
        User, verbose_name=_("recorded by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("training record")
        verbose_name_plural = _("training records")
        ordering = ["-passed_on", "-id"]
        indexes = [models.Index(fields=["user", "-passed_on"])]

    def __str__(self) -> str:
        return f"{self.user} {self.title} {self.passed_on}"
