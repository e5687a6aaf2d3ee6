"""With a model's probability, the strategy orders a rule's items by the yuan expected back; without, as before."""

from __future__ import annotations

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from huikuan.kernel.strategy.evaluate import evaluate
from tests.kernel.strategy.frames import AS_OF, default_policy, row, snapshot

POLICY = default_policy()


def calls(*rows: dict[str, object]) -> dict[int, tuple[str, int]]:
    """Each case's call: its rule and priority."""
    planned = evaluate(snapshot(*rows), POLICY, AS_OF).planned
    call = planned.filter(planned["action"] == "call")
    return {c: (r, p) for c, r, p in call.select("case_id", "rule", "priority").iter_rows()}


def priorities(*rows: dict[str, object]) -> dict[int, int]:
    return {case: priority for case, (_, priority) in calls(*rows).items()}


def test_the_case_expected_to_bring_more_yuan_comes_first_within_its_rule() -> None:
    # Same day past due, same rule: 60% of 5,000 yuan (3,000 expected) before 10% of 20,000 (2,000 expected).
    p = priorities(
        row(1, dpd=10, balance_fen=500_000, risk_score=0.4),
        row(2, dpd=10, balance_fen=2_000_000, risk_score=0.9),
    )
    assert set(p) == {1, 2} and p[1] > p[2]
    # Without a model the larger balance comes first, as it always did.
    q = priorities(row(1, dpd=10, balance_fen=500_000), row(2, dpd=10, balance_fen=2_000_000))
    assert q[2] >= q[1]


@settings(max_examples=40, deadline=None)
@given(st.floats(0.0, 1.0), st.floats(0.0, 1.0), st.integers(10_000, 10_000_000), st.integers(10_000, 10_000_000))
def test_the_priority_never_falls_as_the_expected_yuan_rises(
    risk_a: float, risk_b: float, balance_a: int, balance_b: int
) -> None:
    c = calls(
        row(1, dpd=10, balance_fen=balance_a, risk_score=risk_a),
        row(2, dpd=10, balance_fen=balance_b, risk_score=risk_b),
    )
    # Within one rule (a risk band may pick another rule, with its own weight).
    assume(set(c) == {1, 2} and c[1][0] == c[2][0])
    expected = {1: (1 - risk_a) * balance_a, 2: (1 - risk_b) * balance_b}
    if expected[1] > expected[2]:
        assert c[1][1] >= c[2][1]
