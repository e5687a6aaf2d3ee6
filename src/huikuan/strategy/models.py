"""Policy versions, experiments, nightly runs and the work items they write."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from huikuan.kernel.strategy.policy import ESCALATIONS, Policy, parse_policy


class PolicyVersion(models.Model):
    """One version of a policy. Immutable once a run has used it: a change is a new version."""

    name = models.CharField(_("name"), max_length=100)
    number = models.PositiveIntegerField(_("version"))
    source = models.TextField(_("YAML source"))
    parsed = models.JSONField(_("parsed policy"))
    sha256 = models.CharField(_("SHA-256 of the meaning"), max_length=64, db_index=True)
    in_force = models.BooleanField(_("in force (champion)"), default=False)
    first_used_at = models.DateTimeField(_("first used at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("policy version")
        verbose_name_plural = _("policy versions")
        ordering = ["name", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["name", "number"], name="policy_version_unique_number"),
            models.UniqueConstraint(fields=["in_force"], condition=models.Q(in_force=True), name="one_policy_in_force"),
        ]

    def __str__(self) -> str:
        return self.label

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None and self.first_used_at is not None:
            stored = PolicyVersion.objects.filter(pk=self.pk).values_list("source", flat=True).first()
            if stored is not None and stored != self.source:
                raise ValidationError(_("This policy version has been used by a run; save a new version."))
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def label(self) -> str:
        return f"{self.name}@{self.number}"

    def policy(self) -> Policy:
        return parse_policy(self.source)


class Experiment(models.Model):
    """Champion/challenger: arms with a policy version and a share each; one experiment active at a time."""

    key = models.SlugField(_("key"), max_length=60, unique=True, help_text=_("Part of the arm hash."))
    name = models.CharField(_("name"), max_length=200)
    active = models.BooleanField(_("active"), default=False)
    started_on = models.DateField(_("started on"), null=True, blank=True)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("experiment")
        verbose_name_plural = _("experiments")
        constraints = [
            models.UniqueConstraint(fields=["active"], condition=models.Q(active=True), name="one_active_experiment")
        ]

    def __str__(self) -> str:
        return self.name


class ExperimentArm(models.Model):
    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="arms")
    name = models.CharField(_("arm"), max_length=40)
    policy_version = models.ForeignKey(
        PolicyVersion, on_delete=models.PROTECT, verbose_name=_("policy version"), db_constraint=False
    )
    share = models.DecimalField(_("share"), max_digits=5, decimal_places=4, default=Decimal("0.5"))

    class Meta:
        verbose_name = _("experiment arm")
        verbose_name_plural = _("experiment arms")
        ordering = ["experiment", "name"]
        constraints = [models.UniqueConstraint(fields=["experiment", "name"], name="arm_unique_name")]

    def __str__(self) -> str:
        return f"{self.experiment.key}/{self.name}"


class RunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class StrategyRun(models.Model):
    as_of = models.DateField(_("as of"), db_index=True)
    dry_run = models.BooleanField(_("dry run"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.RUNNING)
    policy_version = models.ForeignKey(
        PolicyVersion, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("policy (forced)")
    )
    experiment = models.ForeignKey(
        Experiment, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("experiment")
    )
    shards = models.PositiveIntegerField(_("shards"), default=1)
    cases = models.PositiveIntegerField(_("cases read"), default=0)
    planned = models.PositiveIntegerField(_("items planned"), default=0)
    written = models.PositiveIntegerField(_("items written"), default=0)
    blocked = models.PositiveIntegerField(_("blocked by the gate"), default=0)
    held = models.PositiveIntegerField(_("held"), default=0)
    # {"stage|action": n}, {"gate reason": n}, {"phase": seconds}
    counts = models.JSONField(_("counts by stage and action"), default=dict)
    details = models.JSONField(_("details"), default=dict)
    timings = models.JSONField(_("timings (s)"), default=dict)
    peak_memory_mb = models.PositiveIntegerField(_("peak memory (MB)"), default=0)
    error = models.TextField(_("error"), blank=True)
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("strategy run")
        verbose_name_plural = _("strategy runs")
        ordering = ["-started_at", "-id"]
        constraints = [
            # Two real runs of one day would replace each other's pending items half-way.
            models.UniqueConstraint(
                fields=["as_of"],
                condition=models.Q(status="running", dry_run=False),
                name="strategy_one_running_run_per_day",
            )
        ]

    def __str__(self) -> str:
        return f"{self.as_of} #{self.pk}{' (dry run)' if self.dry_run else ''}"


class WorkStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class WorkItem(models.Model):
    """One thing to do today on a case: written in bulk by the nightly run, worked by people or the outbox."""

    # No database constraints on the references: they are ids the run has just read, and PostgreSQL checks
    # a deferred constraint row by row at COMMIT with a lookup and a row lock (WAL-logged) per row: the
    # case's alone costs 9–10 s of a million-item night. Cases are closed, not deleted; a delete through
    # the admin or the ORM still cascades, as Django applies on_delete itself. Indexes only where a query
    # needs one: every index is maintained for each of the night's million rows. Nothing reads items by
    # run, by policy version or by priority alone (queues filter by assignee first, then sort), and the
    # day's delete uses the unique (as_of, case, action) index.
    run = models.ForeignKey(
        StrategyRun,
        on_delete=models.CASCADE,
        related_name="items",
        verbose_name=_("run"),
        db_constraint=False,
        db_index=False,
    )
    as_of = models.DateField(_("day"))
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.CASCADE,
        related_name="work_items",
        verbose_name=_("case"),
        db_constraint=False,
        db_index=False,
    )
    action = models.CharField(_("action"), max_length=24)
    channel = models.CharField(_("channel"), max_length=10)
    template = models.CharField(_("template"), max_length=60)
    rule = models.CharField(_("rule"), max_length=60)
    contact_point = models.ForeignKey(
        "portfolio.ContactPoint",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        verbose_name=_("contact point"),
        db_constraint=False,
        db_index=False,
    )
    party = models.CharField(_("party"), max_length=12, blank=True)
    window_start = models.DateTimeField(_("window start (UTC)"))
    window_end = models.DateTimeField(_("window end (UTC)"))
    priority = models.IntegerField(_("priority"))
    stage = models.CharField(_("stage"), max_length=20)
    behaviour = models.CharField(_("behaviour"), max_length=20)
    segment = models.CharField(_("segment"), max_length=40)
    queue = models.CharField(_("queue"), max_length=12)
    arm = models.CharField(_("arm"), max_length=40, blank=True)
    policy_version = models.ForeignKey(
        PolicyVersion,
        on_delete=models.PROTECT,
        verbose_name=_("policy version"),
        db_constraint=False,
        db_index=False,
    )
    reason = models.TextField(_("reason"))
    reason_en = models.TextField(_("reason (English)"))
    # What the contact is for (policy.GOALS, from the rule's ``goal`` or its default), shown above the script;
    # whether it was met is recorded with the outcome (None: not recorded yet).
    goal = models.CharField(_("goal"), max_length=24, blank=True, default="")
    goal_met = models.BooleanField(_("goal met"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=WorkStatus.choices, default=WorkStatus.PENDING)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="work_items",
        verbose_name=_("assignee"),
        db_constraint=False,
        db_index=False,
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("work item")
        verbose_name_plural = _("work items")
        constraints = [
            models.UniqueConstraint(fields=["as_of", "case", "action"], name="work_item_once_a_day"),
        ]
        indexes = [
            # The queue: a collector's pending items of the day read from the top of the priority order
            # (workbench.views_data.top_cases), so the busiest queue's page reads fifty cases, not all of
            # them. It replaces (assignee, status): every reader of a person's items names the day too.
            # Only assigned items: every reader names an assignee (``assignee = x`` implies the condition, so
            # the planner takes the index), and the items nobody holds (the outbox's messages and letters, the
            # legal reviews: a third of a first night's) no longer cost the night's COPY an entry each.
            models.Index(
                fields=["assignee", "as_of", "status", "-priority", "case"],
                name="work_item_queue",
                condition=models.Q(assignee__isnull=False),
            ),
            # The day's done and cancelled items, which a run leaves alone (run.prepare_items): a handful
            # beside a million pending ones, which the partial index does not hold (the nightly COPY pays
            # nothing for it).
            models.Index(fields=["as_of"], name="work_item_settled", condition=~models.Q(status="pending")),
            models.Index(fields=["case", "as_of"]),
            # The snapshot reads every earlier escalation and legal review of the book each night. Without
            # this index that is a scan of every item of every night, a million more rows each night. It
            # holds the hand-overs only, and a case is handed over once, so after the first nights a night
            # adds few entries; a first night that hands over half a book pays 5–10% more for its items
            # (docs/strategy.md). It carries every column the look-back reads, so (once vacuumed) the
            # table is not visited.
            models.Index(
                fields=["case"],
                include=["as_of", "action", "status"],
                condition=models.Q(action__in=ESCALATIONS),
                name="work_item_escalations",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.as_of} #{self.case_id} {self.action}"


class QueueCount(models.Model):
    """A change in the number of work items of one collector, day and status; the sum of a key's rows is the count.

    Written only by the database's triggers on the work items (migration 0009), in the statement that changes
    the items, so the sum is exact whatever writes them: the run's COPY, the ORM, a reassignment's UPDATE.
    PostgreSQL appends one row per key and statement and never updates one, so the night's shards and the
    collectors closing items never wait on each other's locks; SQLite (one writer at a time) keeps one row a
    key. The team page sums a team's rows of the day instead of counting a third of a million items
    (strategy.counts). ``counts.compact_queue_counts`` folds the rows of past days into one a key.
    """

    assignee_id = models.BigIntegerField()
    as_of = models.DateField()
    status = models.CharField(max_length=10)
    n = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["as_of", "assignee_id"], name="queue_count_day")]

    def __str__(self) -> str:
        return f"{self.as_of} {self.assignee_id} {self.status} {self.n:+d}"
