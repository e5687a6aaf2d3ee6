"""The parsers every form and API field goes through before anything reaches an action or the database.

Text from a browser or a client is parsed here into a value or refused with an ``InputError`` whose code
the web adapter turns into a sentence in the user's language (``huikuan.inputs``). The shapes are ASCII
shapes after ``identifiers.fold``: ``str.isdigit`` and ``\\d`` accept '²' and '١', which ``int()`` or the
database then refused with a server error. Amounts are finite decimals to the fen within a bound (no NaN,
Infinity, exponent or superscript), dates are real dates (2026-02-30 is refused, not a crash), integers
are within a range, and text has no control characters (PostgreSQL refuses NUL in any text column).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

from huikuan.kernel.identifiers import fold, has_control
from huikuan.kernel.money import MoneyError, parse_amount


class InputError(ValueError):
    """A value that is not what its field takes; ``code`` names the rule, ``params`` fill its sentence."""

    def __init__(self, code: str, params: dict[str, str] | None = None) -> None:
        self.code = code
        self.params = params or {}
        super().__init__(f"{code} {self.params}" if self.params else code)


_INTEGER = re.compile(r"[+-]?[0-9]{1,18}")
_DATE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
_LOCAL_DATETIME = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?")


def clean_text(value: str, *, max_length: int, multiline: bool = False) -> str:
    """Text without outer spaces, control characters or more than ``max_length`` characters."""
    text = value.strip()
    if has_control(text) or (not multiline and any(c in text for c in "\n\r\t")):
        raise InputError("control")
    if len(text) > max_length:
        raise InputError("too_long", {"max": str(max_length)})
    return text


def parse_int(value: str, *, low: int, high: int) -> int:
    """An integer written in digits (any script's decimal digits read as ASCII) within [low, high]."""
    text = fold(value).strip()
    if not _INTEGER.fullmatch(text):
        raise InputError("integer")
    number = int(text)
    if not low <= number <= high:
        raise InputError("range", {"low": str(low), "high": str(high)})
    return number


def parse_day(value: str) -> date:
    """A date as YYYY-MM-DD that exists in the calendar."""
    match = _DATE.fullmatch(fold(value).strip())
    if match is None:
        raise InputError("date")
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise InputError("date") from None


def parse_local_datetime(value: str) -> datetime:
    """A wall-clock time as a browser's datetime-local input sends it (YYYY-MM-DDTHH:MM), naive."""
    match = _LOCAL_DATETIME.fullmatch(fold(value).strip())
    if match is None:
        raise InputError("datetime")
    try:
        year, month, day, hour, minute, second = (int(part) for part in match.groups(default="0"))
        return datetime(year, month, day, hour, minute, second)
    except ValueError:
        raise InputError("datetime") from None


def parse_money(value: str, *, maximum: Decimal) -> Decimal:
    """A positive amount to the fen, at most ``maximum``: the kernel's money parser after folding."""
    try:
        amount = parse_amount(fold(value).strip())
    except MoneyError:
        raise InputError("amount") from None
    if amount <= 0:
        raise InputError("amount_positive")
    if amount > maximum:
        raise InputError("amount_too_large", {"maximum": f"{maximum:,.2f}"})
    return amount
