"""Triggers that keep cases_promisehour (models.PromiseHour) in step with the promises' creation times, and
the counts of the promises that existed before them.

The same shape as 0008 (the cases held): PostgreSQL statement-level triggers with transition tables (the
snapshot journal's triggers on cases_promise capture the same tables already) appending each statement's net
change per hour, so a bulk insert adds one aggregate and concurrent writers never wait on each other; an
UPDATE that moves no creation time nets to nothing; a TRUNCATE empties the counts. SQLite: row triggers on
the hour's one row. Hours are UTC (``date_trunc`` in UTC, SQLite's stored UTC text), so a period that starts
and ends on whole hours of any zone's wall clock is a set of whole rows.
"""

from django.db import migrations

PROMISES, COUNTS = "cases_promise", "cases_promisehour"

_HOUR = "date_trunc('hour', created_at, 'UTC')"
_NET = f"""INSERT INTO {COUNTS} (hour, n)
  SELECT hour, sum(n) FROM ({{rows}}) AS changed GROUP BY hour HAVING sum(n) <> 0;"""
_ADDED = f"SELECT {_HOUR} AS hour, 1 AS n FROM added"
_REMOVED = f"SELECT {_HOUR} AS hour, -1 AS n FROM removed"

POSTGRES = {
    "cases_promise_hour_insert": ("INSERT", "REFERENCING NEW TABLE AS added", _NET.format(rows=_ADDED)),
    "cases_promise_hour_delete": ("DELETE", "REFERENCING OLD TABLE AS removed", _NET.format(rows=_REMOVED)),
    "cases_promise_hour_update": (
        "UPDATE",
        "REFERENCING OLD TABLE AS removed NEW TABLE AS added",
        _NET.format(rows=f"{_REMOVED} UNION ALL {_ADDED}"),
    ),
    "cases_promise_hour_truncate": ("TRUNCATE", "", f"DELETE FROM {COUNTS};"),
}


def _sqlite_change(row: str, sign: str) -> str:
    hour = f"strftime('%Y-%m-%d %H:00:00', {row}.created_at)"
    return f"""INSERT INTO {COUNTS} (hour, n)
      SELECT {hour}, 0 WHERE NOT EXISTS (SELECT 1 FROM {COUNTS} WHERE hour = {hour});
    UPDATE {COUNTS} SET n = n {sign} 1 WHERE hour = {hour};"""


SQLITE = {
    "cases_promise_hour_insert": f"AFTER INSERT ON {PROMISES} BEGIN {_sqlite_change('NEW', '+')} END",
    "cases_promise_hour_delete": f"AFTER DELETE ON {PROMISES} BEGIN {_sqlite_change('OLD', '-')} END",
    "cases_promise_hour_update": (
        f"AFTER UPDATE OF created_at ON {PROMISES} WHEN OLD.created_at IS NOT NEW.created_at"
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
                f"CREATE TRIGGER {name} AFTER {event} ON {PROMISES} {referencing}"
                f" FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
            )
        hour = _HOUR
    elif schema_editor.connection.vendor == "sqlite":
        for name, definition in SQLITE.items():
            schema_editor.execute(f"CREATE TRIGGER {name} {definition}")
        hour = "strftime('%Y-%m-%d %H:00:00', created_at)"
    else:
        return
    schema_editor.execute(f"INSERT INTO {COUNTS} (hour, n) SELECT {hour}, count(*) FROM {PROMISES} GROUP BY 1")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in POSTGRES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {PROMISES}")
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}()")
    elif schema_editor.connection.vendor == "sqlite":
        for name in SQLITE:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
    schema_editor.execute(f"DELETE FROM {COUNTS}")


class Migration(migrations.Migration):
    dependencies = [("cases", "0009_promise_hour")]
    operations = [migrations.RunPython(create, drop)]
