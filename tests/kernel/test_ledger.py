"""Ledger arithmetic: balances are always the sum of entries, and a replayed reference changes nothing."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from huikuan.kernel.ledger import (
    Balance,
    Component,
    Entry,
    EntryKind,
    apply,
    import_entries,
    import_opening_reference,
    import_state_tag,
    replay,
    reversal_of,
    total_balance,
    validate_entry,
)

cents = st.integers(min_value=1, max_value=10**8).map(lambda c: Decimal(c) / 100)
charge = st.builds(
    lambda kind, amount, ref: Entry(kind, f"c{ref}", {Component(kind.value): amount}),
    st.sampled_from([EntryKind.PRINCIPAL, EntryKind.INTEREST, EntryKind.FEE, EntryKind.PENALTY]),
    cents,
    st.integers(0, 50),
)
payment = st.builds(
    lambda comp, amount, ref: Entry(EntryKind.PAYMENT, f"p{ref}", {comp: -amount}),
    st.sampled_from([Component.PRINCIPAL, Component.INTEREST, Component.FEE, Component.PENALTY]),
    cents,
    st.integers(0, 50),
)


@given(st.lists(st.one_of(charge, payment), max_size=60))
def test_balance_is_the_sum_of_accepted_entries(entries: list[Entry]) -> None:
    balance, _ = replay(entries)
    accepted: dict[str, Entry] = {}
    running = Balance()
    for e in entries:
        if e.reference in accepted or validate_entry(running, e):
            continue
        accepted[e.reference] = e
        running = apply(running, e)
    for c in Component:
        assert balance.get(c) == sum((e.deltas.get(c, Decimal(0)) for e in accepted.values()), Decimal(0))
        assert balance.get(c) >= 0
    assert balance.total == sum((e.amount for e in accepted.values()), Decimal(0))


@given(st.lists(charge, min_size=1, max_size=20), st.data())
def test_replaying_an_entry_is_a_no_op(entries: list[Entry], data: st.DataObject) -> None:
    once, _ = replay(entries)
    repeated = [*entries, data.draw(st.sampled_from(entries))]
    twice, _ = replay(repeated)
    assert once == twice


@given(st.lists(charge, min_size=1, max_size=20, unique_by=lambda e: e.reference), st.data())
def test_reversal_restores_the_balance_before_the_entry(entries: list[Entry], data: st.DataObject) -> None:
    before, _ = replay(entries[:-1])
    after, _ = replay(entries)
    undone = apply(after, reversal_of(entries[-1], "rev"))
    assert undone == before


def test_payment_cannot_take_a_component_below_zero() -> None:
    balance = Balance(principal=Decimal("100.00"))
    errors = validate_entry(balance, Entry(EntryKind.PAYMENT, "p1", {Component.PRINCIPAL: Decimal("-100.01")}))
    assert errors and "negative" in errors[0].message


def test_charges_cannot_be_negative_and_payments_cannot_charge() -> None:
    assert validate_entry(Balance(), Entry(EntryKind.FEE, "f", {Component.FEE: Decimal("-1.00")}))
    assert validate_entry(
        Balance(principal=Decimal(5)), Entry(EntryKind.PAYMENT, "p", {Component.PRINCIPAL: Decimal("1.00")})
    )


def test_amounts_below_the_fen_are_rejected() -> None:
    assert validate_entry(Balance(), Entry(EntryKind.FEE, "f", {Component.FEE: Decimal("1.005")}))


def test_an_entry_must_move_money_and_carry_a_reference() -> None:
    assert validate_entry(Balance(), Entry(EntryKind.ADJUSTMENT, "a", {}))
    assert validate_entry(Balance(), Entry(EntryKind.FEE, "", {Component.FEE: Decimal("1.00")}))


@given(st.lists(st.lists(charge, max_size=8), max_size=6))
def test_the_total_of_several_accounts_is_the_replay_of_all_their_entries(accounts: list[list[Entry]]) -> None:
    # Charges only, each account's references its own: every entry is accepted, so the accounts' summed
    # balances must equal one replay of all their entries together, component by component.
    balances = [
        replay([Entry(e.kind, f"{n}:{e.reference}", e.deltas) for e in entries])[0]
        for n, entries in enumerate(accounts)
    ]
    together, errors = replay(
        Entry(e.kind, f"{n}:{e.reference}", e.deltas) for n, entries in enumerate(accounts) for e in entries
    )
    assert not errors
    combined = total_balance(balances)
    assert combined == together
    assert combined.total == sum((b.total for b in balances), Decimal("0"))


def test_the_total_of_one_balance_is_that_balance() -> None:
    one = Balance(principal=Decimal("1.00"), credit=Decimal("2.00"))
    assert total_balance(one) is one
    assert total_balance([]) == Balance()


# The account import's rule: a new account opens with a charge per component, a changed one gets one adjustment.

OWED = (Component.PRINCIPAL, Component.INTEREST, Component.FEE, Component.PENALTY)
amounts = st.integers(min_value=0, max_value=10**7).map(lambda c: Decimal(c) / 100)
owed_rows = st.dictionaries(st.sampled_from(OWED), amounts)
balances = st.builds(Balance, amounts, amounts, amounts, amounts, amounts)


@given(owed_rows)
def test_a_new_account_opens_with_one_charge_per_non_zero_component_and_owes_the_row(row: dict) -> None:
    entries = import_entries(None, row, tag="t", adjustment_reference="import:2026-11-20:t")
    assert [e.kind.value for e in entries] == [c.value for c in OWED if row.get(c, 0)]
    assert all(
        len(e.deltas) == 1 and e.reference == import_opening_reference(Component(e.kind.value), "t") for e in entries
    )
    balance, errors = replay(entries)
    assert not errors
    assert all(balance.get(c) == row.get(c, 0) for c in OWED)


@given(balances, owed_rows)
def test_a_stored_account_moves_to_the_row_by_one_adjustment_or_not_at_all(stored: Balance, row: dict) -> None:
    entries = import_entries(stored, row, tag="t", adjustment_reference="adj")
    changed = any(row[c] != stored.get(c) for c in row)
    assert len(entries) == (1 if changed else 0)
    after, errors = replay(entries, stored)
    assert not errors
    # Stated components reach the file's amount; the others and the credit stay as stored.
    assert all(after.get(c) == row.get(c, stored.get(c)) for c in OWED)
    assert after.credit == stored.credit
    if entries:
        assert entries[0].kind is EntryKind.ADJUSTMENT and entries[0].reference == "adj"


@given(balances, owed_rows)
def test_an_account_already_adjusted_to_the_state_gets_nothing(stored: Balance, row: dict) -> None:
    assert import_entries(stored, row, tag="t", adjustment_reference="adj", adjusted=True) == []


def test_the_state_tag_names_the_four_amounts_a_missing_one_as_zero() -> None:
    one = import_state_tag(Decimal("100.00"))
    assert one == import_state_tag(Decimal("100.00"), fee=Decimal("0.00"))
    assert one != import_state_tag(Decimal("100.01"))
    assert one != import_state_tag(Decimal("0.00"), Decimal("100.00"))
