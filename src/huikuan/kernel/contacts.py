"""What a recorded contact means: who was reached, whether anyone answered, whether the debtor talked, and
whose a contact point is.

The compliance rules count these (the US 7-in-7 counts calls and conversations, "stop once a third party
refuses", 失联 after failed attempts), the strategy scores them (failed attempts, right-party contacts), the
contact point learns from them (a wrong number is invalid, an answered one valid) and the generator writes
them. Each of those reads the classification from here, so a new outcome is classified once:

- *answered*: somebody picked up (the debtor or a third party), whatever was said;
- *conversation*: the debtor themself talked with us (hanging up at once is answered, not a conversation);
- *failed attempt*: nobody picked up (no answer, busy, switched off, a wrong number);
- *party*: an outcome the debtor gives was given by a third party when the number is not the debtor's own;
- *refused*: a third party refused to help, which stops contact with that person for good.

A contact point's *owner* follows from its relation to the debtor: the debtor's own, a guarantor's (a party
to the debt under some packs), or a third party's.
"""

from __future__ import annotations

from enum import StrEnum

import polars as pl

from huikuan.kernel.compliance.gate import Owner


class Outcome(StrEnum):
    RIGHT_PARTY = "right_party"
    THIRD_PARTY = "third_party"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    SWITCHED_OFF = "switched_off"
    WRONG_NUMBER = "wrong_number"
    PROMISE = "promise"
    PLAN_ACCEPTED = "plan_accepted"
    REFUSAL = "refusal"
    DISPUTE = "dispute"
    HARDSHIP = "hardship"
    CALLBACK = "callback"
    HUNG_UP = "hung_up"
    # The collector ended the call because the debtor became abusive: a conversation, to be tried again on
    # another day (and, if the policy says so, on another channel); three in a row go to a specialist.
    ENDED_ABUSIVE = "ended_abusive"
    SENT = "sent"  # an automatic message went out; nobody was reached by it


class Party(StrEnum):
    DEBTOR = "debtor"
    THIRD_PARTY = "third_party"
    NOBODY = "nobody"


# The debtor's own contact point; every other relation (spouse, colleague, emergency contact...) is not.
SELF = "self"
GUARANTOR = "guarantor"

# Outcomes only the debtor gives: whoever says them on a number that is not the debtor's is a third party.
DEBTOR_OUTCOMES = frozenset(
    {
        Outcome.RIGHT_PARTY, Outcome.PROMISE, Outcome.PLAN_ACCEPTED, Outcome.REFUSAL, Outcome.DISPUTE,
        Outcome.HARDSHIP, Outcome.CALLBACK, Outcome.HUNG_UP, Outcome.ENDED_ABUSIVE,
    }
)  # fmt: skip
ANSWERED = DEBTOR_OUTCOMES | {Outcome.THIRD_PARTY}
# Talking about the debt: everything the debtor answers except hanging up at once.
CONVERSATION = DEBTOR_OUTCOMES - {Outcome.HUNG_UP}
# Attempts in which nobody picked up; an automatic message is no attempt at all.
FAILED = frozenset(Outcome) - ANSWERED - {Outcome.SENT}


# A visit that finds the address wrong, or the debtor moved away, is recorded with the wrong number's outcome:
# the address no longer reaches the debtor. It counts toward 失联 as a failed call does; a visit nobody
# answered (not at home) does not, since the address may still be the debtor's.
UNREACHABLE_VISIT_OUTCOMES = frozenset({Outcome.WRONG_NUMBER})


def counts_toward_unreachable(channel: str, outcome: str) -> bool:
    """A failed call, or a visit that found the address invalid: what the behaviour type 失联 counts."""
    if channel == "call":
        return outcome in FAILED
    return channel == "visit" and outcome in UNREACHABLE_VISIT_OUTCOMES


def answered(outcome: str) -> bool:
    """Somebody picked up: the number works, and a third party reached is one reached before."""
    return outcome in ANSWERED


def failed_attempt(outcome: str) -> bool:
    """An attempt nobody picked up: what makes a debtor 失联 after enough of them."""
    return outcome in FAILED


def conversation(party: str, outcome: str) -> bool:
    """The debtor themself talked with us (the US quiet period after a conversation counts these)."""
    return party == Party.DEBTOR and outcome in CONVERSATION


def refused_by_third_party(party: str, outcome: str) -> bool:
    """A third party refused to help: they are never contacted again."""
    return party == Party.THIRD_PARTY and outcome == Outcome.REFUSAL


def party_reached(outcome: str, relation: str | None) -> Party:
    """Who the collector spoke to, from the outcome recorded and the relation of the number dialled.

    ``relation`` is None when no contact point is named (a visit at the address on file): the outcome says
    who it was. An outcome only the debtor gives, recorded on somebody else's number, was given by that
    somebody: a spouse who promises to pay is a third party, and the rules for third parties apply.
    """
    if outcome in DEBTOR_OUTCOMES:
        return Party.DEBTOR if relation is None or relation == SELF else Party.THIRD_PARTY
    if outcome == Outcome.THIRD_PARTY:
        return Party.THIRD_PARTY
    return Party.NOBODY


def owner_of(relation: str) -> Owner:
    """Whose a contact point is: the debtor's own, a guarantor's, or a third party's."""
    if relation == SELF:
        return Owner.DEBTOR
    if relation == GUARANTOR:
        return Owner.GUARANTOR
    return Owner.THIRD_PARTY


def owner_expr(relation: pl.Expr) -> pl.Expr:
    """The Polars form of ``owner_of`` over a column of relations (the strategy's batch gate)."""
    return (
        pl.when(relation == SELF)
        .then(pl.lit(Owner.DEBTOR.value))
        .when(relation == GUARANTOR)
        .then(pl.lit(Owner.GUARANTOR.value))
        .otherwise(pl.lit(Owner.THIRD_PARTY.value))
    )


def conversation_expr(party: pl.Expr, outcome: pl.Expr) -> pl.Expr:
    """The Polars form of ``conversation`` (the batch gate's last conversation day)."""
    return (party == Party.DEBTOR.value) & outcome.is_in(sorted(o.value for o in CONVERSATION))
