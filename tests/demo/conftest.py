"""The demo as `make demo` builds it (users, a generated portfolio dated today, templates, the default policy and
tonight's strategy run), smaller: what a new user opens, checked for the consistency they would expect."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest


@pytest.fixture
def demo(db: None, settings: Any) -> None:
    from django.core.management import call_command

    # One shard: the run stays in this process, inside the test's transaction (child processes would not see it).
    settings.HUIKUAN_STRATEGY_SHARDS = 1
    call_command("demo", debtors=150, seed=1, stdout=StringIO())
