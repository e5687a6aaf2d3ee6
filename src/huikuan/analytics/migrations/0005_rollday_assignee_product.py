"""The roll rollup gains the assignee and the product of each case on the earlier day, so the roll-rate matrix
can be shown for one collector or one product (the dashboards' filters). Rows already written keep their
counts under assignee 0 and product '' (nobody, unknown); ``huikuan facts backfill`` writes them again."""

from django.db import migrations, models

COLUMNS = (
    "day date NOT NULL, team_id bigint NOT NULL, assignee_id bigint NOT NULL DEFAULT 0, "
    "product varchar(20) NOT NULL DEFAULT '', from_bucket varchar(6) NOT NULL, to_bucket varchar(6) NOT NULL, "
    "cases bigint NOT NULL"
)
OLD_COLUMNS = (
    "day date NOT NULL, team_id bigint NOT NULL, from_bucket varchar(6) NOT NULL, to_bucket varchar(6) NOT NULL, "
    "cases bigint NOT NULL"
)
KEY = "day, team_id, assignee_id, product, from_bucket, to_bucket"
OLD_KEY = "day, team_id, from_bucket, to_bucket"


def widen(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # Partitioned: the columns and the key change on the parent and reach every month's partition.
        schema_editor.execute(
            "ALTER TABLE analytics_rollday ADD COLUMN assignee_id bigint NOT NULL DEFAULT 0, "
            "ADD COLUMN product varchar(20) NOT NULL DEFAULT ''"
        )
        schema_editor.execute(
            f"ALTER TABLE analytics_rollday DROP CONSTRAINT analytics_rollday_pkey, ADD PRIMARY KEY ({KEY})"
        )
        return
    # SQLite cannot change a primary key in place: a new table, the rows copied over.
    schema_editor.execute(f"CREATE TABLE analytics_rollday_new ({COLUMNS}, PRIMARY KEY ({KEY}))")
    schema_editor.execute(
        "INSERT INTO analytics_rollday_new (day, team_id, from_bucket, to_bucket, cases) "
        "SELECT day, team_id, from_bucket, to_bucket, cases FROM analytics_rollday"
    )
    schema_editor.execute("DROP TABLE analytics_rollday")
    schema_editor.execute("ALTER TABLE analytics_rollday_new RENAME TO analytics_rollday")


def narrow(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DELETE FROM analytics_rollday WHERE assignee_id <> 0 OR product <> ''")
        schema_editor.execute(
            f"ALTER TABLE analytics_rollday DROP CONSTRAINT analytics_rollday_pkey, ADD PRIMARY KEY ({OLD_KEY})"
        )
        schema_editor.execute("ALTER TABLE analytics_rollday DROP COLUMN assignee_id, DROP COLUMN product")
        return
    schema_editor.execute(f"CREATE TABLE analytics_rollday_old ({OLD_COLUMNS}, PRIMARY KEY ({OLD_KEY}))")
    schema_editor.execute(
        "INSERT INTO analytics_rollday_old SELECT day, team_id, from_bucket, to_bucket, SUM(cases) "
        "FROM analytics_rollday GROUP BY day, team_id, from_bucket, to_bucket"
    )
    schema_editor.execute("DROP TABLE analytics_rollday")
    schema_editor.execute("ALTER TABLE analytics_rollday_old RENAME TO analytics_rollday")


class Migration(migrations.Migration):
    dependencies = [("analytics", "0004_rollup_tables")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(widen, narrow)],
            state_operations=[
                migrations.AddField(
                    model_name="rollday",
                    name="assignee_id",
                    field=models.BigIntegerField(default=0, verbose_name="assignee"),
                    preserve_default=False,
                ),
                migrations.AddField(
                    model_name="rollday",
                    name="product",
                    field=models.CharField(default="", max_length=20, verbose_name="product"),
                    preserve_default=False,
                ),
                migrations.AlterField(
                    model_name="rollday",
                    name="pk",
                    field=models.CompositePrimaryKey(
                        "day",
                        "team_id",
                        "assignee_id",
                        "product",
                        "from_bucket",
                        "to_bucket",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
            ],
        )
    ]
