"""Triggers that keep strategy_queuecount (models.QueueCount) in step with the work items.

PostgreSQL: statement-level triggers with transition tables, so a night's COPY of half a million items adds
one aggregate over the copied rows, not a trigger call per row; each statement appends its net change per
(assignee, day, status) and updates no existing row, so concurrent writers never lock each other out. An
UPDATE that changes none of the three columns nets to nothing and writes nothing. A TRUNCATE of the items
empties the counts. SQLite: row triggers that add to the key's one row (SQLite has one writer at a time).
Items without an assignee are not counted.
"""

from django.db import migrations

ITEMS, COUNTS = "strategy_workitem", "strategy_queuecount"

_NET = f"""INSERT INTO {COUNTS} (assignee_id, as_of, status, n)
  SELECT assignee_id, as_of, status, sum(n) FROM ({{rows}}) AS changed
  WHERE assignee_id IS NOT NULL GROUP BY assignee_id, as_of, status HAVING sum(n) <> 0;"""
_ADDED = "SELECT assignee_id, as_of, status, 1 AS n FROM added"
_REMOVED = "SELECT assignee_id, as_of, status, -1 AS n FROM removed"

POSTGRES = {
    "strategy_queue_count_insert": ("INSERT", "REFERENCING NEW TABLE AS added", _NET.format(rows=_ADDED)),
    "strategy_queue_count_delete": ("DELETE", "REFERENCING OLD TABLE AS removed", _NET.format(rows=_REMOVED)),
    "strategy_queue_count_update": (
        "UPDATE",
        "REFERENCING OLD TABLE AS removed NEW TABLE AS added",
        _NET.format(rows=f"{_REMOVED} UNION ALL {_ADDED}"),
    ),
    "strategy_queue_count_truncate": ("TRUNCATE", "", f"DELETE FROM {COUNTS};"),
}


def _sqlite_change(row: str, sign: str) -> str:
    key = f"assignee_id = {row}.assignee_id AND as_of = {row}.as_of AND status = {row}.status"
    return f"""INSERT INTO {COUNTS} (assignee_id, as_of, status, n)
      SELECT {row}.assignee_id, {row}.as_of, {row}.status, 0
      WHERE {row}.assignee_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {COUNTS} WHERE {key});
    UPDATE {COUNTS} SET n = n {sign} 1 WHERE {row}.assignee_id IS NOT NULL AND {key};"""


SQLITE = {
    "strategy_queue_count_insert": f"AFTER INSERT ON {ITEMS} BEGIN {_sqlite_change('NEW', '+')} END",
    "strategy_queue_count_delete": f"AFTER DELETE ON {ITEMS} BEGIN {_sqlite_change('OLD', '-')} END",
    "strategy_queue_count_update": (
        f"AFTER UPDATE OF assignee_id, as_of, status ON {ITEMS}"
        " WHEN OLD.assignee_id IS NOT NEW.assignee_id OR OLD.as_of IS NOT NEW.as_of OR OLD.status IS NOT NEW.status"
        f" BEGIN {_sqlite_change('OLD', '-')} {_sqlite_change('NEW', '+')} END"
    ),
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name, (event, referencing, body) in POSTGRES.items():
            schema_editor.execute(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {body} RETURN NULL; END $$"
            )
            schema_editor.execute(
                f"CREATE TRIGGER {name} AFTER {event} ON {ITEMS} {referencing}"
                f" FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
            )
    elif schema_editor.connection.vendor == "sqlite":
        for name, definition in SQLITE.items():
            schema_editor.execute(f"CREATE TRIGGER {name} {definition}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in POSTGRES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {ITEMS}")
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}()")
    elif schema_editor.connection.vendor == "sqlite":
        for name in SQLITE:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("strategy", "0008_queue_count")]
    operations = [migrations.RunPython(create, drop)]
