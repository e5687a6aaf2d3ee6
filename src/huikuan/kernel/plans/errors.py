"""The one error record plan functions return instead of raising on bad input."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PlanError:
    message: str
