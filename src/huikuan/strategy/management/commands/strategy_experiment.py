from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from huikuan.kernel.strategy.arms import ArmError
from huikuan.strategy.actions import start_experiment, stop_experiment
from huikuan.strategy.models import Experiment, PolicyVersion
from huikuan.strategy.run import StrategyError, find_version


class Command(BaseCommand):
    help = (
        "Start a champion/challenger experiment: huikuan strategy experiment KEY "
        "--arm champion=default@1:0.8 --arm challenger=challenger-early-calls@1:0.2; "
        "--stop ends the active one."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("key", nargs="?")
        parser.add_argument("--name", default="")
        parser.add_argument("--arm", action="append", default=[], help="NAME=POLICY@VERSION:SHARE")
        parser.add_argument("--stop", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["stop"]:
            for experiment in Experiment.objects.filter(active=True):
                stop_experiment(experiment)
                self.stdout.write(_("Stopped %(key)s.") % {"key": experiment.key})
            return
        if not options["key"] or not options["arm"]:
            raise CommandError(_("Give a key and at least one --arm."))
        arms: list[tuple[str, PolicyVersion, Decimal]] = []
        try:
            for spec in options["arm"]:
                name, _eq, rest = spec.partition("=")
                label, _colon, share = rest.rpartition(":")
                arms.append((name, find_version(label), Decimal(share)))
            experiment = start_experiment(options["key"], options["name"] or options["key"], arms)
        except (StrategyError, ArmError, InvalidOperation, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(_("Experiment %(key)s started.") % {"key": experiment.key})
