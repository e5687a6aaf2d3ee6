"""Set-based reads into Polars: ``COPY (query) TO STDOUT`` on PostgreSQL, the cursor on SQLite.

The nightly strategy run and its contact gate read columns for a million cases; building a Python object
per row (ORM instances, or even ``values_list`` tuples through Django) costs more than the database's own
work. On PostgreSQL the rows travel as CSV straight into Polars' parser; SQLite goes through the cursor.
The SQL is the same on both, so both give the same frame.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date
from typing import Any, cast

import polars as pl
from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import Lookup
from django.db.models.expressions import RawSQL

# Memory for one sort or hash table of a whole-book aggregate (PostgreSQL may use twice this for hashes). At
# the server's default of 4 MB, grouping a million cases spills to temporary files and takes twice as long.
BULK_WORK_MEM = "128MB"


@contextmanager
def bulk_reads() -> Iterator[None]:
    """A transaction whose aggregate queries over the whole book run in memory and without JIT.

    PostgreSQL compiles large queries just in time by default: over a second per query here, for plans
    that are scans, hash joins and grouping where compiled expressions save less than that. ``SET LOCAL``
    ends with the transaction, so nothing leaks into the connection's other work.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL work_mem = '{BULK_WORK_MEM}'")
                cursor.execute("SET LOCAL jit = off")
        yield


def read_frame(
    sql: str, params: Sequence[Any] | Mapping[str, Any], schema: Mapping[str, pl.DataType | type[pl.DataType]]
) -> pl.DataFrame:
    """The query's rows as a frame with ``schema`` (names and types in select order); dates come as ISO text.

    ``params`` fill ``%s`` (a sequence) or ``%(name)s`` (a mapping) placeholders.
    """
    schema = {n: (dtype() if isinstance(dtype, type) else dtype) for n, dtype in schema.items()}
    names = list(schema)
    if connection.vendor == "postgresql":
        raw = connection.cursor().cursor
        buffer = io.BytesIO()
        copy_sql = f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)"
        # psycopg binds COPY parameters on the client side; the values are dates and numbers we made.
        with raw.copy(copy_sql, params) as copy:
            for block in copy:
                buffer.write(block)
        if buffer.tell() == 0:
            return pl.DataFrame(schema=schema)
        buffer.seek(0)
        text_schema = {n: (pl.Utf8 if dtype == pl.Date() else dtype) for n, dtype in schema.items()}
        frame = pl.read_csv(buffer, has_header=False, new_columns=names, schema_overrides=text_schema)
    else:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        text_schema = {n: (pl.Utf8 if dtype in (pl.Date(), pl.Boolean()) else dtype) for n, dtype in schema.items()}
        frame = pl.DataFrame(
            [tuple(str(v) if isinstance(v, date) else v for v in row) for row in rows],
            schema=text_schema,
            orient="row",
        )
    return frame.with_columns([pl.col(n).str.to_date("%Y-%m-%d") for n, dtype in schema.items() if dtype == pl.Date()])


def one_of(values: Iterable[int] | Iterable[str]) -> RawSQL:
    """The right-hand side of ``field__in`` for many values, bound as one parameter.

    ``field__in=[...]`` makes Django prepare every value (about 15 µs each) and SQLite refuses more than
    32,766 of them; queuing a night's messages asks about hundreds of thousands of ids. PostgreSQL takes
    an array, SQLite a JSON list.
    """
    items = list(values)
    if connection.vendor == "postgresql":
        if items and isinstance(items[0], str):
            return RawSQL("SELECT unnest(%s::text[])", (items,))
        return RawSQL("SELECT unnest(%s::bigint[])", (id_array_literal(cast(list[int], items)),))
    return RawSQL("SELECT value FROM json_each(%s)", (json.dumps(items),))


class AnyOf(Lookup):
    """``lhs`` is one of ``values``, bound as one parameter: ``AnyOf(F("id"), ids)`` inside ``filter()``.

    ``one_of``'s ``IN (SELECT unnest(array))`` hides the array's length from PostgreSQL's planner, which then
    hashes the ids and scans the whole table; ``= ANY(array)`` it estimates, and probes the index for a few
    ten thousand keys out of millions (a night's message keys: 0.2 s instead of 0.5-0.8 s, and not growing
    with the outbox). Where a scan is cheaper, it still scans. SQLite takes a JSON list, as in ``one_of``.
    """

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        lhs, params = self.process_lhs(compiler, connection)
        items = list(self.rhs)
        if not items:
            # As ``field__in=[]``: no rows, and no statement sent (nor an empty array of a guessed type).
            raise EmptyResultSet
        if connection.vendor == "postgresql":
            if items and isinstance(items[0], str):
                return f"{lhs} = ANY(%s::text[])", (*params, items)
            return f"{lhs} = ANY(%s::bigint[])", (*params, id_array_literal(cast(list[int], items)))
        return f"{lhs} IN (SELECT value FROM json_each(%s))", (*params, json.dumps(items))


def id_array_literal(ids: Iterable[int]) -> str:
    """Ids as one PostgreSQL array literal ('{1,2,3}', bound as text and cast to bigint[]).

    psycopg adapts a list element by element in Python (a quarter of a second per hundred thousand);
    joining their decimal digits costs a few milliseconds.
    """
    return "{" + ",".join(str(int(v)) for v in ids) + "}"
