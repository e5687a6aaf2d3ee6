"""The US validation notice (12 CFR 1006.34) and time-barred debts (12 CFR 1006.26(b)), as pure rules.

- The notice goes with the first communication or within five days after it (``notice_due_by``).
- The consumer is assumed to receive it five days after it is sent, not counting Saturdays, Sundays and
  the legal public holidays of 5 U.S.C. 6103(a) (``assumed_receipt``); the validation period ends 30 days
  after receipt (``validation_period_end``), and the notice states that end date to the day.
- A dispute in writing inside the period stops collection until verification is sent
  (``dispute_stops_collection``).
- The notice itemises the debt from an itemisation date to today: interest, fees, payments and credits
  (``itemize``). What it states must add up: the amount then, plus what was charged, less what was paid or
  credited, is the amount now.
- A debt whose statute of limitations has run is time-barred: no suit and no threat of suit
  (``time_barred``; ``mentions_suit`` finds the words that threaten one). The period depends on the product
  and on the state whose law governs the debt (``limitation_years_for``), and some states require written
  communications on a time-barred debt to say so (``disclosure_for``, ``carries_disclosure``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from huikuan.kernel.holidays import Calendar, is_public_holiday
from huikuan.kernel.ledger import OWED_COMPONENTS, Component
from huikuan.kernel.money import ZERO
from huikuan.kernel.plans.schedule import add_months
from huikuan.kernel.regions import region_code

RECEIPT_DAYS = 5  # business days after sending (1006.34(b)(5))
VALIDATION_DAYS = 30  # after receipt
NOTICE_DAYS = 5  # after the initial communication, when the notice was not part of it (1006.34(a)(1))


def _business_day(day: date, calendar: Calendar) -> bool:
    return day.weekday() < 5 and not is_public_holiday(calendar, day)


def assumed_receipt(sent_on: date, calendar: Calendar = "us") -> date:
    """The day the consumer is assumed to have received a notice sent on ``sent_on``: the fifth day after it
    that is neither a Saturday, a Sunday nor a legal public holiday."""
    day, counted = sent_on, 0
    while counted < RECEIPT_DAYS:
        day += timedelta(days=1)
        if _business_day(day, calendar):
            counted += 1
    return day


def validation_period_end(sent_on: date, calendar: Calendar = "us") -> date:
    """The last day of the validation period: 30 days after the assumed receipt."""
    return assumed_receipt(sent_on, calendar) + timedelta(days=VALIDATION_DAYS)


def notice_due_by(first_communication: date) -> date:
    """The last day to send the notice when the initial communication did not carry it."""
    return first_communication + timedelta(days=NOTICE_DAYS)


def dispute_stops_collection(disputed_on: date, period_end: date | None, verification_sent: date | None) -> bool:
    """A dispute inside the validation period stops collection until verification is sent (1006.34(c)(4))."""
    if period_end is None or disputed_on > period_end:
        return False
    return verification_sent is None or verification_sent < disputed_on


@dataclass(frozen=True, slots=True)
class Movement:
    """One ledger entry's effect on what is owed: component deltas, positive when charged."""

    effective_date: date
    deltas: Mapping[Component, Decimal]


@dataclass(frozen=True, slots=True)
class Itemization:
    """The model notice's itemisation, exact to the cent (or fen): then + charged - paid = now."""

    itemization_date: date
    amount_then: Decimal
    interest: Decimal
    fees: Decimal
    other_charges: Decimal  # principal added after the itemisation date (rare; shown only when not zero)
    paid_or_credited: Decimal

    @property
    def amount_now(self) -> Decimal:
        return self.amount_then + self.interest + self.fees + self.other_charges - self.paid_or_credited


def itemize(movements: Iterable[Movement], itemization_date: date) -> Itemization:
    """Everything up to and including ``itemization_date`` is the amount then; after it, each component's
    increases are charges (interest; fees and late charges; other) and every decrease is paid or credited.

    Worked example: 10,000.00 principal charged on 2026-01-05 (the itemisation date), 120.00 interest on
    02-05, a 50.00 late fee on 02-10, a 500.00 payment on 02-20 (interest -120.00, fee -50.00, principal
    -330.00): then 10,000.00, interest 120.00, fees 50.00, paid 500.00, now 9,670.00.
    """
    then = interest = fees = other = paid = ZERO
    for movement in movements:
        for component in OWED_COMPONENTS:
            delta = movement.deltas.get(component, ZERO)
            if movement.effective_date <= itemization_date:
                then += delta
            elif delta > ZERO:
                if component is Component.INTEREST:
                    interest += delta
                elif component in (Component.FEE, Component.PENALTY):
                    fees += delta
                else:
                    other += delta
            else:
                paid -= delta
    return Itemization(itemization_date, then, interest, fees, other, paid)


