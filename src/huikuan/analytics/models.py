"""Daily facts (one row per open case and day; the day's contacts and money) and the simulator's ground truth.

The fact tables are written only by ``facts.compute_day`` (delete the day, insert it again: a re-run is
idempotent) and read as frames by the KPIs (``kernel.analytics``). On PostgreSQL they are partitioned by
month (``partitions.py``): a month is dropped or scanned as one piece; the ORM sees them as ordinary
unmanaged tables with a composite key. Money is integer fen, as in the bulk paths everywhere.

``SimulatedDebtor`` and ``Simulation`` are the simulator's ground truth: what the system must not know.
Nothing in the product reads them; the tests do, to check that the figures find what was planted.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseDay(models.Model):
    """One open case on one day, as the day's nightly run saw it (start of the day)."""

    pk = models.CompositePrimaryKey("day", "case_id")
    day = models.DateField(_("day"))
    case_id = models.BigIntegerField(_("case"))
    debtor_id = models.BigIntegerField(_("debtor"))
    status = models.CharField(_("status"), max_length=10)
    dpd = models.IntegerField(_("days past due"))
    bucket = models.CharField(_("bucket"), max_length=4)
    stage = models.CharField(_("stage"), max_length=20)
    balance_fen = models.BigIntegerField(_("balance (fen)"))
    product = models.CharField(_("product"), max_length=20)
    placed_on = models.DateField(_("placed on"))
    team_id = models.BigIntegerField(_("team"), null=True)
    assignee_id = models.BigIntegerField(_("assignee"), null=True)
    arm = models.CharField(_("arm"), max_length=40)
    risk_band = models.CharField(_("risk band"), max_length=20)
    behaviour = models.CharField(_("behaviour"), max_length=20)

    class Meta:
        managed = False
        db_table = "analytics_caseday"
        verbose_name = _("case day")

    def __str__(self) -> str:
        return f"{self.day} #{self.case_id}"


class ContactDay(models.Model):
    """A case's contacts of one day by person, channel and local hour: calls, visits, messages, promises.

    ``user_id`` 0 is nobody (automatic messages); for messages ``attempts`` counts those sent and
    ``reached`` those delivered.
    """

    pk = models.CompositePrimaryKey("day", "case_id", "user_id", "channel", "hour")
    day = models.DateField(_("day"))
    case_id = models.BigIntegerField(_("case"))
    user_id = models.BigIntegerField(_("user"))
    channel = models.CharField(_("channel"), max_length=10)
    hour = models.SmallIntegerField(_("hour"))
    weekday = models.SmallIntegerField(_("weekday"))
    attempts = models.IntegerField(_("attempts"))
    reached = models.IntegerField(_("reached"))
    rpc = models.IntegerField(_("right-party contacts"))
    promises = models.IntegerField(_("promises made"))
    promised_fen = models.BigIntegerField(_("promised (fen)"))

    class Meta:
        managed = False
        db_table = "analytics_contactday"
        verbose_name = _("contact day")

    def __str__(self) -> str:
        return f"{self.day} #{self.case_id}"


class MoneyDay(models.Model):
    """A case's money of one day: payments, waivers, and the promises whose grace period ended that day
    (settled for good the next night: the day is final once facts are computed after it)."""

    pk = models.CompositePrimaryKey("day", "case_id")
    day = models.DateField(_("day"))
    case_id = models.BigIntegerField(_("case"))
    payments = models.IntegerField(_("payments"))
    paid_fen = models.BigIntegerField(_("paid (fen)"))
    waived_fen = models.BigIntegerField(_("waived (fen)"))
    promises_settled = models.IntegerField(_("promises settled"))
    promises_kept = models.IntegerField(_("promises kept"))
    promises_partly = models.IntegerField(_("promises partly kept"))
    promises_broken = models.IntegerField(_("promises broken"))
    settled_fen = models.BigIntegerField(_("settled promises (fen)"))
    kept_paid_fen = models.BigIntegerField(_("paid towards settled promises (fen)"))

    class Meta:
        managed = False
        db_table = "analytics_moneyday"
        verbose_name = _("money day")

    def __str__(self) -> str:
        return f"{self.day} #{self.case_id}"


