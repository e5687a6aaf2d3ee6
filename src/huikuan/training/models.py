"""The training simulator's records: scenario versions (YAML), role-play runs, and assessments a lead assigns.

The dialogue itself is the kernel's (``huikuan.kernel.training``): a run keeps the engine's ``RunState`` as
JSON, and every page rebuilds the scenario from the stored YAML version the run was started on, so editing a
scenario never changes a run already played.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from huikuan.kernel.training import parse_scenarios

# The engine's outcome codes (kernel.training debrief), as the pages name them.
OUTCOME_LABELS = {
    "agreement": _("agreement with a plan the debtor can pay"),
    "unrealistic_agreement": _("a plan above what the debtor can pay: a broken promise"),
    "no_agreement": _("no agreement"),
    "hung_up": _("the debtor hung up"),
    "failed_compliance": _("failed: a rule was broken"),
    "callback_arranged": _("a call-back arranged without disclosure"),
    "closed_correctly": _("closed correctly without disclosure"),
}


class ScenarioVersion(models.Model):
    """One version of one scenario, as the engine's YAML. The version in force is the one new runs use."""

    key = models.CharField(_("scenario"), max_length=60, db_index=True, blank=True)
    number = models.PositiveIntegerField(_("version"))
    source = models.TextField(_("YAML source"))
    title_zh = models.CharField(_("title (Chinese)"), max_length=200, blank=True)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    note = models.CharField(_("what changed"), max_length=300, blank=True)
    in_force = models.BooleanField(_("in force"), default=False)
    # Case sharing: the real call this scenario was made from, and the masked original with its outcome,
    # shown in the debrief as the reference.
    shared_from = models.ForeignKey(
        "qa.CallTranscript",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="training_scenarios",
        verbose_name=_("shared from call"),
    )
    reference = models.JSONField(_("reference"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("training scenario version")
        verbose_name_plural = _("training scenario versions")
        ordering = ["key", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["key", "number"], name="training_scenario_version_once"),
            models.UniqueConstraint(
                fields=["key"], condition=models.Q(in_force=True), name="training_one_scenario_version_in_force"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} v{self.number}"

    def clean(self) -> None:
        scenarios, problems = parse_scenarios(self.source)
        if problems:
            raise ValidationError({"source": problems})
        if len(scenarios) != 1:
            raise ValidationError({"source": _("One version holds exactly one scenario.")})
        found = scenarios[0]
        if self.key and found.key != self.key:
            raise ValidationError(
                {
                    "source": _("key: the YAML says %(found)s, this version is of %(key)s.")
                    % {"found": found.key, "key": self.key}
                }
            )
        self.key = found.key
        self.title_zh = str(found.title.get("zh", ""))[:200]
        self.title_en = str(found.title.get("en", ""))[:200]

    def title(self, language: str) -> str:
        return (self.title_en if language.startswith("en") else self.title_zh) or self.title_zh or self.key


class Assessment(models.Model):
    """A set of scenarios a lead assigns to collectors of their team, with a pass mark and a deadline."""

    title = models.CharField(_("title"), max_length=200)
    team = models.ForeignKey("org.Team", on_delete=models.CASCADE, related_name="assessments", verbose_name=_("team"))
    pass_mark = models.DecimalField(_("pass mark"), max_digits=4, decimal_places=1)
    deadline = models.DateTimeField(_("deadline"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class AssessmentItem(models.Model):
    """One scenario of an assessment (the version in force when the lead assigned it)."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="items")
    scenario = models.ForeignKey(ScenarioVersion, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["assessment", "position"]
        constraints = [models.UniqueConstraint(fields=["assessment", "scenario"], name="training_item_once")]

    def __str__(self) -> str:
        return f"{self.assessment_id}:{self.scenario}"


class Assignment(models.Model):
    """A collector assigned an assessment; passed when every item has a passing run before the deadline."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="assignments")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="training_assignments", verbose_name=_("user")
    )
    passed_at = models.DateTimeField(_("passed at"), null=True, blank=True)
    record = models.ForeignKey("org.TrainingRecord", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["assessment", "user"]
        constraints = [models.UniqueConstraint(fields=["assessment", "user"], name="training_assignment_once")]

    def __str__(self) -> str:
        return f"{self.assessment_id}:{self.user_id}"


class TrainingRun(models.Model):
    """One role-play: the engine's state after every turn, and the debrief's result once it ended."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="training_runs", verbose_name=_("user")
    )
    scenario = models.ForeignKey(
        ScenarioVersion, on_delete=models.PROTECT, related_name="runs", verbose_name=_("scenario")
    )
    seed = models.BigIntegerField(_("seed"))
    language = models.CharField(_("language"), max_length=5, default="zh")
    state = models.JSONField(_("state"), default=dict)
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    passed = models.BooleanField(_("passed"), null=True, blank=True)
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=1, null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=30, blank=True)
    item = models.ForeignKey(
        AssessmentItem,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="runs",
        verbose_name=_("assessment item"),
    )

    class Meta:
        verbose_name = _("training run")
        verbose_name_plural = _("training runs")
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["user", "-started_at"])]

    def __str__(self) -> str:
        return f"run {self.pk} {self.scenario}"

    @property
    def outcome_text(self) -> str:
        return str(OUTCOME_LABELS.get(self.outcome, self.outcome))
