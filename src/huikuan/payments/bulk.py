"""Reading query results into Polars and writing changed columns back, in bulk on both databases.

PostgreSQL gets COPY both ways (the nightly jobs move millions of rows); SQLite, the demo database,
gets a plain fetch and executemany, which is fast enough at its sizes.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import polars as pl
from django.db import connection, models


def read_frame(sql: str, params: Sequence[Any], schema: Mapping[str, Any]) -> pl.DataFrame:
    """The rows of ``sql`` (placeholders %s) as a frame with ``schema``'s column names and types."""
    names = list(schema)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            from psycopg import sql as pgsql

            # COPY takes no server-side parameters; psycopg quotes the values client-side instead.
            statement = pgsql.SQL(sql.replace("%s", "{}")).format(*[pgsql.Literal(p) for p in params])
            buffer = io.BytesIO()
            raw = cursor.cursor
            with raw.copy(pgsql.SQL("COPY ({}) TO STDOUT WITH (FORMAT csv)").format(statement)) as copy:
                for block in copy:
                    buffer.write(block)
            if buffer.tell() == 0:
                return pl.DataFrame(schema=dict(schema))
            buffer.seek(0)
            return pl.read_csv(buffer, has_header=False, new_columns=names, schema=dict(schema))
        cursor.execute(sql, list(params))
        rows = cursor.fetchall()
    return pl.DataFrame(rows, schema=dict(schema), orient="row")


def update_by_id(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Set ``columns`` of the rows ``(id, *values)``; values are raw column values (fen, not Decimal)."""
    table = model._meta.db_table
    data = [tuple(r) for r in rows]
    if not data:
        return 0
    cols = ", ".join(columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP TABLE IF EXISTS _huikuan_bulk_update")
            cursor.execute(f"CREATE TEMP TABLE _huikuan_bulk_update AS SELECT id, {cols} FROM {table} WITH NO DATA")
            raw = cursor.cursor
            with raw.copy(f"COPY _huikuan_bulk_update (id, {cols}) FROM STDIN") as copy:
                for row in data:
                    copy.write_row(row)
            sets = ", ".join(f"{c} = u.{c}" for c in columns)
            cursor.execute(f"UPDATE {table} t SET {sets} FROM _huikuan_bulk_update u WHERE t.id = u.id")
            cursor.execute("DROP TABLE _huikuan_bulk_update")
        else:
            sets = ", ".join(f"{c} = %s" for c in columns)
            cursor.executemany(f"UPDATE {table} SET {sets} WHERE id = %s", [(*r[1:], r[0]) for r in data])
    return len(data)
