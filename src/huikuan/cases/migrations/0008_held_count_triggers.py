"""Triggers that keep cases_heldcount (models.HeldCount) in step with the cases' assignees, and the counts of
the cases that existed before them.

PostgreSQL: statement-level triggers with transition tables (the snapshot journal's triggers on cases_case
capture the same tables already), so an import or a night's reassignment of 400,000 cases adds one aggregate
over the changed rows, not a trigger call per row; each statement appends its net change per assignee and
updates no existing row, so concurrent writers never lock each other out. An UPDATE that changes no assignee
nets to nothing and writes nothing. A TRUNCATE of the cases empties the counts. SQLite: row triggers that add
to the user's one row (SQLite has one writer at a time). Cases without an assignee are not counted.

Created and seeded in one transaction: CREATE TRIGGER locks out writers of cases_case until the commit, so
no change falls between the seed and the first trigger.
"""

from django.db import migrations

CASES, COUNTS = "cases_case", "cases_heldcount"

_NET = f"""INSERT INTO {COUNTS} (assignee_id, n)
  SELECT assignee_id, sum(n) FROM ({{rows}}) AS changed
  WHERE assignee_id IS NOT NULL GROUP BY assignee_id HAVING sum(n) <> 0;"""
_ADDED = "SELECT assignee_id, 1 AS n FROM added"
_REMOVED = "SELECT assignee_id, -1 AS n FROM removed"

POSTGRES = {
    "cases_held_count_insert": ("INSERT", "REFERENCING NEW TABLE AS added", _NET.format(rows=_ADDED)),
    "cases_held_count_delete": ("DELETE", "REFERENCING OLD TABLE AS removed", _NET.format(rows=_REMOVED)),
    "cases_held_count_update": (
        "UPDATE",
        "REFERENCING OLD TABLE AS removed NEW TABLE AS added",
        _NET.format(rows=f"{_REMOVED} UNION ALL {_ADDED}"),
    ),
    "cases_held_count_truncate": ("TRUNCATE", "", f"DELETE FROM {COUNTS};"),
}


def _sqlite_change(row: str, sign: str) -> str:
    key = f"assignee_id = {row}.assignee_id"
    return f"""INSERT INTO {COUNTS} (assignee_id, n)
      SELECT {row}.assignee_id, 0
      WHERE {row}.assignee_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {COUNTS} WHERE {key});
    UPDATE {COUNTS} SET n = n {sign} 1 WHERE {row}.assignee_id IS NOT NULL AND {key};"""


SQLITE = {
    "cases_held_count_insert": f"AFTER INSERT ON {CASES} BEGIN {_sqlite_change('NEW', '+')} END",
    "cases_held_count_delete": f"AFTER DELETE ON {CASES} BEGIN {_sqlite_change('OLD', '-')} END",
    "cases_held_count_update": (
        f"AFTER UPDATE OF assignee_id ON {CASES} WHEN OLD.assignee_id IS NOT NEW.assignee_id"
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
                f"CREATE TRIGGER {name} AFTER {event} ON {CASES} {referencing}"
                f" FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
            )
    elif schema_editor.connection.vendor == "sqlite":
        for name, definition in SQLITE.items():
            schema_editor.execute(f"CREATE TRIGGER {name} {definition}")
    else:
        return
    schema_editor.execute(
        f"INSERT INTO {COUNTS} (assignee_id, n) SELECT assignee_id, count(*) FROM {CASES}"
        " WHERE assignee_id IS NOT NULL GROUP BY assignee_id"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in POSTGRES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {CASES}")
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}()")
    elif schema_editor.connection.vendor == "sqlite":
        for name in SQLITE:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
    schema_editor.execute(f"DELETE FROM {COUNTS}")


class Migration(migrations.Migration):
    dependencies = [("cases", "0007_held_count")]
    operations = [migrations.RunPython(create, drop)]
