"""Calibration: two QA scorers on one call, and how far they agree.

Agreement is over the scorecard items both scorers judged (an item one of them marked as not applying is left
out): the share of items with the same verdict, and Cohen's kappa over those verdicts, which discounts the
agreement two scorers would reach by chance given how often each passes an item.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Agreement:
    items: int  # items both judged
    agreed: int
    share: Decimal  # agreed / items, 0..1 (1 when there is nothing to compare)
    kappa: Decimal | None  # None when chance agreement is total (both passed everything, say)
    total_gap: Decimal  # |total A - total B| in points
    differing: tuple[str, ...]  # the items they disagree on


def agreement(
    a: Mapping[str, bool | None], b: Mapping[str, bool | None], total_a: Decimal, total_b: Decimal
) -> Agreement:
    both = [item for item in a if item in b and a[item] is not None and b[item] is not None]
    agreed = sum(1 for item in both if a[item] == b[item])
    n = len(both)
    share = Decimal(1) if n == 0 else Decimal(agreed) / n
    kappa: Decimal | None = None
    if n:
        pa = Decimal(sum(1 for i in both if a[i])) / n
        pb = Decimal(sum(1 for i in both if b[i])) / n
        chance = pa * pb + (1 - pa) * (1 - pb)
        if chance != 1:
            kappa = ((share - chance) / (1 - chance)).quantize(Decimal("0.01"))
    return Agreement(
        items=n,
        agreed=agreed,
        share=share.quantize(Decimal("0.01")),
        kappa=kappa,
        total_gap=abs(total_a - total_b),
        differing=tuple(item for item in both if a[item] != b[item]),
    )
