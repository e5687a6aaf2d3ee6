"""`huikuan training record USER --title T --passed-on YYYY-MM-DD` and `huikuan training list [--team T]`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from huikuan.kernel.inputs import InputError, parse_day
from huikuan.org.models import Role, TrainingKind, User
from huikuan.org.training import TrainingError, last_trained_on, record_training


class Command(BaseCommand):
    help = "Record a training a collector passed, or list collectors' last training."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True)
        record = sub.add_parser("record", help="record a passed course or assessment")
        record.add_argument("username")
        record.add_argument("--title", required=True)
        record.add_argument("--passed-on", required=True, help="YYYY-MM-DD")
        record.add_argument("--kind", default=TrainingKind.COURSE.value, choices=TrainingKind.values)
        listing = sub.add_parser("list", help="each active collector's last passed training")
        listing.add_argument("--team", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["what"] == "record":
            trainee = User.objects.filter(username=options["username"]).first()
            if trainee is None:
                raise CommandError(f"no user {options['username']!r}")
            try:
                passed_on = parse_day(options["passed_on"])
            except InputError as exc:
                raise CommandError(f"--passed-on: {options['passed_on']!r} is not a date YYYY-MM-DD") from exc
            try:
                # The command line is the system: whoever runs it holds the installation already.
                record = record_training(None, trainee, options["title"], passed_on, options["kind"])
            except TrainingError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(f"recorded: {trainee.username} {record.title} {record.passed_on.isoformat()}")
            return
        people = User.objects.filter(is_active=True, role=Role.COLLECTOR).select_related("team").order_by("username")
        if options["team"]:
            people = people.filter(team__name=options["team"])
        for person in people:
            last = last_trained_on(person)
            required = "required" if person.team and person.team.training_required else "-"
            self.stdout.write(
                f"{person.username}\t{person.team or '-'}\t{last.isoformat() if last else '-'}\t{required}"
            )
