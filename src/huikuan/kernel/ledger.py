"""Ledger arithmetic: balances are the sum of append-only entries, component by component.

Every entry carries its effect on each balance component (principal, interest, fee, penalty) and on
the debtor's credit (money received beyond what is owed). A payment of 100 yuan that clears a 30 yuan
penalty and 70 yuan of principal is one entry with deltas penalty -30 and principal -70, so one
external reference identifies one money event and a replay is recognised by that reference alone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from huikuan.kernel.money import ZERO, quantize_fen


class Component(StrEnum):
    PRINCIPAL = "principal"
    INTEREST = "interest"
    FEE = "fee"
    PENALTY = "penalty"
    CREDIT = "credit"


OWED_COMPONENTS: tuple[Component, ...] = (
    Component.PRINCIPAL,
    Component.INTEREST,
    Component.FEE,
    Component.PENALTY,
)


class EntryKind(StrEnum):
    PRINCIPAL = "principal"
    INTEREST = "interest"
    FEE = "fee"
    PENALTY = "penalty"
    PAYMENT = "payment"
    WAIVER = "waiver"
    REVERSAL = "reversal"
    ADJUSTMENT = "adjustment"


# Which way each kind may move the owed components; reversals and adjustments may go either way.
CHARGE_KINDS = frozenset({EntryKind.PRINCIPAL, EntryKind.INTEREST, EntryKind.FEE, EntryKind.PENALTY})
REDUCING_KINDS = frozenset({EntryKind.PAYMENT, EntryKind.WAIVER})


@dataclass(frozen=True, slots=True)
class Balance:
    principal: Decimal = ZERO
    interest: Decimal = ZERO
    fee: Decimal = ZERO
    penalty: Decimal = ZERO
    credit: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        """What the debtor owes on the account (credit is shown apart, never netted silently)."""
        return self.principal + self.interest + self.fee + self.penalty

    def get(self, component: Component) -> Decimal:
        value: Decimal = getattr(self, component.value)
        return value

    def as_dict(self) -> dict[Component, Decimal]:
        return {c: self.get(c) for c in Component}


def total_balance(balances: Balance | Iterable[Balance]) -> Balance:
    """One balance for a debtor or a case: the per-account balances summed component by component."""
    if isinstance(balances, Balance):
        return balances
    values = dict.fromkeys(Component, ZERO)
    for balance in balances:
        for component in Component:
            values[component] += balance.get(component)
    return Balance(**{c.value: v for c, v in values.items()})


@dataclass(frozen=True, slots=True)
class Entry:
    kind: EntryKind
    reference: str
    deltas: Mapping[Component, Decimal] = field(default_factory=dict)

    @property
    def amount(self) -> Decimal:
        """The entry's net effect on what is owed (negative for payments and waivers)."""
        return sum((self.deltas.get(c, ZERO) for c in OWED_COMPONENTS), ZERO)


@dataclass(frozen=True, slots=True)
class LedgerError:
    reference: str
    message: str


def validate_entry(balance: Balance, entry: Entry) -> list[LedgerError]:
    """Errors that make the entry impossible against the balance; empty when it may be posted."""
    errors: list[LedgerError] = []
    if not entry.reference:
        errors.append(LedgerError(entry.reference, "an entry needs an external reference"))
    for component, delta in entry.deltas.items():
        if delta != quantize_fen(delta):
            errors.append(LedgerError(entry.reference, f"{component}: {delta} is not to the fen"))
        if entry.kind in CHARGE_KINDS and delta < 0:
            errors.append(LedgerError(entry.reference, f"{entry.kind} cannot lower {component}"))
        if entry.kind in REDUCING_KINDS and component is not Component.CREDIT and delta > 0:
            errors.append(LedgerError(entry.reference, f"{entry.kind} cannot raise {component}"))
        if balance.get(component) + delta < 0:
            errors.append(
                LedgerError(
                    entry.reference,
                    f"{component} would go negative ({balance.get(component)} {delta:+})",
                )
            )
    if not any(delta for delta in entry.deltas.values()):
        errors.append(LedgerError(entry.reference, "an entry must move money"))
    return errors


