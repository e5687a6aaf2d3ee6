"""Triggers that keep strategy_queuecount (models.QueueCount) in step with the work items, per (assignee, day,
status): statement-level on PostgreSQL, so a night's COPY of half a million items adds one aggregate
(db.counts.CountTriggers says how). Items without an assignee are not counted.
"""

from django.db import migrations

from huikuan.db.counts import CountTriggers

TRIGGERS = CountTriggers(
    name="strategy_queue_count",
    source="strategy_workitem",
    counts="strategy_queuecount",
    keys=tuple((column, column, f"{{row}}.{column}") for column in ("assignee_id", "as_of", "status")),
    watched=("assignee_id", "as_of", "status"),
    counted=("assignee_id IS NOT NULL", "{row}.assignee_id IS NOT NULL"),
)


def create(apps, schema_editor):
    TRIGGERS.create(schema_editor)


def drop(apps, schema_editor):
    TRIGGERS.drop(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("strategy", "0008_queue_count")]
    operations = [migrations.RunPython(create, drop)]
