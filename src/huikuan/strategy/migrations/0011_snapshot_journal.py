"""The kept snapshots of a day's run and the journal of what changed since (strategy.snapshot_cache).

PostgreSQL only (SQLite always reads the whole snapshot). Three objects:

- ``strategy_snapshotcache``: one row a shard, the snapshot's history and digests of the work items the
  run left pending as Arrow IPC, the database snapshot (``pg_current_snapshot()``) it was read under, its
  day, its code version and shard count;
- ``strategy_snapshotchange``: the journal, one row a (statement, case or debtor) of every table the
  snapshot reads, with the writing transaction's id; a row with neither (a TRUNCATE) means "everything";
- ``strategy_snapshot_epoch``: a sequence the compaction advances, so a snapshot read before a compaction
  is never kept after it (the compaction may have dropped journal rows it would need).

Both tables are UNLOGGED: no WAL for a journal row on every write, and a crash empties both together, which
leaves nothing kept and therefore nothing stale. The triggers are statement-level with transition tables: an
import's statement of 100,000 rows appends its distinct keys once, not a trigger call per row. The nightly
run's own write sets ``huikuan.snapshot_journal = off`` for its transaction: it writes today's items (which
no snapshot reads) and the assignees it patches into the snapshot it keeps in that same transaction.
"""

from django.db import migrations

CACHE, JOURNAL, EPOCH = "strategy_snapshotcache", "strategy_snapshotchange", "strategy_snapshot_epoch"

# (table, journal column, the keys of a transition table `rows`) for every table the snapshot reads.
_BY_ACCOUNT = "SELECT a.debtor_id FROM rows r JOIN portfolio_account a ON a.id = r.account_id"
JOURNALED = [
    ("cases_case", "case_id", "SELECT id FROM rows"),
    ("portfolio_debtor", "debtor_id", "SELECT id FROM rows"),
    ("portfolio_account", "debtor_id", "SELECT debtor_id FROM rows"),
    ("portfolio_accountbalance", "debtor_id", _BY_ACCOUNT),
    ("portfolio_ledgerentry", "debtor_id", _BY_ACCOUNT),
    ("portfolio_contactpoint", "debtor_id", "SELECT debtor_id FROM rows"),
    ("cases_promise", "case_id", "SELECT case_id FROM rows"),
    ("cases_interaction", "case_id", "SELECT case_id FROM rows"),
    ("strategy_workitem", "case_id", "SELECT case_id FROM rows"),
    ("payments_repaymentplan", "case_id", "SELECT case_id FROM rows"),
    (
        "payments_instalment",
        "case_id",
        "SELECT p.case_id FROM rows r JOIN payments_repaymentplan p ON p.id = r.plan_id",
    ),
]

_SKIP = "IF current_setting('huikuan.snapshot_journal', true) = 'off' THEN RETURN NULL; END IF;"


def _function(name: str, body: str) -> str:
    return f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {_SKIP} {body} RETURN NULL; END $$"


def _triggers() -> list[tuple[str, str, str, str, str]]:
    """(name, table, event, its transition tables, function body) of every journal trigger."""
    made = []
    everything = f"INSERT INTO {JOURNAL} (case_id, debtor_id) VALUES (NULL, NULL);"
    for table, column, keys in JOURNALED:
        added, removed = keys.replace("rows", "added"), keys.replace("rows", "removed")
        insert = (
            f"INSERT INTO {JOURNAL} ({column}) SELECT DISTINCT k FROM ({{keys}}) AS changed(k) WHERE k IS NOT NULL;"
        )
        made += [
            (f"{table}_snap_ins", table, "INSERT", "REFERENCING NEW TABLE AS added", insert.format(keys=added)),
            (f"{table}_snap_del", table, "DELETE", "REFERENCING OLD TABLE AS removed", insert.format(keys=removed)),
            (
                f"{table}_snap_upd",
                table,
                "UPDATE",
                "REFERENCING OLD TABLE AS removed NEW TABLE AS added",
                insert.format(keys=f"{removed} UNION {added}"),
            ),
            (f"{table}_snap_trunc", table, "TRUNCATE", "", everything),
        ]
    return made


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE UNLOGGED TABLE {CACHE} (shard_index integer NOT NULL, shard_count integer NOT NULL,"
        " as_of date NOT NULL, version text NOT NULL, taken pg_snapshot NOT NULL, history bytea NOT NULL,"
        " items bytea,"
        " created_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (shard_index, shard_count))"
    )
    # Stored as sent: the frames are LZ4-compressed Arrow already, and pglz over 50 MB costs the run seconds.
    schema_editor.execute(f"ALTER TABLE {CACHE} ALTER history SET STORAGE EXTERNAL, ALTER items SET STORAGE EXTERNAL")
    schema_editor.execute(
        f"CREATE UNLOGGED TABLE {JOURNAL} (xid xid8 NOT NULL DEFAULT pg_current_xact_id(), case_id bigint,"
        " debtor_id bigint)"
    )
    schema_editor.execute(f"CREATE SEQUENCE {EPOCH}")
    # Called once, so that every compaction's nextval changes last_value (a fresh sequence's first does not).
    schema_editor.execute(f"SELECT setval('{EPOCH}', 1, true)")
    for name, table, event, referencing, body in _triggers():
        schema_editor.execute(_function(name, body))
        schema_editor.execute(
            f"CREATE TRIGGER {name} AFTER {event} ON {table} {referencing} FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table, *_definition in _triggers():
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}()")
    schema_editor.execute(f"DROP TABLE IF EXISTS {CACHE}, {JOURNAL}")
    schema_editor.execute(f"DROP SEQUENCE IF EXISTS {EPOCH}")


class Migration(migrations.Migration):
    dependencies = [
        ("strategy", "0010_queue_count_existing_items"),
        ("cases", "0005_outcome_ended_abusive"),
        ("payments", "0007_merge_followup_and_selfservice"),
        ("portfolio", "0012_import_content_hash"),
    ]
    operations = [migrations.RunPython(create, drop)]