def apply(balance: Balance, entry: Entry) -> Balance:
    """The balance after the entry; call validate_entry first, this only adds."""
    values = balance.as_dict()
    for component, delta in entry.deltas.items():
        values[component] += delta
    return Balance(**{c.value: v for c, v in values.items()})


def replay(entries: Iterable[Entry], start: Balance | None = None) -> tuple[Balance, list[LedgerError]]:
    """Fold entries into a balance; an already-seen reference is a no-op, an invalid entry is skipped."""
    balance = start or Balance()
    seen: set[str] = set()
    errors: list[LedgerError] = []
    for entry in entries:
        if entry.reference in seen:
            continue
        problems = validate_entry(balance, entry)
        if problems:
            errors.extend(problems)
            continue
        seen.add(entry.reference)
        balance = apply(balance, entry)
    return balance, errors


def reversal_of(entry: Entry, reference: str) -> Entry:
    """The entry that undoes another one exactly (a bounced payment, a mistaken charge)."""
    return Entry(EntryKind.REVERSAL, reference, {c: -d for c, d in entry.deltas.items() if d})


# --- The account import's rule ------------------------------------------------------------------------------
# A file states what each account owes; the ledger moves to it by entries whose references name the state,
# so one state is posted once per account and a replayed file posts nothing. The import writes this rule as
# set-based SQL (intake/importer.py); a property test holds the SQL to this function on random files.

IMPORT_OPENING_PREFIX = "import:opening:"


def import_state_tag(principal: Decimal, interest: Decimal = ZERO, fee: Decimal = ZERO, penalty: Decimal = ZERO) -> str:
    """Names the file's target balance in entry references (a component the file does not state is zero).

    Asked once per imported row, so written for speed: the amounts positionally, one f-string.
    """
    state = f"principal={principal}|interest={interest}|fee={fee}|penalty={penalty}"
    return hashlib.sha1(state.encode(), usedforsecurity=False).hexdigest()[:12]


def import_opening_reference(component: Component, tag: str) -> str:
    return f"{IMPORT_OPENING_PREFIX}{component.value}:{tag}"


def import_adjustment_reference(effective: date, tag: str) -> str:
    """One adjustment to a state per account and day: the same state imported again that day is not posted."""
    return f"import:{effective.isoformat()}:{tag}"


def import_entries(
    stored: Balance | None,
    row: Mapping[Component, Decimal],
    *,
    tag: str,
    adjustment_reference: str,
    adjusted: bool = False,
) -> list[Entry]:
    """The entries an imported row posts to its account.

    ``stored`` is the account's balance, None while it has no entry (a new account); ``row`` holds the owed
    components the file states: one it has no column for stays as stored, it is not stated as zero.
    ``adjusted`` says the ledger already holds ``adjustment_reference`` (this state was imported earlier the
    same day, and a payment has moved the balance since).

    - a new account opens with one charge per non-zero stated component, so reports see principal as
      principal;
    - an account whose balance differs from the row in a stated component gets a single ADJUSTMENT by the
      difference in every owed component (zero where it agrees), unless it is already adjusted to this state;
    - otherwise nothing.
    """
    if stored is None:
        return [
            Entry(EntryKind(c.value), import_opening_reference(c, tag), {c: row[c]})
            for c in OWED_COMPONENTS
            if row.get(c, ZERO) != 0
        ]
    target = {c: row.get(c, stored.get(c)) for c in OWED_COMPONENTS}
    if adjusted or all(target[c] == stored.get(c) for c in OWED_COMPONENTS):
        return []
    return [Entry(EntryKind.ADJUSTMENT, adjustment_reference, {c: target[c] - stored.get(c) for c in OWED_COMPONENTS})]
