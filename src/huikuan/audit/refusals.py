"""Refused accesses, noted where the refusal is decided and written once the request is answered.

A refusal is decided deep inside a view or an action, often inside a transaction that the refusal itself
rolls back; the row is written by RefusalAuditMiddleware after the response, outside any transaction.
Outside a request (a command, a task) there is nobody to answer and nothing is noted.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class Refusal:
    reason: str
    subject_type: str = ""
    subject_id: str = ""


_NOTED: ContextVar[list[Refusal] | None] = ContextVar("huikuan_refusals", default=None)


def note_refusal(reason: str, subject_type: str = "", subject_id: object = "") -> None:
    noted = _NOTED.get()
    if noted is not None:
        noted.append(Refusal(reason, subject_type, str(subject_id)))


def collecting() -> tuple[list[Refusal], object]:
    """Starts noting for one request: the list that fills, and the token that ends it (finish)."""
    noted: list[Refusal] = []
    return noted, _NOTED.set(noted)


def finish(token: object) -> None:
    _NOTED.reset(token)  # type: ignore[arg-type]
