"""`huikuan comms dispatch`: consume payments' pending messages and send what is due (once, or in a loop)."""

from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from huikuan.comms.dispatch import dispatch_due
from huikuan.comms.feeds import consume_pending_messages


class Command(BaseCommand):
    help = "Send the outbox's due messages through the configured providers."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", action="store_true", help="keep dispatching every --interval seconds")
        parser.add_argument("--interval", type=float, default=10.0)
        parser.add_argument("--max-batches", type=int, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            pending = consume_pending_messages().queued
            report = dispatch_due(max_batches=options["max_batches"])
            self.stdout.write(json.dumps({"pending_queued": pending, **report.as_dict()}))
            if not options["loop"]:
                return
            time.sleep(options["interval"])
