"""The counts of the work items that existed before the triggers (a data migration: 0009 holds the schema)."""

from django.db import migrations


def seed(apps, schema_editor):
    schema_editor.execute(
        "INSERT INTO strategy_queuecount (assignee_id, as_of, status, n)"
        " SELECT assignee_id, as_of, status, count(*) FROM strategy_workitem"
        " WHERE assignee_id IS NOT NULL GROUP BY assignee_id, as_of, status"
    )


def unseed(apps, schema_editor):
    schema_editor.execute("DELETE FROM strategy_queuecount")


class Migration(migrations.Migration):
    dependencies = [("strategy", "0009_queue_count_triggers")]
    operations = [migrations.RunPython(seed, unseed)]
