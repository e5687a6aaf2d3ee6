"""Payment speed on PostgreSQL: a 50,000-row bank statement import, and the nightly promise settlement.

    .venv/bin/python bench/payments.py [--rows 50000] [--promises 1000000]
On a fresh database it seeds debtors with two overdue contracts each (bulk, not timed), writes a
statement paying them, imports it (timed: payments/s; target ≥ 2,000/s) and replays it (timed, posts
nothing), then bulk-generates promises over the cases and times one settlement over all of them.
Ends with one JSON line of figures.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))

from databases import fresh_database, peak_rss_mb, setup_django

AS_OF = date(2026, 11, 20)


def seed(debtors: int) -> list[tuple[str, str, str]]:
    """Debtors with two overdue contracts each; returns (customer_no, contract_a, contract_b)."""
    from huikuan.cases.sync import refresh_cases
    from huikuan.kernel.ledger import Component, Entry, EntryKind
    from huikuan.portfolio.ledger import NewEntry, append_entries, open_balances, refresh_balances
    from huikuan.portfolio.models import Account, Debtor

    rnd = random.Random(5)
    people = [Debtor(customer_no=f"B{n:07d}", name=f"客户{n}") for n in range(debtors)]
    Debtor.objects.bulk_create(people, batch_size=5000)
    ids = dict(Debtor.objects.values_list("customer_no", "id"))
    accounts = []
    keys = []
    for n in range(debtors):
        customer = f"B{n:07d}"
        pair = (f"HT{n:07d}A", f"HT{n:07d}B")
        keys.append((customer, *pair))
        for k, contract in enumerate(pair):
            accounts.append(
                Account(
                    debtor_id=ids[customer],
                    contract_no=contract,
                    product="consumer_loan",
                    original_amount=Decimal("5000.00"),
                    open_date=date(2025, 1, 1),
                    due_date=date(2026, 3 + k * 3, 15),
                )
            )
    Account.objects.bulk_create(accounts, batch_size=5000)
    account_ids = list(Account.objects.values_list("id", flat=True))
    open_balances(account_ids)
    rows = []
    for account_id in account_ids:
        for component, low, high in (
            (Component.PRINCIPAL, 1000, 5000),
            (Component.INTEREST, 10, 300),
            (Component.FEE, 0, 50),
            (Component.PENALTY, 10, 200),
        ):
            value = Decimal(rnd.randint(low * 100, high * 100)) / 100
            if value:
                entry = Entry(EntryKind(component.value), f"open:{component.value}", {component: value})
                rows.append(NewEntry(account_id, entry, date(2025, 1, 1), "bench"))
    append_entries(rows, skip_known=True)
    refresh_balances(account_ids)
    refresh_cases(ids.values(), AS_OF)
    return keys


def write_statement(path: Path, rows: int, keys: list[tuple[str, str, str]]) -> None:
    rnd = random.Random(11)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["transaction_id", "amount", "paid_on", "contract_no", "customer_no", "memo"])
        for n in range(rows):
            customer, a, b = keys[n % len(keys)]
            amount = Decimal(rnd.randint(5_000, 400_000)) / 100
            # A third name the contract, the rest only the customer (allocation then goes oldest first).
            contract = rnd.choice([a, b]) if n % 3 == 0 else ""
            paid_on = AS_OF - timedelta(days=rnd.randint(0, 20))
            writer.writerow(
                [f"TX{n:08d}", f"{amount}", paid_on.isoformat(), contract, "" if contract else customer, ""]
            )


def generate_promises(count: int) -> None:
    """COPY ``count`` pending promises spread over the cases, due around the settlement day."""
    from django.db import connection

    from huikuan.cases.models import Case, Promise

    rnd = random.Random(13)
    case_ids = list(Case.objects.values_list("id", flat=True))
    zone = ZoneInfo("Asia/Shanghai")
    table = Promise._meta.db_table
    with connection.cursor() as cursor:
        raw = cursor.cursor
        cols = "case_id, amount, due_date, channel, state, paid_amount, created_at"
        with raw.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
            for n in range(count):
                made = AS_OF - timedelta(days=rnd.randint(5, 40))
                due = made + timedelta(days=rnd.randint(0, 30))
                copy.write_row(
                    (
                        case_ids[n % len(case_ids)],
                        rnd.randint(10_000, 300_000),
                        due,
                        "call",
                        "pending",
                        0,
                        datetime.combine(made, datetime.min.time(), tzinfo=zone).replace(hour=10),
                    )
                )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--debtors", type=int, default=25_000)
    parser.add_argument("--promises", type=int, default=1_000_000)
    args = parser.parse_args()
    setup_django(fresh_database("postgres", "huikuan_bench_payments"))
    from unittest import mock

    from django.utils import timezone

    from huikuan.payments.settlement import settle_promises
    from huikuan.payments.statement import import_statement

    started = time.perf_counter()
    keys = seed(args.debtors)
    print(f"seeded {len(keys)} debtors / {2 * len(keys)} accounts in {time.perf_counter() - started:.1f}s")
    with tempfile.TemporaryDirectory() as folder, mock.patch.object(timezone, "localdate", return_value=AS_OF):
        path = Path(folder) / "statement.csv"
        write_statement(path, args.rows, keys)
        started = time.perf_counter()
        report = import_statement(path)
        seconds = time.perf_counter() - started
        if not report.ok:
            raise SystemExit("\n".join(report.error_lines()[:10]))
        print(f"imported {report.posted} payments in {seconds:.2f}s = {report.posted / seconds:.0f} payments/s")
        print(f"  {report.summary()}")
        started = time.perf_counter()
        replay = import_statement(path)
        replay_seconds = time.perf_counter() - started
        print(f"replay: {replay.posted} posted, {replay.replayed} recognised in {replay_seconds:.2f}s")

    started = time.perf_counter()
    generate_promises(args.promises)
    print(f"generated {args.promises} promises in {time.perf_counter() - started:.1f}s")
    started = time.perf_counter()
    counts = settle_promises(AS_OF)
    settle_seconds = time.perf_counter() - started
    print(f"settled {counts.promises} promises in {settle_seconds:.2f}s ({counts.changed} changed: {counts.by_state})")
    figures = {
        "benchmark": "payments",
        "backend": "postgres",
        "statement_rows": report.rows,
        "payments_posted": report.posted,
        "import_seconds": round(seconds, 2),
        "payments_per_second": round(report.posted / seconds, 1),
        "target_payments_per_second": 2000,
        "replay_seconds": round(replay_seconds, 2),
        "promises": counts.promises,
        "settle_seconds": round(settle_seconds, 2),
        "promises_changed": counts.changed,
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
