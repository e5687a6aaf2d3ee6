"""The kept history records whether the run that kept it completed its hand-over to the outbox, and under which
queuing state (comms.feeds.queuing_state): a same-day re-run then hands over only the changed cases' messages."""

from django.db import migrations

CACHE = "strategy_snapshotcache"


def add(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"ALTER TABLE {CACHE} ADD COLUMN handed_over text")


def remove(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"ALTER TABLE {CACHE} DROP COLUMN IF EXISTS handed_over")


class Migration(migrations.Migration):
    dependencies = [("strategy", "0012_workitem_settled_index")]

    operations = [migrations.RunPython(add, remove)]
