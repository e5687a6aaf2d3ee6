"""The simulated debtor: how a debtor with a latent propensity to pay answers what the system does.

The portfolio simulator (analytics.simulator) drives the real system day by day; this module decides only
what the debtors do, as pure functions of a debtor's persona, the day and what reached them. Every draw is
a hash of (seed, what is drawn, whose, when), not a position in one random stream, so a debtor's day does
not change when another debtor is added, and the same seed gives the same history.

The model, in words (each number is a parameter below):

- *persona*: a propensity to pay p ∈ [0.05, 0.95] (a Beta(2, 3) draw: most debtors are reluctant),
  whether the debtor can be reached at all (失联: 12% cannot) and whether they dispute (5%);
- *answering a call*: own numbers answer with 0.15 + 0.45·p, times 1.3 on weekday mornings (09–12), 0.8 at
  weekends and 0.9 in the evening (from 18:00); an unreachable debtor's own numbers never answer (switched
  off or wrong number); a third party's number answers with 0.35 and gives a third-party contact;
- *a right-party conversation*: a disputing debtor disputes; otherwise a promise with 0.15 + 0.55·p (0.75 of
  that in the late stage), else hardship (35% of the rest; of those, 0.2 + 0.4·p accept an instalment plan),
  refusal (40%) or hanging up;
- *keeping a promise*: 0.30 + 0.60·p plus the planted effect of the case's arm (clamped to [0, 1]); a
  broken promise is paid in part (half, to the fen) with 0.3; the money comes 0–3 days before the date;
  an instalment of a plan is paid in full with the same probability, 0–2 days before its date, else missed;
- *paying unprompted*: a daily hazard of 0.002 + 0.012·p, times 1.8 for three days after a delivered SMS or
  e-mail (times 1.15 more when its tone was firm or formal), times 1.2 early, 0.6 late; half pay the balance,
  the others 30–60% of it.
"""

from __future__ import annotations

import hashlib
import random
import struct
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal

from huikuan.kernel.contacts import Outcome

UNREACHABLE_SHARE = 0.12
DISPUTING_SHARE = 0.05
THIRD_PARTY_ANSWERS = 0.35
PARTLY_KEPT_SHARE = 0.3
REMINDED_DAYS = 3


def draw(seed: int, what: str, *keys: object) -> float:
    """A uniform number in [0, 1) fixed by the seed, what is drawn and whose/when it is.

    >>> draw(1, "answer", 17, "2026-03-02") == draw(1, "answer", 17, "2026-03-02")
    True
    >>> 0.0 <= draw(2, "keep", 5) < 1.0
    True
    """
    text = "\x1f".join([str(seed), what, *map(str, keys)]).encode()
    (value,) = struct.unpack(">Q", hashlib.blake2b(text, digest_size=8).digest())
    return value / 2.0**64


def _fraction(x: float) -> Decimal:
    """A draw's fraction as a Decimal to six places: the amounts are then exact decimal arithmetic."""
    return Decimal(str(round(x, 6)))


@dataclass(frozen=True, slots=True)
class Persona:
    propensity: float
    reachable: bool
    disputes: bool


def persona(seed: int, debtor: int | str) -> Persona:
    """A debtor's latent persona (the simulation's ground truth, never shown to the system)."""
    # A string seed is hashed the same way in every process (unlike hash()): the same persona everywhere.
    propensity = 0.05 + 0.9 * random.Random(f"{seed}:persona:{debtor}").betavariate(2, 3)
    return Persona(
        propensity=round(propensity, 4),
        reachable=draw(seed, "reachable", debtor) >= UNREACHABLE_SHARE,
        disputes=draw(seed, "disputes", debtor) < DISPUTING_SHARE,
    )


def answer_probability(p: Persona, hour: int, weekday: int, own_number: bool) -> float:
    """Probability that a call at ``hour`` (debtor's local) on ``weekday`` (0 = Monday) is answered.

    >>> round(answer_probability(Persona(0.5, True, False), 10, 1, True), 4)  # (0.15 + 0.225) × 1.3
    0.4875
    >>> answer_probability(Persona(0.5, False, False), 10, 1, True)
    0.0
    """
    if not own_number:
        return THIRD_PARTY_ANSWERS
    if not p.reachable:
        return 0.0
    base = 0.15 + 0.45 * p.propensity
    if weekday >= 5:
        base *= 0.8
    elif 9 <= hour < 12:
        base *= 1.3
    if hour >= 18:
        base *= 0.9
    return min(base, 1.0)


def promise_probability(p: Persona, stage: str) -> float:
    """Probability that a right-party conversation ends in a promise.

    >>> round(promise_probability(Persona(0.6, True, False), "early"), 4)  # 0.15 + 0.33
    0.48
    >>> round(promise_probability(Persona(0.6, True, False), "late"), 4)  # 0.48 × 0.75
    0.36
    """
    base = 0.15 + 0.55 * p.propensity
    return base * 0.75 if stage in ("late", "legal") else base


