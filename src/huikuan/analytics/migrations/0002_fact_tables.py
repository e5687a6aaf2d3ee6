"""The fact tables: partitioned by month on PostgreSQL (partitions are added as days are written,
analytics/partitions.py), plain tables on SQLite. The models are unmanaged; this is their only DDL."""

from django.db import migrations

COLUMNS = {
    "analytics_caseday": (
        "day date NOT NULL, case_id bigint NOT NULL, debtor_id bigint NOT NULL, status varchar(10) NOT NULL, "
        "dpd integer NOT NULL, bucket varchar(4) NOT NULL, stage varchar(20) NOT NULL, "
        "balance_fen bigint NOT NULL, product varchar(20) NOT NULL, placed_on date NOT NULL, team_id bigint, "
        "assignee_id bigint, arm varchar(40) NOT NULL, risk_band varchar(20) NOT NULL, "
        "behaviour varchar(20) NOT NULL",
        "day, case_id",
    ),
    "analytics_contactday": (
        "day date NOT NULL, case_id bigint NOT NULL, user_id bigint NOT NULL, channel varchar(10) NOT NULL, "
        "hour smallint NOT NULL, weekday smallint NOT NULL, attempts integer NOT NULL, reached integer NOT NULL, "
        "rpc integer NOT NULL, promises integer NOT NULL, promised_fen bigint NOT NULL",
        "day, case_id, user_id, channel, hour",
    ),
    "analytics_moneyday": (
        "day date NOT NULL, case_id bigint NOT NULL, payments integer NOT NULL, paid_fen bigint NOT NULL, "
        "waived_fen bigint NOT NULL, promises_settled integer NOT NULL, promises_kept integer NOT NULL, "
        "promises_partly integer NOT NULL, promises_broken integer NOT NULL, settled_fen bigint NOT NULL, "
        "kept_paid_fen bigint NOT NULL",
        "day, case_id",
    ),
}


def create(apps, schema_editor):
    partitioned = schema_editor.connection.vendor == "postgresql"
    for table, (columns, key) in COLUMNS.items():
        tail = " PARTITION BY RANGE (day)" if partitioned else ""
        schema_editor.execute(f"CREATE TABLE {table} ({columns}, PRIMARY KEY ({key})){tail}")


def drop(apps, schema_editor):
    for table in COLUMNS:
        # CASCADE: the month partitions go with their parent on PostgreSQL.
        cascade = " CASCADE" if schema_editor.connection.vendor == "postgresql" else ""
        schema_editor.execute(f"DROP TABLE IF EXISTS {table}{cascade}")


class Migration(migrations.Migration):
    dependencies = [("analytics", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
