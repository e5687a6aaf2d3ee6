"""Allocating payments across accounts and components; reversals; money conserved to the fen."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from huikuan.kernel.allocation import (
    AccountBalance,
    AccountOrder,
    allocate_payment,
    allocate_waiver,
    balances_after,
    reverse_allocation,
)
from huikuan.kernel.ledger import Balance, Component, EntryKind, validate_entry

D = Decimal

# Persona: 李女士 has a credit card (overdue since January) and a consumer loan (overdue since March).
CARD = AccountBalance(
    "card",
    Balance(principal=D("1000.00"), interest=D("50.00"), fee=D("20.00"), penalty=D("30.00")),
    date(2024, 1, 5),
)
LOAN = AccountBalance("loan", Balance(principal=D("500.00"), penalty=D("10.00")), date(2024, 3, 5))


def test_oldest_due_first_then_penalty_fee_interest_principal() -> None:
    allocation, errors = allocate_payment([LOAN, CARD], D("1200.00"), "BANK-001")
    assert errors == [] and allocation is not None
    card = allocation.entry_for("card")
    loan = allocation.entry_for("loan")
    assert card is not None and loan is not None
    # The card (1,100 owed) is cleared first; 100 is left for the loan: its 10 penalty, then 90 principal.
    assert dict(card.deltas) == {
        Component.PENALTY: D("-30.00"),
        Component.FEE: D("-20.00"),
        Component.INTEREST: D("-50.00"),
        Component.PRINCIPAL: D("-1000.00"),
    }
    assert dict(loan.deltas) == {Component.PENALTY: D("-10.00"), Component.PRINCIPAL: D("-90.00")}
    assert [a for a, _ in allocation.entries] == ["card", "loan"]
    assert all(e.kind is EntryKind.PAYMENT and e.reference == "BANK-001" for _, e in allocation.entries)
    assert allocation.credit == 0
    assert allocation.allocated == D("1200.00")


def test_partial_payment_stays_on_the_first_account() -> None:
    allocation, _ = allocate_payment([LOAN, CARD], D("45.00"), "P-2")
    assert allocation is not None
    assert len(allocation.entries) == 1
    card = allocation.entry_for("card")
    assert card is not None
    assert dict(card.deltas) == {Component.PENALTY: D("-30.00"), Component.FEE: D("-15.00")}


def test_overpayment_becomes_credit_on_the_first_account() -> None:
    allocation, _ = allocate_payment([LOAN, CARD], D("2000.00"), "P-3")
    assert allocation is not None
    # Owed 1,100 + 510 = 1,610; 390 is kept as credit.
    assert allocation.credit == D("390.00")
    card = allocation.entry_for("card")
    assert card is not None and card.deltas[Component.CREDIT] == D("390.00")
    after, errors = balances_after({"card": CARD.balance, "loan": LOAN.balance}, allocation)
    assert errors == []
    assert after["card"] == Balance(credit=D("390.00"))
    assert after["loan"] == Balance()


def test_configurable_component_order() -> None:
    order = (Component.PRINCIPAL, Component.INTEREST, Component.FEE, Component.PENALTY)
    allocation, _ = allocate_payment([CARD], D("1010.00"), "P-4", component_order=order)
    assert allocation is not None
    card = allocation.entry_for("card")
    assert card is not None
    assert dict(card.deltas) == {Component.PRINCIPAL: D("-1000.00"), Component.INTEREST: D("-10.00")}


def test_configurable_account_order() -> None:
    allocation, _ = allocate_payment([CARD, LOAN], D("100.00"), "P-5", account_order=["loan"])
    assert allocation is not None
    assert [a for a, _ in allocation.entries] == ["loan"]
    allocation, _ = allocate_payment(
        [CARD, LOAN], D("600.00"), "P-6", account_order=AccountOrder.SMALLEST_BALANCE_FIRST
    )
    assert allocation is not None
    assert [a for a, _ in allocation.entries] == ["loan", "card"]
    allocation, _ = allocate_payment([LOAN, CARD], D("600.00"), "P-7", account_order=AccountOrder.LARGEST_BALANCE_FIRST)
    assert allocation is not None
    assert [a for a, _ in allocation.entries] == ["card"]


def test_bad_payments_are_errors_not_exceptions() -> None:
    for amount, reference in ((D("0"), "R"), (D("-5.00"), "R"), (D("1.005"), "R"), (D("10.00"), "")):
        allocation, errors = allocate_payment([CARD], amount, reference)
        assert allocation is None and errors
    allocation, errors = allocate_payment([], D("10.00"), "R")
    assert allocation is None and errors
    allocation, errors = allocate_payment([CARD, CARD], D("10.00"), "R")
    assert allocation is None and errors
    allocation, errors = allocate_payment([CARD], D("10.00"), "R", account_order=["nope"])
    assert allocation is None and errors
    allocation, errors = allocate_payment([CARD], D("10.00"), "R", component_order=(Component.PRINCIPAL,))
    assert allocation is None and errors


def test_reversal_restores_the_balances_and_credit() -> None:
    start = {"card": CARD.balance, "loan": LOAN.balance}
    allocation, _ = allocate_payment([CARD, LOAN], D("2000.00"), "P-8")
    assert allocation is not None
    paid, _ = balances_after(start, allocation)
    reversal = reverse_allocation(allocation, "P-8-BOUNCED")
    assert all(e.kind is EntryKind.REVERSAL and e.reference == "P-8-BOUNCED" for _, e in reversal.entries)
    restored, errors = balances_after(paid, reversal)
    assert errors == []
    assert restored == start


def test_waiver_spreads_penalty_then_fee_over_accounts() -> None:
    allocation, errors = allocate_waiver([LOAN, CARD], D("35.00"), D("5.00"), "WAIVE-1")
    assert errors == [] and allocation is not None
    card, loan = allocation.entry_for("card"), allocation.entry_for("loan")
    assert card is not None and loan is not None
    assert card.kind is EntryKind.WAIVER
    assert dict(card.deltas) == {Component.PENALTY: D("-30.00"), Component.FEE: D("-5.00")}
    assert dict(loan.deltas) == {Component.PENALTY: D("-5.00")}
    allocation, errors = allocate_waiver([LOAN, CARD], D("41.00"), D("0"), "WAIVE-2")
    assert allocation is None and errors


# ---- properties --------------------------------------------------------------------------------

fen = st.integers(0, 1_000_000).map(lambda n: Decimal(n) / 100)


@st.composite
def accounts(draw: st.DrawFn) -> list[AccountBalance]:
    count = draw(st.integers(1, 5))
    return [
        AccountBalance(
            f"acc{i}",
            Balance(principal=draw(fen), interest=draw(fen), fee=draw(fen), penalty=draw(fen), credit=draw(fen)),
            draw(st.dates(min_value=date(2020, 1, 1), max_value=date(2025, 12, 31))),
        )
        for i in range(count)
    ]


payments = st.lists(st.integers(1, 3_000_000).map(lambda n: Decimal(n) / 100), min_size=1, max_size=6)
component_orders = st.permutations([Component.PENALTY, Component.FEE, Component.INTEREST, Component.PRINCIPAL])
account_orders = st.sampled_from(list(AccountOrder))


def _owed(balances: dict[str, Balance]) -> Decimal:
    return sum((b.total for b in balances.values()), Decimal(0))


def _credit(balances: dict[str, Balance]) -> Decimal:
    return sum((b.credit for b in balances.values()), Decimal(0))


@settings(max_examples=200)
@given(accs=accounts(), amounts=payments, order=component_orders, account_order=account_orders)
def test_money_is_conserved_and_nothing_goes_negative(
    accs: list[AccountBalance], amounts: list[Decimal], order: list[Component], account_order: AccountOrder
) -> None:
    balances = {a.account_id: a.balance for a in accs}
    for k, amount in enumerate(amounts):
        current = [AccountBalance(a.account_id, balances[a.account_id], a.due_date) for a in accs]
        allocation, errors = allocate_payment(
            current, amount, f"P{k}", component_order=order, account_order=account_order
        )
        assert errors == [] and allocation is not None
        assert allocation.allocated + allocation.credit == amount
        for account_id, entry in allocation.entries:
            assert validate_entry(balances[account_id], entry) == []
            assert entry.kind is EntryKind.PAYMENT and entry.reference == f"P{k}"
        owed_before, credit_before = _owed(balances), _credit(balances)
        balances, errors = balances_after(balances, allocation)
        assert errors == []
        for balance in balances.values():
            assert all(v >= 0 for v in balance.as_dict().values())
        # What the debtor owes falls by what was cleared; the rest of the payment is credit.
        assert owed_before - _owed(balances) == allocation.allocated
        assert _credit(balances) - credit_before == allocation.credit
        assert allocation.credit == max(amount - owed_before, Decimal(0))


@settings(max_examples=200)
@given(accs=accounts(), amounts=payments, data=st.data())
def test_reversals_restore_exact_prior_balances(
    accs: list[AccountBalance], amounts: list[Decimal], data: st.DataObject
) -> None:
    start = {a.account_id: a.balance for a in accs}
    history = [start]
    allocations = []
    balances = start
    for k, amount in enumerate(amounts):
        current = [AccountBalance(a.account_id, balances[a.account_id], a.due_date) for a in accs]
        allocation, _ = allocate_payment(current, amount, f"P{k}")
        assert allocation is not None
        allocations.append(allocation)
        balances, errors = balances_after(balances, allocation)
        assert errors == []
        history.append(balances)
    # Bouncing the latest payment gives back exactly the balances before it.
    undone, errors = balances_after(balances, reverse_allocation(allocations[-1], "R-last"))
    assert errors == [] and undone == history[-2]
    # Bouncing every payment, in any order, gives back the starting balances.
    for index in data.draw(st.permutations(range(len(allocations)))):
        balances, errors = balances_after(balances, reverse_allocation(allocations[index], f"R{index}"))
        assert errors == []
    assert balances == start
