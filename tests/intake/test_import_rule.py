"""The account import's set-based SQL posts exactly what the kernel's rule says, on random files.

``kernel.ledger.import_entries`` is the rule (a new account opens with one charge per non-zero component, a
changed one gets a single adjustment, a state adjusted to the same day is not posted twice); the importer
writes it as INSERT … SELECT over a chunk's staging table. Each example imports a few random files one after
the other (accounts appearing, changing, files without some columns, the same state again the same day or
the next) and holds every import's new entries and the snapshots to the rule and to the ledger.
"""

from __future__ import annotations

import csv
import tempfile
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from huikuan.intake.importer import import_accounts
from huikuan.kernel.ledger import (
    OWED_COMPONENTS,
    Balance,
    Component,
    Entry,
    EntryKind,
    apply,
    import_adjustment_reference,
    import_entries,
    import_state_tag,
)
from huikuan.kernel.money import ZERO, quantize_fen
from huikuan.portfolio.models import AccountBalance, LedgerEntry
from tests.conftest import outer_transaction

CONTRACTS = [f"HT-{n}" for n in range(4)]
OPTIONAL = (Component.INTEREST, Component.FEE, Component.PENALTY)
DAYS = (date(2026, 11, 19), date(2026, 11, 20))
P, INT = Component.PRINCIPAL, Component.INTEREST


@dataclass(frozen=True)
class File:
    stated: frozenset[Component]
    as_of: date
    rows: dict[str, dict[Component, Decimal]]  # contract → the stated amounts


# A few amounts come back often, so that files meet states the ledger holds already; others are anything.
amounts = st.one_of(
    st.sampled_from([ZERO, Decimal("100.00"), Decimal("250.50")]),
    st.integers(1, 10**6).map(lambda fen: quantize_fen(Decimal(fen) / 100)),
)


@st.composite
def files(draw: st.DrawFn) -> File:
    stated = frozenset({Component.PRINCIPAL, *draw(st.sets(st.sampled_from(OPTIONAL)))})
    contracts = draw(st.lists(st.sampled_from(CONTRACTS), min_size=1, max_size=len(CONTRACTS), unique=True))
    rows = {c: {k: draw(amounts) for k in sorted(stated)} for c in contracts}
    return File(stated, draw(st.sampled_from(DAYS)), rows)


def _write(folder: Path, n: int, file: File) -> Path:
    owed = [c for c in OWED_COMPONENTS if c in file.stated]
    header = ["customer_no", "name", "contract_no", "product", "original_amount", "open_date", "due_date", "as_of"]
    path = folder / f"file-{n}.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header + [c.value for c in owed])
        for contract, row in file.rows.items():
            customer = f"C{int(contract.split('-')[1]) // 2}"  # two contracts per debtor
            writer.writerow(
                [
                    customer,
                    "张伟",
                    contract,
                    "consumer_loan",
                    "20000",
                    "2025-01-15",
                    "2026-09-30",
                    file.as_of.isoformat(),
                ]
                + [f"{row[c]:.2f}" for c in owed]
            )
    return path


def _stored() -> dict[str, tuple[int, Balance | None]]:
    """Contract → (account id, its balance; None while the account has no entry)."""
    return {
        b.account.contract_no: (b.account_id, b.as_kernel() if b.entry_count else None)
        for b in AccountBalance.objects.select_related("account")
    }


def _expected(file: File, stored: dict[str, tuple[int, Balance | None]]) -> dict[str, list[Entry]]:
    expected: dict[str, list[Entry]] = {}
    for contract, row in file.rows.items():
        tag = import_state_tag(*(row.get(c, ZERO) for c in OWED_COMPONENTS))
        reference = import_adjustment_reference(file.as_of, tag)
        account_id, balance = stored.get(contract, (None, None))
        adjusted = (
            account_id is not None and LedgerEntry.objects.filter(account_id=account_id, reference=reference).exists()
        )
        expected[contract] = import_entries(balance, row, tag=tag, adjustment_reference=reference, adjusted=adjusted)
    return expected


def _shape(entries: list[Entry]) -> list[tuple[str, str, dict[Component, Decimal]]]:
    return sorted((e.kind.value, e.reference, {c: d for c, d in e.deltas.items() if d}) for e in entries)


def _posted(since: int) -> dict[str, list[Entry]]:
    posted: dict[str, list[Entry]] = {}
    for e in LedgerEntry.objects.filter(id__gt=since).select_related("account"):
        deltas = {c: getattr(e, c.value) for c in Component}
        posted.setdefault(e.account.contract_no, []).append(Entry(EntryKind(e.kind), e.reference, deltas))
        assert e.note == "import" and e.created_by_id is None
    return posted


@pytest.mark.django_db
@settings(max_examples=30, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(files(), min_size=1, max_size=4))
# Opened, changed to S, changed again, back to S the same day: S's adjustment of that day is in the ledger.
@example(
    [
        File(frozenset({P}), DAYS[1], {"HT-0": {P: Decimal("300.00")}}),
        File(frozenset({P}), DAYS[1], {"HT-0": {P: Decimal("100.00")}}),
        File(frozenset({P, INT}), DAYS[1], {"HT-0": {P: Decimal("50.00"), INT: Decimal("1.00")}}),
        File(frozenset({P}), DAYS[1], {"HT-0": {P: Decimal("100.00")}, "HT-1": {P: ZERO}}),
    ]
)
def test_the_imports_sql_posts_what_the_kernel_rule_says(history: list[File]) -> None:
    with outer_transaction(rollback=True), tempfile.TemporaryDirectory() as folder:
        for n, file in enumerate(history):
            stored = _stored()
            expected = _expected(file, stored)
            since = LedgerEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
            report = import_accounts(_write(Path(folder), n, file), parallel=False)
            assert report.ok, report.error_lines()
            posted = _posted(since)
            for contract in file.rows:
                assert _shape(posted.get(contract, [])) == _shape(expected[contract]), (n, contract)
            assert set(posted) <= set(file.rows)
            assert report.entries_posted == sum(len(e) for e in expected.values())
            # Every snapshot is the stored balance moved by the rule's entries, and the sum of its ledger.
            after = _stored()
            for contract, entries in expected.items():
                account_id, balance = stored.get(contract, (None, None))
                want = balance or Balance()
                for entry in entries:
                    want = apply(want, entry)
                snapshot = AccountBalance.objects.get(account__contract_no=contract)
                assert snapshot.as_kernel() == want, (n, contract)
                sums = [sum((getattr(e, c.value) for e in snapshot.account.entries.all()), ZERO) for c in Component]
                assert list(want.as_dict().values()) == sums
                assert snapshot.entry_count == snapshot.account.entries.count()
                assert after[contract][0] == (account_id or after[contract][0])
