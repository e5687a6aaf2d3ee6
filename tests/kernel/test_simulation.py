"""The simulated debtor: deterministic per seed, probabilities that are probabilities, effects that add."""

from __future__ import annotations

import doctest
from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from huikuan.kernel import simulation as model
from huikuan.kernel.analytics import frames, kpis, readout


def test_the_worked_examples_in_the_docstrings_hold() -> None:
    for module in (model, kpis, frames, readout):
        assert doctest.testmod(module).failed == 0


def test_the_same_seed_gives_the_same_persona_and_another_seed_another_population() -> None:
    assert model.persona(1, 42) == model.persona(1, 42)
    first = [model.persona(1, d).propensity for d in range(200)]
    second = [model.persona(2, d).propensity for d in range(200)]
    assert first != second
    # Beta(2, 3) scaled to [0.05, 0.95]: mean 0.05 + 0.9 × 0.4 = 0.41.
    assert 0.36 < sum(first) / len(first) < 0.46


@given(
    st.floats(min_value=0.05, max_value=0.95), st.booleans(), st.booleans(), st.integers(0, 23), st.integers(0, 6),
    st.booleans(), st.sampled_from(["reminder", "early", "middle", "late", "legal"]),
    st.floats(min_value=-1, max_value=1),
)  # fmt: skip
def test_every_probability_is_a_probability(
    p: float, reachable: bool, disputes: bool, hour: int, weekday: int, own: bool, stage: str, effect: float
) -> None:
    persona = model.Persona(p, reachable, disputes)
    for value in (
        model.answer_probability(persona, hour, weekday, own),
        model.promise_probability(persona, stage),
        model.keep_probability(persona, effect),
        model.payment_hazard(persona, stage, reminded=True, tone="firm"),
    ):
        assert 0.0 <= value <= 1.0


@given(st.floats(min_value=0.05, max_value=0.9), st.floats(min_value=0.0, max_value=0.1))
def test_a_planted_effect_raises_the_kept_probability_by_itself(p: float, effect: float) -> None:
    persona = model.Persona(p, True, False)
    assert abs(model.keep_probability(persona, effect) - model.keep_probability(persona) - effect) < 1e-9


@given(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1000000"), places=2), st.floats(0, 0.999999))
def test_amounts_are_to_the_fen_and_never_more_than_owed(owed: Decimal, u: float) -> None:
    for amount in (model.promised_amount(owed, u), model.unprompted_amount(owed, u)):
        assert amount == amount.quantize(Decimal("0.01"))
        assert Decimal("0.01") <= amount <= max(owed, Decimal("0.01"))


def test_an_unreachable_debtors_own_numbers_never_answer() -> None:
    persona = model.Persona(0.9, reachable=False, disputes=False)
    outcomes = {model.call_outcome(persona, u / 100, 0.1, 10, 1, True, "early") for u in range(100)}
    assert outcomes <= {model.Outcome.SWITCHED_OFF, model.Outcome.WRONG_NUMBER}


def test_a_kept_promise_pays_its_amount_on_or_before_its_date_and_not_before_it_was_made() -> None:
    persona = model.Persona(0.5, True, False)
    paid = model.promise_payment(persona, Decimal("80.00"), date(2026, 3, 4), date(2026, 3, 5), 0.0, 0.9, 0.99, 0.0)
    assert paid == model.PromisePayment(date(2026, 3, 4), Decimal("80.00"))
