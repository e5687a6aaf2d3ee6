"""Counts the database keeps by appending rows (statement triggers add each statement's net change as a row of
its own, so concurrent writers never wait on one another): the triggers (`CountTriggers`, created by the
migrations of the counts) and the folding that keeps such a table small (`fold_counts`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
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


@dataclass(frozen=True)
class CountTriggers:
    """The triggers that keep ``counts`` (the ``keys`` columns and an integer ``n``) in step with ``source``.

    PostgreSQL: statement-level triggers with transition tables, so a bulk write (a COPY, a night's update of
    hundreds of thousands of rows) adds one aggregate over the changed rows, not a trigger call per row; each
    statement appends its net change per key and updates no existing row, so concurrent writers never lock each
    other out. An UPDATE that moves no key nets to nothing and writes nothing; a TRUNCATE empties the counts.
    SQLite: row triggers that add to the key's one row (SQLite has one writer at a time).

    Each key is an expression over the source row: ``postgres`` over its bare columns (the transition tables'
    rows), ``sqlite`` with ``{row}.`` before each column (NEW or OLD). ``counted``: which rows count, in the
    same two forms ("" counts every row). ``watched``: the source columns an UPDATE must change to move a count.
    """

    name: str  # the triggers' (and their functions') names start with it
    source: str
    counts: str
    keys: Sequence[tuple[str, str, str]]  # (count column, PostgreSQL expression, SQLite expression)
    watched: Sequence[str]
    counted: tuple[str, str] = ("", "")  # (PostgreSQL condition on the counts' columns, SQLite condition)

    def _columns(self) -> str:
        return ", ".join(column for column, _, _ in self.keys)

    def _postgres(self) -> dict[str, tuple[str, str, str]]:
        columns = self._columns()
        where = f"WHERE {self.counted[0]} " if self.counted[0] else ""
        net = (
            f"INSERT INTO {self.counts} ({columns}, n)\n"
            f"  SELECT {columns}, sum(n) FROM ({{rows}}) AS changed\n"
            f"  {where}GROUP BY {columns} HAVING sum(n) <> 0;"
        )
        picked = ", ".join(column if expr == column else f"{expr} AS {column}" for column, expr, _ in self.keys)
        added, removed = f"SELECT {picked}, 1 AS n FROM added", f"SELECT {picked}, -1 AS n FROM removed"
        return {
            f"{self.name}_insert": ("INSERT", "REFERENCING NEW TABLE AS added", net.format(rows=added)),
            f"{self.name}_delete": ("DELETE", "REFERENCING OLD TABLE AS removed", net.format(rows=removed)),
            f"{self.name}_update": (
                "UPDATE",
                "REFERENCING OLD TABLE AS removed NEW TABLE AS added",
                net.format(rows=f"{removed} UNION ALL {added}"),
            ),
            f"{self.name}_truncate": ("TRUNCATE", "", f"DELETE FROM {self.counts};"),
        }

    def _sqlite_change(self, row: str, sign: str) -> str:
        values = [expr.replace("{row}", row) for _, _, expr in self.keys]
        key = " AND ".join(f"{column} = {value}" for (column, _, _), value in zip(self.keys, values, strict=True))
        counted = f"{self.counted[1].replace('{row}', row)} AND " if self.counted[1] else ""
        return (
            f"INSERT INTO {self.counts} ({self._columns()}, n) SELECT {', '.join(values)}, 0"
            f" WHERE {counted}NOT EXISTS (SELECT 1 FROM {self.counts} WHERE {key});"
            f" UPDATE {self.counts} SET n = n {sign} 1 WHERE {counted}{key};"
        )

    def _sqlite(self) -> dict[str, str]:
        moved = " OR ".join(f"OLD.{column} IS NOT NEW.{column}" for column in self.watched)
        return {
            f"{self.name}_insert": f"AFTER INSERT ON {self.source} BEGIN {self._sqlite_change('NEW', '+')} END",
            f"{self.name}_delete": f"AFTER DELETE ON {self.source} BEGIN {self._sqlite_change('OLD', '-')} END",
            f"{self.name}_update": (
                f"AFTER UPDATE OF {', '.join(self.watched)} ON {self.source} WHEN {moved}"
                f" BEGIN {self._sqlite_change('OLD', '-')} {self._sqlite_change('NEW', '+')} END"
            ),
        }

    def create(self, schema_editor: Any, *, seed: bool = False) -> None:
        """Create the triggers; ``seed``: and count the rows already there, in the same transaction (CREATE
        TRIGGER locks out the source's writers until the commit, so no change falls between the two)."""
        vendor = schema_editor.connection.vendor
        if vendor == "postgresql":
            for name, (event, referencing, body) in self._postgres().items():
                schema_editor.execute(
                    f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {body} RETURN NULL; END $$"
                )
                schema_editor.execute(
                    f"CREATE TRIGGER {name} AFTER {event} ON {self.source} {referencing}"
                    f" FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
                )
            exprs, counted = [expr for _, expr, _ in self.keys], self.counted[0]
        elif vendor == "sqlite":
            for name, definition in self._sqlite().items():
                schema_editor.execute(f"CREATE TRIGGER {name} {definition}")
            exprs = [expr.replace("{row}.", "") for _, _, expr in self.keys]
            counted = self.counted[1].replace("{row}.", "")
        else:
            return
        if seed:
            where = f" WHERE {counted}" if counted else ""
            positions = ", ".join(str(n) for n in range(1, len(exprs) + 1))
            schema_editor.execute(
                f"INSERT INTO {self.counts} ({self._columns()}, n) SELECT {', '.join(exprs)}, count(*)"
                f" FROM {self.source}{where} GROUP BY {positions}"
            )

    def drop(self, schema_editor: Any, *, seeded: bool = False) -> None:
        """Drop the triggers; ``seeded``: and the counts, which ``create`` seeded."""
        vendor = schema_editor.connection.vendor
        if vendor == "postgresql":
            for name in self._postgres():
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {self.source}")
                schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}()")
        elif vendor == "sqlite":
            for name in self._sqlite():
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
        if seeded:
            schema_editor.execute(f"DELETE FROM {self.counts}")
