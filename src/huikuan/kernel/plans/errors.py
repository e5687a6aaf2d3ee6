"""The one error record plan functions return instead of raising on bad input."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PlanError:
    """``message`` in English for logs and the API; ``code`` and ``params`` for a sentence in the user's
    language, where the app words it (an error without a code is shown by its message)."""

    message: str
    code: str = ""
    params: tuple[tuple[str, str], ...] = ()
