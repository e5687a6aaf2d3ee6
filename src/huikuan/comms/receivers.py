"""Comms reacting to the apps below it: their signals, connected in CommsConfig.ready()."""

from __future__ import annotations

from typing import Any

from huikuan.cases.signals import cases_closed
from huikuan.comms.optouts import cancel_collection_messages


def _cancel_for_closed_cases(sender: Any, case_ids: list[int], **kwargs: Any) -> None:
    cancel_collection_messages(case_ids)


def connect() -> None:
    cases_closed.connect(_cancel_for_closed_cases, dispatch_uid="comms.cancel_for_closed_cases")
