from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from huikuan.kernel.scoring.model import KINDS, SCORECARD
from huikuan.kernel.scoring.table import ScoringError
from huikuan.org.models import User
from huikuan.scoring.training import train_version


class Command(BaseCommand):
    help = "Train a model version on the system's history up to --as-of (default today); it is not in force "
    help += "until promoted (docs/scoring.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--kind", choices=KINDS, default=SCORECARD)
        parser.add_argument("--as-of", type=date.fromisoformat, default=None, help="YYYY-MM-DD")
        parser.add_argument(
            "--drop-constant", action="store_true", help="leave out features constant over the training rows"
        )
        parser.add_argument("--username", default=None, help="who trains it (recorded on the version)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = User.objects.filter(username=options["username"]).first() if options["username"] else None
            if options["username"] and user is None:
                raise CommandError(f"no user {options['username']!r}")
            version = train_version(options["kind"], options["as_of"], user, drop_constant=options["drop_constant"])
        except ScoringError as exc:
            raise CommandError(f"nothing trained: {exc}") from exc
        m = version.metrics
        self.stdout.write(
            f"model version {version.number} ({version.kind}), window {version.window_start} – {version.window_end}: "
            f"AUC {m['auc']:.3f}, KS {m['ks']:.3f}, Brier {m['brier']:.4f}, calibration error "
            f"{m['calibration_error']:.4f} on {m['rows']} test rows; PSI {version.report.get('psi')}"
        )
