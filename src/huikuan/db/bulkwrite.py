"""Set-based writes that bypass per-object ORM work: COPY on PostgreSQL, executemany on SQLite.

Building a Django model instance and preparing every field costs ~50 µs a row; an import of 100,000
accounts writes ~700,000 rows. These helpers take rows that are already database values (money as
integer fen, dates as ISO text) and write them with one statement per chunk.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Sequence
from typing import Any

import polars as pl
from django.db import connection
from django.db.models import Model

Row = Sequence[Any]


def _conflict_clause(conflict: Sequence[str], update: Sequence[str]) -> str:
    target = ", ".join(conflict)
    if not update:
        return f"ON CONFLICT ({target}) DO NOTHING"
    sets = ", ".join(f"{c} = excluded.{c}" for c in update)
    return f"ON CONFLICT ({target}) DO UPDATE SET {sets}"


def insert_rows(
    table: str,
    columns: Sequence[str],
    rows: Sequence[Row],
    *,
    conflict: Sequence[str],
    update: Sequence[str] = (),
    returning: Sequence[str] = (),
) -> list[tuple[Any, ...]] | None:
    """INSERT … ON CONFLICT for many rows; `update` empty means existing rows are left alone.

    With `returning`, PostgreSQL hands back those columns of every inserted or updated row plus a last
    flag telling whether the row is new; SQLite returns None and the caller reads the rows back.
    """
    if not rows:
        return [] if returning and connection.vendor == "postgresql" else None
    cols = ", ".join(columns)
    clause = _conflict_clause(conflict, update)
    if connection.vendor == "postgresql":
        return _copy_insert(table, columns, rows, clause, returning)
    placeholders = ", ".join(["%s"] * len(columns))
    # The WHERE true keeps SQLite's parser from reading ON CONFLICT as a join constraint.
    sql = f"INSERT INTO {table} ({cols}) VALUES ({placeholders}) {clause}"
    with connection.cursor() as cursor:
        cursor.executemany(sql, [list(r) for r in rows])
    return None


def _copy_insert(
    table: str, columns: Sequence[str], rows: Sequence[Row], clause: str, returning: Sequence[str]
) -> list[tuple[Any, ...]] | None:
    cols = ", ".join(columns)
    # One staging table per column list: two writers of one table with different columns (the import's
    # entries and the payments' entries, which carry ids) must not share a temporary table's shape.
    stage = f"_stage_{table}_{zlib.crc32(cols.encode()):08x}"
    # psycopg's own errors (a UniqueViolation when a racing transaction committed the same key) become
    # Django's IntegrityError and friends, as through Django's cursor: callers catch those, not psycopg's.
    with connection.cursor() as cursor, connection.wrap_database_errors:
        raw = cursor.cursor  # psycopg's own cursor: Django's wrapper has no COPY
        raw.execute(f"CREATE TEMP TABLE IF NOT EXISTS {stage} AS SELECT {cols} FROM {table} WITH NO DATA")
        raw.execute(f"TRUNCATE {stage}")
        with raw.copy(f"COPY {stage} ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        sql = f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {stage} {clause}"
        if not returning:
            raw.execute(sql)
            return None
        # xmax is 0 only on a freshly inserted tuple: the standard way to tell insert from update.
        raw.execute(f"{sql} RETURNING {', '.join(returning)}, (xmax = 0)")
        return [tuple(r) for r in raw.fetchall()]


def upsert_ids(
    model: type[Model],
    columns: Sequence[str],
    rows: Sequence[Row],
    *,
    key: str,
    update: Sequence[str] = (),
) -> tuple[dict[Any, int], set[Any]]:
    """Insert-or-update rows identified by the unique column `key`.

    Returns key → primary key for every row, and the keys that existed before. PostgreSQL answers both
    from the INSERT itself; SQLite needs a look before and after.
    """
    table = model._meta.db_table
    keys = [r[columns.index(key)] for r in rows]
    manager = model._default_manager
    if connection.vendor == "postgresql":
        returned = insert_rows(table, columns, rows, conflict=[key], update=update, returning=[key, "id"]) or []
        return {r[0]: r[1] for r in returned}, {r[0] for r in returned if not r[2]}
    existing = set(manager.filter(**{f"{key}__in": keys}).values_list(key, flat=True))
    insert_rows(table, columns, rows, conflict=[key], update=update)
    return dict(manager.filter(**{f"{key}__in": keys}).values_list(key, "id")), existing


def update_rows(table: str, columns: Sequence[str], rows: Sequence[Row]) -> int:
    """Set `columns` on the rows given as (id, *values), values already database values.

    Django's bulk_update builds a CASE expression per field and row, which costs more than the write
    itself at tens of thousands of rows; PostgreSQL gets COPY into a staging table and one UPDATE … FROM.
    """
    if not rows:
        return 0
    cols = ", ".join(columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            stage = f"_update_{table}"
            raw = cursor.cursor  # psycopg's own cursor: Django's wrapper has no COPY
            raw.execute(f"CREATE TEMP TABLE IF NOT EXISTS {stage} AS SELECT id, {cols} FROM {table} WITH NO DATA")
            raw.execute(f"TRUNCATE {stage}")
            with raw.copy(f"COPY {stage} (id, {cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            sets = ", ".join(f"{c} = s.{c}" for c in columns)
            raw.execute(f"UPDATE {table} t SET {sets} FROM {stage} s WHERE t.id = s.id")
        else:
            sets = ", ".join(f"{c} = %s" for c in columns)
            cursor.executemany(f"UPDATE {table} SET {sets} WHERE id = %s", [(*r[1:], r[0]) for r in rows])
    return len(rows)


def reserve_ids(model: type[Model], count: int) -> list[int]:
    """Primary keys for `count` new rows, so a bulk writer can link rows before inserting them.

    PostgreSQL hands them out from the column's sequence (safe under concurrency); SQLite writers hold
    the database's write lock for the whole transaction, so the next free numbers are ours alone.
    """
    if count <= 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count]
            )
            return [r[0] for r in cursor.fetchall()]
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
        top = cursor.fetchone()[0]
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        start = max(top, row[0] if row else 0) + 1
    return list(range(start, start + count))


def copy_frame(table: str, frame: pl.DataFrame) -> int:
    """Append a frame's rows to ``table`` (its columns by name): COPY on PostgreSQL, executemany on SQLite.

    No conflict handling: the caller has removed what the rows replace (the fact writers delete their day
    first). Dates travel as ISO text, NULLs as NULL, empty strings as empty strings.
    """
    if frame.height == 0:
        return 0
    columns = ", ".join(frame.columns)
    as_text = frame.with_columns(pl.col(pl.Date).dt.to_string("%Y-%m-%d"))
    if connection.vendor == "postgresql":
        buffer = io.BytesIO()
        as_text.write_csv(buffer, include_header=False, null_value="\\N")
        sql = f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv, NULL '\\N')"
        with connection.cursor() as cursor, connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
            copy.write(buffer.getvalue())
        return frame.height
    placeholders = ", ".join(["%s"] * frame.width)
    with connection.cursor() as cursor:
        for start in range(0, frame.height, 20_000):
            chunk = as_text.slice(start, 20_000)
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", chunk.rows())
    return frame.height
