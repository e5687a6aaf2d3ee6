"""The channel rollup (analytics_channelday): yuan recovered after each channel by day, team, assignee,
product and bucket; partitioned by month on PostgreSQL like the other fact tables (analytics/partitions.py).
Days written before it have none: ``huikuan facts backfill`` writes them."""

from django.db import migrations, models

COLUMNS = (
    "day date NOT NULL, team_id bigint NOT NULL, assignee_id bigint NOT NULL, product varchar(20) NOT NULL, "
    "bucket varchar(4) NOT NULL, channel varchar(10) NOT NULL, recovered_fen bigint NOT NULL"
)
KEY = "day, team_id, assignee_id, product, bucket, channel"


def create(apps, schema_editor):
    partitioned = schema_editor.connection.vendor == "postgresql"
    tail = " PARTITION BY RANGE (day)" if partitioned else ""
    schema_editor.execute(f"CREATE TABLE analytics_channelday ({COLUMNS}, PRIMARY KEY ({KEY})){tail}")
    if not partitioned:
        return
    # Months the fact tables already have get this table's partition too.
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'analytics_caseday'"
        )
        months = [name.rsplit("_", 1)[1] for (name,) in cursor.fetchall()]
    for month in months:
        year, number = int(month[1:5]), int(month[6:8])
        following = (year + number // 12, number % 12 + 1)
        schema_editor.execute(
            f"CREATE TABLE analytics_channelday_{month} PARTITION OF analytics_channelday FOR VALUES FROM "
            f"('{year:04d}-{number:02d}-01') TO ('{following[0]:04d}-{following[1]:02d}-01')"
        )


def drop(apps, schema_editor):
    cascade = " CASCADE" if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(f"DROP TABLE IF EXISTS analytics_channelday{cascade}")


class Migration(migrations.Migration):
    dependencies = [("analytics", "0005_rollday_assignee_product")]

    operations = [
        migrations.RunPython(create, drop),
        migrations.CreateModel(
            name="ChannelDay",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "day",
                        "team_id",
                        "assignee_id",
                        "product",
                        "bucket",
                        "channel",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                ("day", models.DateField(verbose_name="day")),
                ("team_id", models.BigIntegerField(verbose_name="team")),
                ("assignee_id", models.BigIntegerField(verbose_name="assignee")),
                ("product", models.CharField(max_length=20, verbose_name="product")),
                ("bucket", models.CharField(max_length=4, verbose_name="bucket")),
                ("channel", models.CharField(max_length=10, verbose_name="channel")),
                ("recovered_fen", models.BigIntegerField(verbose_name="recovered (fen)")),
            ],
            options={"verbose_name": "channel day", "db_table": "analytics_channelday", "managed": False},
        ),
    ]