def call_outcome(p: Persona, u_answer: float, u_talk: float, hour: int, weekday: int, own: bool, stage: str) -> Outcome:
    """What one call comes to, from two uniform draws."""
    if u_answer >= answer_probability(p, hour, weekday, own):
        if own and not p.reachable:
            return Outcome.SWITCHED_OFF if u_answer < 0.8 else Outcome.WRONG_NUMBER
        return Outcome.NO_ANSWER if u_answer < 0.9 else Outcome.BUSY
    if not own:
        return Outcome.THIRD_PARTY
    if p.disputes:
        return Outcome.DISPUTE
    promise = promise_probability(p, stage)
    if u_talk < promise:
        return Outcome.PROMISE
    rest = (u_talk - promise) / max(1e-9, 1 - promise)
    if rest < 0.35:
        return Outcome.PLAN_ACCEPTED if rest / 0.35 < plan_probability(p) else Outcome.HARDSHIP
    if rest < 0.75:
        return Outcome.REFUSAL
    return Outcome.HUNG_UP


def plan_probability(p: Persona) -> float:
    """Probability that a debtor who pleads hardship accepts an instalment plan.

    >>> round(plan_probability(Persona(0.5, True, False)), 4)
    0.4
    """
    return 0.2 + 0.4 * p.propensity


def keep_probability(p: Persona, effect: float = 0.0) -> float:
    """Probability that a promise is kept in full; ``effect`` is the planted effect of the case's arm.

    >>> round(keep_probability(Persona(0.5, True, False)), 4)
    0.6
    >>> round(keep_probability(Persona(0.5, True, False), 0.05), 4)
    0.65
    """
    return min(1.0, max(0.0, 0.30 + 0.60 * p.propensity + effect))


def promised_amount(balance: Decimal, u: float) -> Decimal:
    """What the debtor promises: the balance (60%) or a part of it, 30–70%, to the fen.

    >>> promised_amount(Decimal("1000.00"), 0.1)
    Decimal('1000.00')
    >>> promised_amount(Decimal("1000.00"), 0.8)  # 0.3 + 0.4 × 0.5
    Decimal('500.00')
    """
    if u < 0.6:
        return balance
    share = Decimal("0.3") + Decimal("0.4") * _fraction((u - 0.6) / 0.4)
    return max(Decimal("0.01"), (balance * share).quantize(Decimal("0.01"), rounding=ROUND_DOWN))


def promised_date(today: date, u: float) -> date:
    """The promised day: 1–7 days ahead."""
    return today + timedelta(days=1 + int(u * 7))


@dataclass(frozen=True, slots=True)
class PromisePayment:
    pay_on: date
    amount: Decimal


def promise_payment(
    p: Persona, amount: Decimal, made: date, due: date, u_keep: float, u_part: float, u_day: float, effect: float
) -> PromisePayment | None:
    """The money a promise brings (None: broken with nothing paid).

    >>> promise_payment(Persona(0.5, True, False), Decimal("100.00"), date(2026, 3, 1), date(2026, 3, 5),
    ...                 0.1, 0.0, 0.0, 0.0)
    PromisePayment(pay_on=datetime.date(2026, 3, 5), amount=Decimal('100.00'))
    """
    day = max(made, due - timedelta(days=int(u_day * 4)))
    if u_keep < keep_probability(p, effect):
        return PromisePayment(day, amount)
    if u_part < PARTLY_KEPT_SHARE:
        half = (amount / 2).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
        return PromisePayment(day, half) if half > 0 else None
    return None


def instalment_payment(
    p: Persona, amount: Decimal, accepted: date, due: date, u_keep: float, u_day: float, effect: float
) -> PromisePayment | None:
    """An instalment is paid in full on its date or up to 2 days before (None: missed), as a promise is kept.

    >>> instalment_payment(Persona(0.5, True, False), Decimal("50.00"), date(2026, 3, 1), date(2026, 4, 1),
    ...                    0.2, 0.5, 0.0)
    PromisePayment(pay_on=datetime.date(2026, 3, 31), amount=Decimal('50.00'))
    """
    if u_keep >= keep_probability(p, effect):
        return None
    return PromisePayment(max(accepted, due - timedelta(days=int(u_day * 3))), amount)


TONE_FACTOR = {"firm": 1.15, "formal": 1.15}
STAGE_FACTOR = {"reminder": 1.2, "early": 1.2, "late": 0.6, "legal": 0.6}


def payment_hazard(p: Persona, stage: str, reminded: bool, tone: str = "") -> float:
    """Probability of paying unprompted today.

    >>> round(payment_hazard(Persona(0.5, True, False), "middle", False), 4)
    0.008
    >>> round(payment_hazard(Persona(0.5, True, False), "early", True, "firm"), 5)  # 0.008 × 1.2 × 1.8 × 1.15
    0.01987
    """
    h = 0.002 + 0.012 * p.propensity
    h *= STAGE_FACTOR.get(stage, 1.0)
    if reminded:
        h *= 1.8 * TONE_FACTOR.get(tone, 1.0)
    return min(h, 1.0)


def unprompted_amount(balance: Decimal, u: float) -> Decimal:
    """Half pay the balance; the others 30–60% of it, to the fen.

    >>> unprompted_amount(Decimal("200.00"), 0.2)
    Decimal('200.00')
    >>> unprompted_amount(Decimal("200.00"), 0.75)  # 0.3 + 0.3 × 0.5
    Decimal('90.00')
    """
    if u < 0.5:
        return balance
    share = Decimal("0.3") + Decimal("0.3") * _fraction((u - 0.5) / 0.5)
    return max(Decimal("0.01"), (balance * share).quantize(Decimal("0.01"), rounding=ROUND_DOWN))