class PortfolioDay(models.Model):
    """Rollup of a day's case and money facts by team and assignee (0: none), bucket, product and arm: what
    charts read."""

    pk = models.CompositePrimaryKey("day", "team_id", "assignee_id", "bucket", "product", "arm")
    day = models.DateField(_("day"))
    team_id = models.BigIntegerField(_("team"))
    assignee_id = models.BigIntegerField(_("assignee"))
    bucket = models.CharField(_("bucket"), max_length=4)
    product = models.CharField(_("product"), max_length=20)
    arm = models.CharField(_("arm"), max_length=40)
    cases = models.BigIntegerField(_("cases"))
    balance_fen = models.BigIntegerField(_("balance (fen)"))
    payments = models.BigIntegerField(_("payments"))
    paid_fen = models.BigIntegerField(_("paid (fen)"))
    waived_fen = models.BigIntegerField(_("waived (fen)"))
    promises_settled = models.BigIntegerField(_("promises settled"))
    promises_kept = models.BigIntegerField(_("promises kept"))
    promises_partly = models.BigIntegerField(_("promises partly kept"))
    promises_broken = models.BigIntegerField(_("promises broken"))
    settled_fen = models.BigIntegerField(_("settled promises (fen)"))
    kept_paid_fen = models.BigIntegerField(_("paid towards settled promises (fen)"))

    class Meta:
        managed = False
        db_table = "analytics_portfolioday"
        verbose_name = _("portfolio day")

    def __str__(self) -> str:
        return f"{self.day} {self.team_id} {self.bucket}"


class ContactHour(models.Model):
    """Rollup of a day's contact facts by team (0: none), person, channel and local hour."""

    pk = models.CompositePrimaryKey("day", "team_id", "user_id", "channel", "hour")
    day = models.DateField(_("day"))
    team_id = models.BigIntegerField(_("team"))
    user_id = models.BigIntegerField(_("user"))
    channel = models.CharField(_("channel"), max_length=10)
    hour = models.SmallIntegerField(_("hour"))
    weekday = models.SmallIntegerField(_("weekday"))
    attempts = models.BigIntegerField(_("attempts"))
    reached = models.BigIntegerField(_("reached"))
    rpc = models.BigIntegerField(_("right-party contacts"))
    promises = models.BigIntegerField(_("promises made"))
    promised_fen = models.BigIntegerField(_("promised (fen)"))

    class Meta:
        managed = False
        db_table = "analytics_contacthour"
        verbose_name = _("contact hour")

    def __str__(self) -> str:
        return f"{self.day} {self.user_id} {self.channel} {self.hour}"


class RollDay(models.Model):
    """Where the cases open 30 days before the day stand on it: cases per team, assignee (0: none) and product
    (then), from and to bucket."""

    pk = models.CompositePrimaryKey("day", "team_id", "assignee_id", "product", "from_bucket", "to_bucket")
    day = models.DateField(_("day"))
    team_id = models.BigIntegerField(_("team"))
    assignee_id = models.BigIntegerField(_("assignee"))
    product = models.CharField(_("product"), max_length=20)
    from_bucket = models.CharField(_("from bucket"), max_length=6)
    to_bucket = models.CharField(_("to bucket"), max_length=6)
    cases = models.BigIntegerField(_("cases"))

    class Meta:
        managed = False
        db_table = "analytics_rollday"
        verbose_name = _("roll day")

    def __str__(self) -> str:
        return f"{self.day} {self.from_bucket}→{self.to_bucket}"


class ChannelDay(models.Model):
    """Rollup of the yuan recovered after each channel (a payment counts for every channel that reached for
    its case in the 7 days before): per day × team × assignee × product × bucket of the paying case."""

    pk = models.CompositePrimaryKey("day", "team_id", "assignee_id", "product", "bucket", "channel")
    day = models.DateField(_("day"))
    team_id = models.BigIntegerField(_("team"))
    assignee_id = models.BigIntegerField(_("assignee"))
    product = models.CharField(_("product"), max_length=20)
    bucket = models.CharField(_("bucket"), max_length=4)
    channel = models.CharField(_("channel"), max_length=10)
    recovered_fen = models.BigIntegerField(_("recovered (fen)"))

    class Meta:
        managed = False
        db_table = "analytics_channelday"
        verbose_name = _("channel day")

    def __str__(self) -> str:
        return f"{self.day} {self.channel}"


