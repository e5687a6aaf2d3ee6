"""What a simulation needs before its first day: collectors, templates, a policy in force, a portfolio,
and the experiment its planted effects name."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings

from huikuan import clock
from huikuan.analytics.models import Simulation
from huikuan.comms.models import Template
from huikuan.comms.templates import seed_default_templates
from huikuan.intake.generator import PortfolioGenerator
from huikuan.intake.seeding import write_generated
from huikuan.org.demo import demo_collectors, ensure_demo_users
from huikuan.org.models import Role, User
from huikuan.portfolio.models import Debtor
from huikuan.strategy.actions import import_policy, start_experiment
from huikuan.strategy.models import Experiment, PolicyVersion

DEFAULT_POLICY = Path(__file__).resolve().parents[1] / "strategy" / "policies" / "default.yaml"


def prepare(
    *, seed: int, days: int, debtors: int, effects: dict[str, float], first_day: date | None = None
) -> Simulation:
    """The simulation's row, with everything it needs in place; a fresh portfolio is generated as of its
    first day (which is then ``days`` before today, so the history ends today)."""
    if days < 1:
        raise ValueError("a simulation runs at least one day")
    fresh = not Debtor.objects.exists()
    first = first_day or (clock.today() - timedelta(days=days - 1))
    start = datetime.combine(first, time(0, 10), tzinfo=ZoneInfo(settings.TIME_ZONE))
    with clock.use(clock.FixedClock(start)):
        if not User.objects.filter(role=Role.COLLECTOR, is_active=True).exists():
            if not settings.HUIKUAN_DEMO:
                raise ValueError("no active collector to work the queues: create users, or run in demo mode")
            ensure_demo_users()
        if not Template.objects.exists():
            seed_default_templates()
        if not PolicyVersion.objects.filter(in_force=True).exists():
            import_policy(DEFAULT_POLICY.read_text(encoding="utf-8"), activate=True)
        if fresh:
            collectors = demo_collectors() or list(
                User.objects.filter(role=Role.COLLECTOR, is_active=True).order_by("id").values_list("id", "team_id")
            )
            write_generated(PortfolioGenerator(seed, first).debtors(debtors), first, collectors)
        if effects:
            _experiment(seed, effects)
    return Simulation.objects.create(
        seed=seed, first_day=first, last_day=first + timedelta(days=days - 1), effects=effects
    )


def _experiment(seed: int, effects: dict[str, float]) -> None:
    """The arms the effects name: the active experiment's, else a new one whose arms all run the champion
    (the planted effect is then the only difference between them)."""
    experiment = Experiment.objects.filter(active=True).first()
    names = set(effects) | {"champion"}
    if experiment is not None and names <= set(experiment.arms.values_list("name", flat=True)):
        return
    champion = PolicyVersion.objects.get(in_force=True)
    share = (Decimal(1) / len(names)).quantize(Decimal("0.0001"))
    arms = sorted(names)
    shares = [share] * (len(arms) - 1) + [Decimal(1) - share * (len(arms) - 1)]
    start_experiment(f"sim-{seed}", f"simulation {seed}", [(a, champion, s) for a, s in zip(arms, shares, strict=True)])
