"""`huikuan comms letters --batch run:12`: render a run's letters (one print file + one PDF per letter).

`huikuan comms letters --case 7 --purpose demand_letter` queues and renders one letter for a case.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from huikuan import clock
from huikuan.cases.models import Case
from huikuan.comms.channels.letter.render import render_letter_batch
from huikuan.comms.models import CommChannel, Purpose, Tone
from huikuan.comms.outbox import Request, queue_message


class Command(BaseCommand):
    help = "Render letters to PDF: a strategy run's batch, or one letter for a case."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", help="batch name, e.g. run:12")
        parser.add_argument("--case", type=int, help="queue and render one letter for this case")
        parser.add_argument("--purpose", default=Purpose.DEMAND_LETTER, choices=[Purpose.DEMAND_LETTER,
                                                                                  Purpose.LAWYER_LETTER])  # fmt: skip
        parser.add_argument("--out", type=Path, default=None, help="directory (default var/letters)")
        parser.add_argument("--workers", type=int, default=None)

    def handle(self, *args: Any, **options: Any) -> None:

        batch = options["batch"]
        if options["case"]:
            case = Case.objects.filter(pk=options["case"]).first()
            if case is None:
                raise CommandError(f"no case {options['case']}")
            stamp = clock.now().strftime("%Y%m%d%H%M%S")
            batch = f"case:{case.pk}:{stamp}"
            queued = queue_message(
                Request(idempotency_key=f"letter:{case.pk}:{options['purpose']}:{stamp}", debtor_id=case.debtor_id,
                        channel=CommChannel.LETTER, purpose=options["purpose"], tone=Tone.FORMAL, case_id=case.pk,
                        batch=batch)
            )  # fmt: skip
            if queued is None:
                raise CommandError("no letter queued: no active template or no address for this debtor")
        if not batch:
            raise CommandError("give --batch or --case")
        result = render_letter_batch(batch, out_dir=options["out"], workers=options["workers"])
        self.stdout.write(
            json.dumps({"batch": batch, "letters": result.letters, "blocked": result.blocked,
                        "print_file": str(result.print_file or ""), "directory": str(result.directory)})
        )  # fmt: skip
