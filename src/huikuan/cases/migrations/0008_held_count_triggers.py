"""Triggers that keep cases_heldcount (models.HeldCount) in step with the cases' assignees, and the counts of
the cases that existed before them.

Statement-level on PostgreSQL (db.counts.CountTriggers; the snapshot journal's triggers on cases_case capture
the same transition tables already), so a night's reassignment of 400,000 cases adds one aggregate. Cases
without an assignee are not counted. Created and seeded in one transaction: CREATE TRIGGER locks out writers
of cases_case until the commit, so no change falls between the seed and the first trigger.
"""

from django.db import migrations

from huikuan.db.counts import CountTriggers

TRIGGERS = CountTriggers(
    name="cases_held_count",
    source="cases_case",
    counts="cases_heldcount",
    keys=(("assignee_id", "assignee_id", "{row}.assignee_id"),),
    watched=("assignee_id",),
    counted=("assignee_id IS NOT NULL", "{row}.assignee_id IS NOT NULL"),
)


def create(apps, schema_editor):
    TRIGGERS.create(schema_editor, seed=True)


def drop(apps, schema_editor):
    TRIGGERS.drop(schema_editor, seeded=True)


class Migration(migrations.Migration):
    dependencies = [("cases", "0007_held_count")]
    operations = [migrations.RunPython(create, drop)]