class PortfolioSums(models.Model):
    """The portfolio rollup's sums, shared by its coarser copies (per team, per collector)."""

    cases = models.BigIntegerField()
    balance_fen = models.BigIntegerField()
    payments = models.BigIntegerField()
    paid_fen = models.BigIntegerField()
    waived_fen = models.BigIntegerField()
    promises_settled = models.BigIntegerField()
    promises_kept = models.BigIntegerField()
    promises_partly = models.BigIntegerField()
    promises_broken = models.BigIntegerField()
    settled_fen = models.BigIntegerField()
    kept_paid_fen = models.BigIntegerField()

    class Meta:
        abstract = True


class ContactSums(models.Model):
    """The contact rollup's sums, shared by its coarser copies (per team and hour, per person and channel)."""

    attempts = models.BigIntegerField()
    reached = models.BigIntegerField()
    rpc = models.BigIntegerField()
    promises = models.BigIntegerField()
    promised_fen = models.BigIntegerField()

    class Meta:
        abstract = True


class TeamDay(PortfolioSums):
    """The portfolio rollup per team (no collector): what the whole book's and a team's charts read."""

    pk = models.CompositePrimaryKey("day", "team_id", "bucket", "product", "arm")
    day = models.DateField(_("day"))
    team_id = models.BigIntegerField(_("team"))
    bucket = models.CharField(_("bucket"), max_length=4)
    product = models.CharField(_("product"), max_length=20)
    arm = models.CharField(_("arm"), max_length=40)

    class Meta:
        managed = False
        db_table = "analytics_teamday"
        verbose_name = _("team day")

    def __str__(self) -> str:
        return f"{self.day}"


class CollectorDay(PortfolioSums):
    """The portfolio rollup per collector (no bucket, product or arm): the leaderboard's and a collector's."""

    pk = models.CompositePrimaryKey("day", "team_id", "assignee_id")
    day = models.DateField(_("day"))
    team_id = models.BigIntegerField(_("team"))
    assignee_id = models.BigIntegerField(_("assignee"))

    class Meta:
        managed = False
        db_table = "analytics_collectorday"
        verbose_name = _("collector day")

    def __str__(self) -> str:
        return f"{self.day}"


class TeamHour(ContactSums):
    """The contact rollup per team (no person): the whole book's and a team's trend and heatmap."""

    pk = models.CompositePrimaryKey("day", "team_id", "channel", "hour", "weekday")
    day = models.DateField(_("day"))
    team_id = models.BigIntegerField(_("team"))
    channel = models.CharField(_("channel"), max_length=10)
    hour = models.SmallIntegerField(_("hour"))
    weekday = models.SmallIntegerField(_("weekday"))

    class Meta:
        managed = False
        db_table = "analytics_teamhour"
        verbose_name = _("team hour")

    def __str__(self) -> str:
        return f"{self.day}"


class CollectorChannel(ContactSums):
    """The contact rollup per person and channel (no hour): the leaderboard's."""

    pk = models.CompositePrimaryKey("day", "team_id", "user_id", "channel")
    day = models.DateField(_("day"))
    team_id = models.BigIntegerField(_("team"))
    user_id = models.BigIntegerField(_("user"))
    channel = models.CharField(_("channel"), max_length=10)

    class Meta:
        managed = False
        db_table = "analytics_collectorchannel"
        verbose_name = _("collector channel")

    def __str__(self) -> str:
        return f"{self.day}"


class Simulation(models.Model):
    """One run of ``huikuan simulate``: its seed, days and planted effects (ground truth)."""

    seed = models.IntegerField(_("seed"))
    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))
    effects = models.JSONField(_("planted effects"), default=dict)
    counts = models.JSONField(_("counts"), default=dict)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("simulation")

    def __str__(self) -> str:
        return f"seed {self.seed}: {self.first_day} – {self.last_day}"


class SimulatedDebtor(models.Model):
    """A simulated debtor's latent persona (ground truth)."""

    simulation = models.ForeignKey(Simulation, on_delete=models.CASCADE, related_name="debtors")
    debtor_id = models.BigIntegerField(_("debtor"))
    propensity = models.FloatField(_("propensity to pay"))
    reachable = models.BooleanField(_("reachable"))
    disputes = models.BooleanField(_("disputes"))

    class Meta:
        verbose_name = _("simulated debtor")
        constraints = [models.UniqueConstraint(fields=["simulation", "debtor_id"], name="simulated_debtor_once")]

    def __str__(self) -> str:
        return f"{self.debtor_id}: {self.propensity:.2f}"


