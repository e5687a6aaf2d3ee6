"""The snapshot journal names a case for an interaction only if the snapshot can count it.

Every message the outbox sends leaves a "sent" interaction on its case (comms.dispatch): a day's hand-over of
140,000 messages journaled 140,000 cases that the next night then read again, although the snapshot counts no
such row. The snapshot (strategy.snapshot) reads an interaction only if it is a call or a visit, reached the
debtor, or is a refusal, a hardship, a dispute or an abusive end; the journal's interaction triggers now skip
the others (an SMS, e-mail or letter that reached nobody or a third party with any other outcome). An update
is journaled when the row counts before it or after it. ``tests/strategy/test_snapshot_cache.py`` holds the
filter to the snapshot: every combination the journal skips, written after a kept read, leaves the whole read
equal to the kept one.
"""

from django.db import migrations

JOURNAL = "strategy_snapshotchange"
TABLE = "cases_interaction"
READ = (
    "channel IN ('call', 'visit') OR party = 'debtor' OR outcome IN ('refusal', 'hardship', 'dispute', 'ended_abusive')"
)
_SKIP = "IF current_setting('huikuan.snapshot_journal', true) = 'off' THEN RETURN NULL; END IF;"


def _bodies(where: str) -> dict[str, str]:
    """The insert, delete and update triggers' journal statements, keeping the rows ``where`` selects."""

    def keys(table: str) -> str:
        return f"SELECT case_id FROM {table}{where}"

    insert = f"INSERT INTO {JOURNAL} (case_id) SELECT DISTINCT k FROM ({{keys}}) AS changed(k) WHERE k IS NOT NULL;"
    return {
        "ins": insert.format(keys=keys("added")),
        "del": insert.format(keys=keys("removed")),
        "upd": insert.format(keys=f"{keys('removed')} UNION {keys('added')}"),
    }


def _replace(schema_editor, where: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for event, body in _bodies(where).items():
        schema_editor.execute(
            f"CREATE OR REPLACE FUNCTION {TABLE}_snap_{event}() RETURNS trigger LANGUAGE plpgsql AS"
            f" $$ BEGIN {_SKIP} {body} RETURN NULL; END $$"
        )


def filtered(apps, schema_editor):
    _replace(schema_editor, f" WHERE {READ}")


def whole(apps, schema_editor):
    _replace(schema_editor, "")


class Migration(migrations.Migration):
    dependencies = [("strategy", "0013_snapshot_handed_over")]

    operations = [migrations.RunPython(filtered, whole)]
