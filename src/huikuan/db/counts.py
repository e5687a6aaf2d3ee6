"""Counts the database keeps by appending rows (statement triggers add each statement's net change as a row of
its own, so concurrent writers never wait on one another), and the folding that keeps such a table small."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import connection, transaction


def fold_counts(table: str, keys: Sequence[str], where: str = "", params: Mapping[str, Any] | None = None) -> int:
    """Fold the rows of ``table`` (``keys`` + an integer ``n``) into one per key; returns the keys folded.

    ``where``: an SQL condition limiting the rows folded (``%(name)s`` placeholders filled from ``params``).
    One statement on PostgreSQL, which deletes exactly the rows it sums whatever commits meanwhile, and
    touches only keys with more than one row (or a zero sum). SQLite's row triggers keep one row a key
    already; its zero rows go.
    """
    columns = ", ".join(keys)
    limit = f"({where}) AND " if where else ""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"WITH folded AS (DELETE FROM {table} WHERE {limit}({columns}) IN"
                f" (SELECT {columns} FROM {table} WHERE {where or 'TRUE'}"
                f"   GROUP BY {columns} HAVING count(*) > 1 OR sum(n) = 0)"
                f"  RETURNING {columns}, n)"
                f" INSERT INTO {table} ({columns}, n)"
                f" SELECT {columns}, sum(n) FROM folded GROUP BY {columns} HAVING sum(n) <> 0",
                dict(params or {}),
            )
            return cursor.rowcount
        cursor.execute(f"DELETE FROM {table} WHERE {limit}n = 0", dict(params or {}))
        return 0
