"""Reading query results into Polars in bulk: COPY on PostgreSQL, a plain fetch on SQLite.

Writing back goes through portfolio.bulkwrite (COPY into a staging table, one UPDATE … FROM).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl
from django.db import connection


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
