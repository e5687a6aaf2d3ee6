"""portfolio/ledger.py is the only code that writes ledger entries and balance snapshots, or locks them.

A guard over the source: another module that creates, updates or locks these rows through the ORM, hands
their table to a bulk writer, or names them after INSERT INTO / UPDATE in SQL, is a second writer.
"""

from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "huikuan"
WRITER = SRC / "portfolio" / "ledger.py"
MODELS = r"(LedgerEntry|AccountBalance)"
WRITES = [
    re.compile(MODELS + r"\.objects\.[\s\S]{0,80}?(select_for_update|create|bulk_create|bulk_update|update|delete)\("),
    re.compile(r"(insert_rows|update_rows|upsert_ids|reserve_ids)\(\s*" + MODELS),
    re.compile(r"(INSERT INTO|UPDATE)\s+\{?(portfolio_ledgerentry|portfolio_accountbalance|self\.entry|self\.balance)"),
]


def test_no_module_but_the_ledger_writes_or_locks_entries_and_balances() -> None:
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        if path == WRITER or "migrations" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        offenders += [f"{path.relative_to(SRC)}: {m.group(0)!r}" for rule in WRITES for m in rule.finditer(text)]
    assert not offenders, offenders


def test_the_guard_sees_a_second_writer() -> None:
    samples = [
        "AccountBalance.objects.select_for_update(of=('self',)).filter(account_id=1)",
        "LedgerEntry.objects.bulk_create(entries)",
        "insert_rows(LedgerEntry._meta.db_table, columns, rows, conflict=['id'])",
        'f"INSERT INTO {self.entry} (account_id) SELECT 1"',
    ]
    assert all(any(rule.search(sample) for rule in WRITES) for sample in samples)
