"""The rollup tables, partitioned by month on PostgreSQL like the facts (analytics/partitions.py)."""

from django.db import migrations

COLUMNS = {
    "analytics_portfolioday": (
        "day date NOT NULL, team_id bigint NOT NULL, assignee_id bigint NOT NULL, bucket varchar(4) NOT NULL, "
        "product varchar(20) NOT NULL, "
        "arm varchar(40) NOT NULL, cases bigint NOT NULL, balance_fen bigint NOT NULL, payments bigint NOT NULL, "
        "paid_fen bigint NOT NULL, waived_fen bigint NOT NULL, promises_settled bigint NOT NULL, "
        "promises_kept bigint NOT NULL, promises_partly bigint NOT NULL, promises_broken bigint NOT NULL, "
        "settled_fen bigint NOT NULL, kept_paid_fen bigint NOT NULL",
        "day, team_id, assignee_id, bucket, product, arm",
    ),
    "analytics_contacthour": (
        "day date NOT NULL, team_id bigint NOT NULL, user_id bigint NOT NULL, channel varchar(10) NOT NULL, "
        "hour smallint NOT NULL, weekday smallint NOT NULL, attempts bigint NOT NULL, reached bigint NOT NULL, "
        "rpc bigint NOT NULL, promises bigint NOT NULL, promised_fen bigint NOT NULL",
        "day, team_id, user_id, channel, hour",
    ),
    "analytics_rollday": (
        "day date NOT NULL, team_id bigint NOT NULL, from_bucket varchar(6) NOT NULL, "
        "to_bucket varchar(6) NOT NULL, cases bigint NOT NULL",
        "day, team_id, from_bucket, to_bucket",
    ),
}


def create(apps, schema_editor):
    partitioned = schema_editor.connection.vendor == "postgresql"
    for table, (columns, key) in COLUMNS.items():
        tail = " PARTITION BY RANGE (day)" if partitioned else ""
        schema_editor.execute(f"CREATE TABLE {table} ({columns}, PRIMARY KEY ({key})){tail}")
    if partitioned:
        # Months the fact tables already have get their rollup partitions too.
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'analytics_caseday'"
            )
            months = [name.rsplit("_", 1)[1] for (name,) in cursor.fetchall()]
        for month in months:
            year, number = int(month[1:5]), int(month[6:8])
            following = (year + number // 12, number % 12 + 1)
            for table in COLUMNS:
                schema_editor.execute(
                    f"CREATE TABLE {table}_{month} PARTITION OF {table} FOR VALUES FROM "
                    f"('{year:04d}-{number:02d}-01') TO ('{following[0]:04d}-{following[1]:02d}-01')"
                )


def drop(apps, schema_editor):
    cascade = " CASCADE" if schema_editor.connection.vendor == "postgresql" else ""
    for table in COLUMNS:
        schema_editor.execute(f"DROP TABLE IF EXISTS {table}{cascade}")


class Migration(migrations.Migration):
    dependencies = [("analytics", "0003_rollups")]

    operations = [migrations.RunPython(create, drop)]