# A limitation table: (product or ANY_PRODUCT, region or ANY_REGION) -> years.
ANY_PRODUCT = "*"
ANY_REGION = ""
LimitationTable = Mapping[tuple[str, str], int]


def limitation_key(key: str) -> tuple[str, str]:
    """A setting's key read as (product, region): "credit_card" is the product anywhere, "credit_card/CA" the
    product in California, "*/NY" any product in New York.

    >>> limitation_key("credit_card"), limitation_key("credit_card/ca"), limitation_key("*/New York")
    (('credit_card', ''), ('credit_card', 'CA'), ('*', 'NY'))
    """
    product, _, region = key.partition("/")
    return product.strip(), region_code(region)


def limitation_years_for(table: LimitationTable, product: str, region: str) -> int | None:
    """The limitation period of a debt: the most specific entry wins — the product in the debtor's region,
    then any product in that region, then the product anywhere; None when nothing applies (never barred).

    >>> table = {("credit_card", ""): 6, ("credit_card", "CA"): 4, ("*", "NY"): 3}
    >>> [limitation_years_for(table, p, r) for p, r in
    ...  [("credit_card", "CA"), ("credit_card", "NY"), ("credit_card", "TX"), ("auto_loan", "NY"), ("auto_loan", "")]]
    [4, 3, 6, 3, None]
    """
    if region:
        for key in ((product, region), (ANY_PRODUCT, region)):
            if key in table:
                return table[key]
    return table.get((product, ANY_REGION))


def disclosure_texts(disclosures: Mapping[str, Mapping[str, str]], region: str) -> tuple[str, ...]:
    """The time-barred disclosure's wordings a region's law asks for (every language the pack states it in)."""
    return tuple(text for text in (disclosures.get(region) or {}).values() if text)


def disclosure_for(wordings: Mapping[str, str], lang: str) -> str:
    """A region's disclosure (its wordings by language) in the message's language; English when the pack has
    no wording in that language, since the English text is the one the statute prescribes.

    >>> disclosure_for({"en": "We cannot sue you.", "zh": "我们不能起诉您。"}, "zh-hans")
    '我们不能起诉您。'
    >>> disclosure_for({"en": "We cannot sue you."}, "zh-hans"), disclosure_for({}, "en")
    ('We cannot sue you.', '')
    """
    return wordings.get("zh" if lang.startswith("zh") else "en") or wordings.get("en", "")


def _folded(text: str) -> str:
    return " ".join(text.split()).casefold()


def carries_disclosure(text: str, wordings: Iterable[str]) -> bool:
    """Whether ``text`` states one of the wordings whole (white space and case aside: a letter's line breaks
    and an e-mail's paragraphs must not make a disclosure that is there look absent)."""
    body = _folded(text)
    return any(_folded(wording) in body for wording in wordings if wording.strip())


def limitation_ends(start: date, years: int) -> date:
    """The first day on which a debt whose limitation period started on ``start`` is time-barred."""
    return add_months(start, 12 * years)


def time_barred(start: date | None, years: int | None, today: date) -> bool:
    """Whether the statute of limitations has run on ``today``; unknown start or no statute: not barred."""
    if start is None or years is None:
        return False
    return today >= limitation_ends(start, years)


# Words that bring a suit into a text: to a time-barred debt they are a threat the debtor cannot be made.
_SUIT = {
    "zh": re.compile(r"起诉|诉讼|诉至|法院|开庭|判决|强制执行|律师函|司法程序|法律程序|立案"),
    "en": re.compile(
        r"\b(?:lawsuits?|sue[ds]?|suing|court|judg(?:e)?ments?|legal action|legal proceedings?|litigation"
        r"|garnish(?:ment|ed)?|attorney'?s? letter)\b",
        re.IGNORECASE,
    ),
}


def mentions_suit(text: str, lang: str = "zh") -> list[tuple[int, int]]:
    """The spans of ``text`` that mention a lawsuit or its steps."""
    pattern = _SUIT["en" if lang.startswith("en") else "zh"]
    return [(m.start(), m.end()) for m in pattern.finditer(text)]
