"""Indexes for the case search at a million debtors (cases.search; bench/workbench.py, "search_*").

PostgreSQL only, and outside the models' state: a trigram index and expression indexes are not portable,
and SQLite's demo book is small enough to scan. Without them every search read the whole debtor or contact
table: half a second to one and a half over a million cases.

- a part of a name: ``UPPER(name) LIKE '%…%'`` through a trigram index (pg_trgm; trigrams of Chinese text
  work under a UTF-8 ctype);
- a whole phone number: the debtor's phones by value;
- a phone's tail (尾号): the reversed number's prefix, so ``LIKE '%1234'`` becomes an index range;
- an ID number's last four.
"""

from django.db import migrations

PHONES = "kind IN ('mobile', 'home', 'work')"
INDEXES = {
    "debtor_name_trigram": "portfolio_debtor USING gin (UPPER(name) gin_trgm_ops)",
    "debtor_id_last4": "portfolio_debtor (id_last4)",
    "contact_point_phone": f"portfolio_contactpoint (value) WHERE {PHONES}",
    # Not partial: PostgreSQL keeps no statistics for a partial index's expression, and without them it
    # guessed 10,000 debtors for any tail and scanned every case. LEFT() bounds the key (an address can be
    # long); a phone number is far shorter, so for phones it is the whole number reversed.
    "contact_point_phone_tail": "portfolio_contactpoint (reverse(left(value, 40)) text_pattern_ops)",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, definition in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {definition}")
    # A fine histogram of the reversed numbers: a tail selects one number in 10,000.
    schema_editor.execute("ALTER INDEX contact_point_phone_tail ALTER COLUMN 1 SET STATISTICS 1000")
    # The expression indexes' statistics (how selective a reversed tail is) exist only after an ANALYZE;
    # without them the planner guesses thousands of rows and hash-joins the whole debtor table.
    schema_editor.execute("ANALYZE portfolio_debtor")
    schema_editor.execute("ANALYZE portfolio_contactpoint")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("portfolio", "0010_debtor_region")]
    operations = [migrations.RunPython(create, drop)]
