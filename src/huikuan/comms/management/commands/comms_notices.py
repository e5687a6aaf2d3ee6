"""`huikuan comms notices`: queue the US validation notice of every case in collection without one."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from huikuan.comms.validation import queue_validation_notices
from huikuan.compliance.validation import rule_in_force


class Command(BaseCommand):
    help = "Queue the US validation notice (12 CFR 1006.34) of every case in collection that has none."

    def handle(self, *args: Any, **options: Any) -> None:
        if not rule_in_force("validation_dispute"):
            self.stdout.write("the rule pack in force has no validation notice (COMPLIANCE_PACK=us has): nothing to do")
            return
        report = queue_validation_notices()
        self.stdout.write(
            f"validation notices queued: {report.queued}; not queued (no address or template): {report.not_queued}"
        )
