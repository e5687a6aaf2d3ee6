"""Cutting long id lists into pieces a statement can take.

SQLite refuses more than 32,766 bound parameters and PostgreSQL plans a long ``IN`` list slowly, so reads
and writes by id go in chunks; the size is the caller's, because what fits depends on the row.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")

DEFAULT_CHUNK = 5000


def chunked(items: Sequence[T], size: int = DEFAULT_CHUNK) -> Iterator[Sequence[T]]:
    """Consecutive slices of ``items`` of at most ``size`` elements, in order."""
    if size < 1:
        raise ValueError("chunk size must be at least 1")
    for start in range(0, len(items), size):
        yield items[start : start + size]
