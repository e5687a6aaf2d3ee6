"""What a recorded contact means: answered, conversation, failed attempt, party, refusal; whose a point is."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from huikuan.kernel.compliance.gate import Owner
from huikuan.kernel.contacts import (
    ANSWERED,
    CONVERSATION,
    FAILED,
    GUARANTOR,
    SELF,
    Outcome,
    Party,
    answered,
    conversation,
    conversation_expr,
    failed_attempt,
    owner_expr,
    owner_of,
    party_reached,
    refused_by_third_party,
)

outcomes = st.sampled_from(list(Outcome))
parties = st.sampled_from(list(Party))
relations = st.sampled_from([SELF, GUARANTOR, "spouse", "relative", "colleague", "emergency", "other"]) | st.text(
    max_size=12
)


def test_every_outcome_is_answered_a_failed_attempt_or_no_attempt_at_all() -> None:
    for outcome in Outcome:
        kinds = [answered(outcome), failed_attempt(outcome), outcome == Outcome.SENT]
        assert kinds.count(True) == 1, outcome
    assert {Outcome.NO_ANSWER, Outcome.BUSY, Outcome.SWITCHED_OFF, Outcome.WRONG_NUMBER} == FAILED


def test_hanging_up_is_answered_but_no_conversation() -> None:
    assert answered(Outcome.HUNG_UP) and not conversation(Party.DEBTOR, Outcome.HUNG_UP)
    assert conversation(Party.DEBTOR, Outcome.PROMISE)
    assert not conversation(Party.THIRD_PARTY, Outcome.PROMISE)  # a spouse's promise is no talk with the debtor
    assert CONVERSATION < ANSWERED


@pytest.mark.parametrize(
    ("outcome", "relation", "party"),
    [
        (Outcome.PROMISE, None, Party.DEBTOR),  # no number named: the outcome says who it was
        (Outcome.PROMISE, SELF, Party.DEBTOR),
        (Outcome.PROMISE, "spouse", Party.THIRD_PARTY),  # a promise on the spouse's phone is the spouse's
        (Outcome.REFUSAL, GUARANTOR, Party.THIRD_PARTY),
        (Outcome.THIRD_PARTY, SELF, Party.THIRD_PARTY),  # somebody else picked up the debtor's phone
        (Outcome.NO_ANSWER, SELF, Party.NOBODY),
        (Outcome.SENT, None, Party.NOBODY),
    ],
)
def test_who_was_reached(outcome: Outcome, relation: str | None, party: Party) -> None:
    assert party_reached(outcome, relation) is party


@given(outcomes, st.none() | relations)
def test_somebody_was_reached_exactly_when_somebody_answered(outcome: Outcome, relation: str | None) -> None:
    party = party_reached(outcome, relation)
    assert (party is not Party.NOBODY) == answered(outcome)
    # The debtor is reached only on their own number, or where no number is named.
    if party is Party.DEBTOR:
        assert relation in (None, SELF)


@given(parties, outcomes)
def test_a_refusal_stops_contact_only_when_a_third_party_gives_it(party: Party, outcome: Outcome) -> None:
    assert refused_by_third_party(party, outcome) == (party is Party.THIRD_PARTY and outcome is Outcome.REFUSAL)
    assert not (refused_by_third_party(party, outcome) and conversation(party, outcome))


@given(relations)
def test_whose_a_point_is(relation: str) -> None:
    owner = owner_of(relation)
    assert (owner is Owner.DEBTOR) == (relation == SELF)
    assert (owner is Owner.GUARANTOR) == (relation == GUARANTOR)


@given(st.lists(relations, max_size=30))
def test_the_polars_owner_agrees_with_owner_of(values: list[str]) -> None:
    frame = pl.DataFrame({"relation": values}, schema={"relation": pl.Utf8})
    got = frame.select(owner_expr(pl.col("relation")).alias("owner")).get_column("owner").to_list()
    assert got == [owner_of(v).value for v in values]


@given(st.lists(st.tuples(parties, outcomes), max_size=30))
def test_the_polars_conversation_agrees_with_conversation(rows: list[tuple[Party, Outcome]]) -> None:
    frame = pl.DataFrame(
        {"party": [p.value for p, _ in rows], "outcome": [o.value for _, o in rows]},
        schema={"party": pl.Utf8, "outcome": pl.Utf8},
    )
    got = frame.select(conversation_expr(pl.col("party"), pl.col("outcome")).alias("c")).get_column("c").to_list()
    assert got == [conversation(p, o) for p, o in rows]
