"""Allocating one payment across a debtor's accounts and their balance components.

The result is one PAYMENT entry per account touched, all carrying the payment's reference, so the
account ledgers recognise a replay and a bounced payment is undone entry by entry. Money is
conserved to the fen: what the entries clear plus the credit they record equals the payment.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from huikuan.kernel.ledger import Balance, Component, Entry, EntryKind, apply, reversal_of, validate_entry
from huikuan.kernel.money import ZERO, quantize_fen

# Penalties and fees first: they stop growing once paid and they are what lenders may not capitalise;
# principal last keeps the contract's interest basis honest about what was actually repaid.
DEFAULT_COMPONENT_ORDER: tuple[Component, ...] = (
    Component.PENALTY,
    Component.FEE,
    Component.INTEREST,
    Component.PRINCIPAL,
)


class AccountOrder(StrEnum):
    OLDEST_DUE_FIRST = "oldest_due_first"
    LARGEST_BALANCE_FIRST = "largest_balance_first"
    SMALLEST_BALANCE_FIRST = "smallest_balance_first"


@dataclass(frozen=True, slots=True)
class AccountBalance:
    account_id: str
    balance: Balance
    due_date: date


@dataclass(frozen=True, slots=True)
class AllocationError:
    reference: str
    message: str


@dataclass(frozen=True, slots=True)
class Allocation:
    reference: str
    amount: Decimal
    # (account id, entry) in the order the money went; credit sits on the first account in that order.
    entries: tuple[tuple[str, Entry], ...]

    @property
    def credit(self) -> Decimal:
        return sum((e.deltas.get(Component.CREDIT, ZERO) for _, e in self.entries), ZERO)

    @property
    def allocated(self) -> Decimal:
        """What the entries cleared from the accounts (a positive figure)."""
        return -sum((e.amount for _, e in self.entries), ZERO)

    def entry_for(self, account_id: str) -> Entry | None:
        return next((e for a, e in self.entries if a == account_id), None)


def order_accounts(
    accounts: Sequence[AccountBalance], order: AccountOrder | Sequence[str]
) -> tuple[list[AccountBalance], list[str]]:
    """Accounts in payment order; an explicit id list may name every account or only the first few.

    Ties break on account id so the same inputs always give the same entries.
    """
    if isinstance(order, AccountOrder):
        if order is AccountOrder.OLDEST_DUE_FIRST:
            return sorted(accounts, key=lambda a: (a.due_date, a.account_id)), []
        sign = -1 if order is AccountOrder.LARGEST_BALANCE_FIRST else 1
        return sorted(accounts, key=lambda a: (sign * a.balance.total, a.due_date, a.account_id)), []
    by_id = {a.account_id: a for a in accounts}
    unknown = [account_id for account_id in order if account_id not in by_id]
    if unknown:
        return [], [f"order names unknown accounts: {', '.join(unknown)}"]
    named = [by_id[account_id] for account_id in dict.fromkeys(order)]
    rest = sorted((a for a in accounts if a.account_id not in set(order)), key=lambda a: (a.due_date, a.account_id))
    return named + rest, []


def check_allocation(
    accounts: Sequence[AccountBalance],
    amount: Decimal,
    reference: str,
    component_order: Sequence[Component],
) -> list[str]:
    problems: list[str] = []
    if not reference:
        problems.append("a payment needs an external reference")
    if amount <= 0 or amount != quantize_fen(amount):
        problems.append(f"amount must be positive and to the fen, got {amount}")
    if not accounts:
        problems.append("no account to allocate to")
    ids = [a.account_id for a in accounts]
    if len(set(ids)) != len(ids):
        problems.append("an account appears twice")
    owed = set(component_order)
    if Component.CREDIT in owed or len(owed) != len(component_order) or owed != set(DEFAULT_COMPONENT_ORDER):
        problems.append("component order must name principal, interest, fee and penalty once each")
    for account in accounts:
        for component, value in account.balance.as_dict().items():
            if value < 0 or value != quantize_fen(value):
                problems.append(f"{account.account_id}: {component} is {value}, not a non-negative fen amount")
    return problems


def allocate_payment(
    accounts: Sequence[AccountBalance],
    amount: Decimal,
    reference: str,
    *,
    component_order: Sequence[Component] = DEFAULT_COMPONENT_ORDER,
    account_order: AccountOrder | Sequence[str] = AccountOrder.OLDEST_DUE_FIRST,
) -> tuple[Allocation | None, list[AllocationError]]:
    """Spread ``amount`` over the accounts in order, component by component; the excess is credit.

    Each account is cleared completely before the next one gets anything, because a debtor who pays
    should see whole contracts closed rather than every contract a little less overdue.
    """
    problems = check_allocation(accounts, amount, reference, component_order)
    ordered, order_problems = order_accounts(accounts, account_order) if not problems else ([], [])
    problems.extend(order_problems)
    if problems:
        return None, [AllocationError(reference, p) for p in problems]
    remaining = amount
    deltas: dict[str, dict[Component, Decimal]] = {}
    for account in ordered:
        for component in component_order:
            take = min(remaining, account.balance.get(component))
            if take > 0:
                deltas.setdefault(account.account_id, {})[component] = -take
                remaining -= take
    if remaining > 0:
        holder = ordered[0].account_id
        deltas.setdefault(holder, {})[Component.CREDIT] = remaining
    entries = tuple(
        (a.account_id, Entry(EntryKind.PAYMENT, reference, deltas[a.account_id]))
        for a in ordered
        if a.account_id in deltas
    )
    return Allocation(reference, amount, entries), []


def reverse_allocation(allocation: Allocation, reference: str) -> Allocation:
    """The entries that undo a payment exactly, e.g. when it bounces; amount is negative."""
    return Allocation(
        reference,
        -allocation.amount,
        tuple((account_id, reversal_of(entry, reference)) for account_id, entry in allocation.entries),
    )


def allocate_waiver(
    accounts: Sequence[AccountBalance],
    penalty: Decimal,
    fee: Decimal,
    reference: str,
    *,
    account_order: AccountOrder | Sequence[str] = AccountOrder.OLDEST_DUE_FIRST,
) -> tuple[Allocation | None, list[AllocationError]]:
    """WAIVER entries that write off ``penalty`` and ``fee`` (an approved plan waiver) account by account."""
    problems: list[str] = []
    for name, value, component in (("penalty", penalty, Component.PENALTY), ("fee", fee, Component.FEE)):
        if value < 0 or value != quantize_fen(value):
            problems.append(f"{name} waiver must be non-negative and to the fen, got {value}")
        elif value > sum((a.balance.get(component) for a in accounts), ZERO):
            problems.append(f"{name} waiver {value} exceeds the {name} owed")
    if penalty + fee <= 0:
        problems.append("a waiver must waive something")
    if not reference:
        problems.append("a waiver needs a reference")
    ordered, order_problems = order_accounts(accounts, account_order) if not problems else ([], [])
    problems.extend(order_problems)
    if problems:
        return None, [AllocationError(reference, p) for p in problems]
    deltas: dict[str, dict[Component, Decimal]] = {}
    for component, total in ((Component.PENALTY, penalty), (Component.FEE, fee)):
        remaining = total
        for account in ordered:
            take = min(remaining, account.balance.get(component))
            if take > 0:
                deltas.setdefault(account.account_id, {})[component] = -take
                remaining -= take
    entries = tuple(
        (a.account_id, Entry(EntryKind.WAIVER, reference, deltas[a.account_id]))
        for a in ordered
        if a.account_id in deltas
    )
    return Allocation(reference, penalty + fee, entries), []


def balances_after(
    balances: Mapping[str, Balance], allocation: Allocation
) -> tuple[dict[str, Balance], list[AllocationError]]:
    """Per-account balances after the allocation, all or nothing: one invalid entry changes none."""
    result = dict(balances)
    errors: list[AllocationError] = []
    for account_id, entry in allocation.entries:
        if account_id not in result:
            errors.append(AllocationError(entry.reference, f"unknown account {account_id}"))
            continue
        problems = validate_entry(result[account_id], entry)
        if problems:
            errors.extend(AllocationError(p.reference, f"{account_id}: {p.message}") for p in problems)
            continue
        result[account_id] = apply(result[account_id], entry)
    return (dict(balances), errors) if errors else (result, [])
