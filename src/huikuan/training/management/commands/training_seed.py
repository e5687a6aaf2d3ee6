"""Store the shipped training scenarios the library lacks (the demo and a fresh installation run it)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from huikuan.training.actions import seed_library


class Command(BaseCommand):
    help = "Store the shipped training scenarios the scenario library lacks."

    def handle(self, *args: Any, **options: Any) -> None:
        added = seed_library(None)
        self.stdout.write(f"training scenarios added: {added}")
