"""Triggers that keep cases_promisehour (models.PromiseHour) in step with the promises' creation times, and
the counts of the promises that existed before them (db.counts.CountTriggers, as 0008 for the cases held).

Hours are UTC (``date_trunc`` in UTC, SQLite's stored UTC text), so a period that starts and ends on whole
hours of any zone's wall clock is a set of whole rows.
"""

from django.db import migrations

from huikuan.db.counts import CountTriggers

TRIGGERS = CountTriggers(
    name="cases_promise_hour",
    source="cases_promise",
    counts="cases_promisehour",
    keys=(("hour", "date_trunc('hour', created_at, 'UTC')", "strftime('%Y-%m-%d %H:00:00', {row}.created_at)"),),
    watched=("created_at",),
)


def create(apps, schema_editor):
    TRIGGERS.create(schema_editor, seed=True)


def drop(apps, schema_editor):
    TRIGGERS.drop(schema_editor, seeded=True)


class Migration(migrations.Migration):
    dependencies = [("cases", "0009_promise_hour")]
    operations = [migrations.RunPython(create, drop)]
