"""The debtor's self-service rules that must be exactly right: one-time codes, lockout, bank references, fen.

Pure functions over plain values; the self-service app stores the times and counts and asks these.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

CODE_DIGITS = 6
CODE_VALID = timedelta(minutes=10)
# A code per minute and five an hour per link: enough for a lost SMS, too few to flood a phone.
CODE_INTERVAL = timedelta(seconds=60)
CODES_PER_HOUR = 5
# Wrong codes after which the link is locked for good: a collector sends a new one.
MAX_WRONG_CODES = 5
# How long a verified visit stays open without a new code.
SESSION_LENGTH = timedelta(minutes=30)


class CodeRefusal(StrEnum):
    TOO_SOON = "too_soon"
    TOO_MANY = "too_many"
    LOCKED = "locked"


def code_request_refusal(
    sent_at: Sequence[datetime], now: datetime, wrong_codes: int
) -> tuple[CodeRefusal, datetime | None] | None:
    """Why a new code may not be sent now (and from when it may), or None when it may.

    ``sent_at``: when the link's earlier codes were sent. A locked link gets no more codes at all.
    """
    if wrong_codes >= MAX_WRONG_CODES:
        return CodeRefusal.LOCKED, None
    recent = sorted(t for t in sent_at if now - t < timedelta(hours=1))
    if recent and now - recent[-1] < CODE_INTERVAL:
        return CodeRefusal.TOO_SOON, recent[-1] + CODE_INTERVAL
    if len(recent) >= CODES_PER_HOUR:
        return CodeRefusal.TOO_MANY, recent[-CODES_PER_HOUR] + timedelta(hours=1)
    return None


def is_locked(wrong_codes: int) -> bool:
    return wrong_codes >= MAX_WRONG_CODES


def tries_left(wrong_codes: int) -> int:
    return max(0, MAX_WRONG_CODES - wrong_codes)


def is_code_shape(text: str) -> bool:
    """Six ASCII digits: anything else is a wrong code without a look-up (full-width digits included)."""
    return len(text) == CODE_DIGITS and all("0" <= c <= "9" for c in text)


# A bank transfer's reference: "HK" + the case number + two check digits (ISO 7064 mod 97-10, as an IBAN's),
# so a mistyped digit in the transfer's memo is caught instead of paying another debtor's case.
REFERENCE_PREFIX = "HK"


def _check_digits(number: int) -> str:
    return f"{98 - (number * 100) % 97:02d}"


def transfer_reference(case_id: int) -> str:
    if case_id <= 0:
        raise ValueError("a case id is positive")
    return f"{REFERENCE_PREFIX}{case_id}{_check_digits(case_id)}"


def case_of_reference(text: str) -> int | None:
    """The case a reference names, or None when it is not one (wrong prefix, digits or check digits)."""
    body = text.strip().upper()
    if not body.startswith(REFERENCE_PREFIX):
        return None
    digits = body[len(REFERENCE_PREFIX) :]
    if len(digits) < 3 or not digits.isascii() or not digits.isdigit() or digits[0] == "0":
        return None
    number, check = int(digits[:-2]), digits[-2:]
    return number if _check_digits(number) == check else None


def to_fen(amount: Decimal) -> int:
    """Yuan to whole fen; refuses an amount not exact to the fen (a provider's integer amount must be exact)."""
    fen = amount * 100
    if fen != fen.to_integral_value():
        raise ValueError("not to the fen")
    return int(fen)


def from_fen(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(Decimal("0.01"))
