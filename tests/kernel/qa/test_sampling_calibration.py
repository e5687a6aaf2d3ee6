"""The weekly QA sample and the calibration of two scorers (pure)."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huikuan.kernel.qa.calibration import agreement
from huikuan.kernel.qa.sampling import CallFacts, choose_sample

calls_strategy = st.lists(
    st.builds(
        CallFacts,
        call_id=st.integers(1, 10_000),
        collector_id=st.sampled_from([1, 2, 3, None]),
        flagged=st.booleans(),
        complaint=st.booleans(),
    ),
    unique_by=lambda c: c.call_id,
    max_size=60,
)


@given(calls_strategy, st.sampled_from([Decimal("0"), Decimal("0.1"), Decimal("0.25"), Decimal("1")]))
def test_every_flagged_call_and_complaint_and_a_share_per_collector(calls: list[CallFacts], share: Decimal) -> None:
    picks = choose_sample(calls, share, "2026-W49")
    reasons = {p.call_id: p.reason for p in picks}
    assert len(reasons) == len(picks)  # no call twice
    for call in calls:
        if call.flagged:
            assert reasons[call.call_id] == "flagged"
        elif call.complaint:
            assert reasons[call.call_id] == "complaint"
    for collector in {c.collector_id for c in calls}:
        others = [c for c in calls if c.collector_id == collector and not c.flagged and not c.complaint]
        drawn = [c for c in others if reasons.get(c.call_id) == "random"]
        assert len(drawn) == math.ceil(share * len(others))
    assert choose_sample(list(reversed(calls)), share, "2026-W49") == picks  # reproducible, order-free


def test_the_share_must_be_a_fraction() -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        choose_sample([], Decimal("1.5"), "w")


def test_agreement_of_two_scorers() -> None:
    a = {"x": True, "y": True, "z": False, "w": None}
    b = {"x": True, "y": False, "z": False, "w": True}
    result = agreement(a, b, Decimal("80.0"), Decimal("65.5"))
    assert (result.items, result.agreed, result.share) == (3, 2, Decimal("0.67"))
    assert result.differing == ("y",) and result.total_gap == Decimal("14.5")
    # chance: pa = 2/3, pb = 1/3 -> 2/9 + 2/9 = 4/9; kappa = (2/3 - 4/9) / (5/9) = 0.4
    assert result.kappa == Decimal("0.40")
    same = agreement({"x": True}, {"x": True}, Decimal(100), Decimal(100))
    assert same.share == Decimal("1.00") and same.kappa is None