class VintageSums(models.Model):
    """The vintage rollup's sums (kernel.analytics.rollup.VINTAGE_SUMS), shared by its per-team copy."""

    cases = models.BigIntegerField()
    balance_fen = models.BigIntegerField()
    placed = models.BigIntegerField()
    placed_fen = models.BigIntegerField()
    paid_fen = models.BigIntegerField()

    class Meta:
        abstract = True


class VintageDay(VintageSums):
    """Rollup of a day's cases, placements and payments per placement month × team × assignee × product ×
    bucket: the recovery-by-vintage chart of a collector (``kpis.vintage_recovery`` summed)."""

    pk = models.CompositePrimaryKey("day", "vintage", "team_id", "assignee_id", "product", "bucket")
    day = models.DateField(_("day"))
    vintage = models.CharField(_("placed in"), max_length=7)
    team_id = models.BigIntegerField(_("team"))
    assignee_id = models.BigIntegerField(_("assignee"))
    product = models.CharField(_("product"), max_length=20)
    bucket = models.CharField(_("bucket"), max_length=4)

    class Meta:
        managed = False
        db_table = "analytics_vintageday"
        verbose_name = _("vintage day")

    def __str__(self) -> str:
        return f"{self.day} {self.vintage}"


class VintageTeamDay(VintageSums):
    """The vintage rollup per team (no collector): what the whole book's and a team's chart read."""

    pk = models.CompositePrimaryKey("day", "vintage", "team_id", "product", "bucket")
    day = models.DateField(_("day"))
    vintage = models.CharField(_("placed in"), max_length=7)
    team_id = models.BigIntegerField(_("team"))
    product = models.CharField(_("product"), max_length=20)
    bucket = models.CharField(_("bucket"), max_length=4)

    class Meta:
        managed = False
        db_table = "analytics_vintageteamday"
        verbose_name = _("vintage team day")

    def __str__(self) -> str:
        return f"{self.day} {self.vintage}"


class StoredReadout(models.Model):
    """An experiment readout of a period, computed once and kept until a fact day of its period is written
    again (``facts.compute_day`` deletes it): at a million cases the readout reads every case of the period,
    too slow to compute on each look at the dashboard. The nightly job stores the dashboard's default period."""

    first = models.DateField(_("first day"))
    last = models.DateField(_("last day"))
    baseline = models.CharField(_("baseline arm"), max_length=40)
    minimum_effect = models.CharField(_("minimum effect"), max_length=20, blank=True)
    figures = models.JSONField(_("figures"))
    comparisons = models.JSONField(_("comparisons"))
    computed_at = models.DateTimeField(_("computed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("stored readout")
        constraints = [
            models.UniqueConstraint(fields=["first", "last", "baseline", "minimum_effect"], name="readout_once")
        ]

    def __str__(self) -> str:
        return f"{self.first} – {self.last} vs {self.baseline}"


class FactDayWritten(models.Model):
    """One row each time ``facts.compute_day`` writes a day's facts and rollups (in the same transaction).

    The stored dashboard figures of a period (``StoredFigure``) are valid only while the number of these rows
    in their period is the one they were computed under: a figure computed from rollups that a night's write
    was replacing meanwhile is stored under the count before the write, and the next look computes it again.
    Append-only, so concurrent writers of different days never wait on each other.
    """

    day = models.DateField(_("day"))
    written_at = models.DateTimeField(_("written at"), auto_now_add=True)

    class Meta:
        verbose_name = _("fact day written")
        indexes = [models.Index(fields=["day"], name="fact_day_written")]

    def __str__(self) -> str:
        return f"{self.day} @ {self.written_at}"


class StoredFigure(models.Model):
    """A dashboard figure read from the rollups alone (``dashboard.STORED``), as computed for one scope, filters
    and language: the rollups change only when a day of the period is written again, so the figure is kept
    until then (``written`` is the period's ``FactDayWritten`` count it was computed under; ``compute_day``
    also deletes the period's figures). Six of them were 30–60 ms of each look at the dashboard."""

    key = models.CharField(_("figure and filters"), max_length=200)
    first = models.DateField(_("first day"))
    last = models.DateField(_("last day"))
    written = models.IntegerField(_("fact days written"))
    figure = models.JSONField(_("figure"))
    computed_at = models.DateTimeField(_("computed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("stored figure")
        constraints = [
            models.UniqueConstraint(fields=["key", "first", "last", "written"], name="figure_once"),
        ]
        indexes = [models.Index(fields=["first", "last"], name="stored_figure_period")]

    def __str__(self) -> str:
        return f"{self.key} {self.first} – {self.last}"
