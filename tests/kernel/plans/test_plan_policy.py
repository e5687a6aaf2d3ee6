"""A case's waivers together against one role's authority."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from huikuan.kernel.plans.policy import CaseWaivers, WaiverAuthority

fen = st.integers(0, 10_000_000).map(lambda n: Decimal(n) / 100)


@given(fen, fen, fen, fen, st.integers(0, 100))
def test_what_is_left_never_lets_the_waivers_together_pass_the_allowance(
    outstanding: Decimal, written: Decimal, pending: Decimal, cap: Decimal, percent: int
) -> None:
    authority = WaiverAuthority(max_amount=cap, max_percent=Decimal(percent))
    standing = CaseWaivers(0, outstanding, written, pending)
    allowed = standing.allowed(authority)
    left = standing.left(authority)
    assert left >= 0
    assert left == 0 or written + pending + left == allowed
    # Without the pending requests (a lead deciding one of them), only the written ones are taken.
    assert standing.left(authority, count_pending=False) == max(allowed - written, Decimal("0"))


def test_waiving_in_pieces_does_not_shrink_the_base() -> None:
    # 50 % of 1,000: half written already leaves nothing, although 50 % of the 500 still owed would be 250.
    authority = WaiverAuthority(max_amount=Decimal("10000"), max_percent=Decimal(50))
    assert CaseWaivers(0, Decimal("500.00"), Decimal("500.00"), Decimal("0")).left(authority) == 0
