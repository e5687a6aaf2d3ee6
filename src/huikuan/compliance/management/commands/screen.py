from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from huikuan.kernel.compliance.screening import screen_lines


class Command(BaseCommand):
    help = "Screen text for abuse, threats, false legal claims and disclosure: one text per stdin line, JSON out."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--lang", choices=["zh", "en"], default="zh")
        parser.add_argument("--audience", choices=["debtor", "third_party"], default="debtor")
        parser.add_argument("--source", choices=["template", "message", "note", "transcript"], default="message")

    def handle(self, *args: Any, **options: Any) -> None:
        for line in screen_lines(sys.stdin, options["lang"], options["audience"], options["source"]):
            self.stdout.write(line)
