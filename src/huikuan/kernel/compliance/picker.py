"""Which number the call screen offers first: the debtor's own best number that the gate allows now.

The order is the policy's contact order: mobile before home before work; within a kind, a number known to
work before one never verified. Invalid and do-not-contact numbers are never offered by default, nor is a
third party's: calling one is the gate's exception (the debtor unreachable), and a quick save on a third
party's number would put a refusal on the QA register against the collector. When the best number is refused
now, the pick says why, so the collector knows why another number (or none) is selected.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

KIND_ORDER = {"mobile": 0, "home": 1, "work": 2}
VALIDITY_ORDER = {"valid": 0, "unverified": 1}


@dataclass(frozen=True, slots=True)
class Number:
    id: int
    kind: str  # mobile / home / work
    own: bool  # the debtor's own number (relation "self")
    validity: str  # valid / unverified / invalid
    do_not_contact: bool
    allowed: bool  # the gate allows a call on it now
    reason: str = ""  # the gate's reason when it does not
    next_at: datetime | None = None  # the gate's next allowed time when it does not (None: not by waiting)


@dataclass(frozen=True, slots=True)
class Pick:
    chosen: Number | None  # the number to preselect; None: nothing the debtor owns may be called now
    best: Number | None  # the debtor's best number by order, allowed or not
    refused: Number | None  # the best number when the gate refuses it now (its reason says why)


def rank(number: Number) -> tuple[int, int, int]:
    return (KIND_ORDER.get(number.kind, len(KIND_ORDER)), VALIDITY_ORDER.get(number.validity, 2), number.id)


def callable_own(numbers: Sequence[Number]) -> list[Number]:
    """The debtor's own phone numbers that may ever be offered, best first."""
    usable = [
        n for n in numbers if n.own and n.kind in KIND_ORDER and n.validity in VALIDITY_ORDER and not n.do_not_contact
    ]
    return sorted(usable, key=rank)


def pick_number(numbers: Sequence[Number]) -> Pick:
    own = callable_own(numbers)
    best = own[0] if own else None
    chosen = next((n for n in own if n.allowed), None)
    refused = best if best is not None and not best.allowed else None
    return Pick(chosen, best, refused)


def offer_order(numbers: Sequence[Number]) -> list[Number]:
    """Every phone number for the picker's list: the debtor's usable ones best first, then the debtor's
    others, then third parties."""
    own = callable_own(numbers)
    shown = {n.id for n in own}
    rest = sorted((n for n in numbers if n.id not in shown), key=lambda n: (not n.own, rank(n)))
    return own + rest
