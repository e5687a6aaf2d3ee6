"""Money as Decimal with two places and a currency.

Floats never enter: every constructor goes through ``to_decimal`` which refuses them, because a
float amount (0.1 + 0.2) is a silent rounding error waiting for the day a debtor disputes a fen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import polars as pl

FEN = Decimal("0.01")
YUAN = Decimal("1")
ZERO = Decimal("0.00")
DEFAULT_CURRENCY = "CNY"


class MoneyError(ValueError):
    """An amount that cannot be money: a float, garbage text, too many places."""


# Amount text once currency signs are gone: digits, either plain or grouped by three with a thousands
# separator (a comma, a full-width comma, a space or a no-break space), then an optional decimal point
# and decimals. Anything else ('12,34', '1.000,00', '1e3') is refused rather than read as some other
# amount: stripping every comma read a decimal comma as a thousands separator, and '12,34' as 1,234.
_SEPARATOR = r"[,，\u0020\u00a0\u3000]"
_AMOUNT_TEXT = re.compile(rf"[+-]?(?:[0-9]{{1,3}}(?:{_SEPARATOR}[0-9]{{3}})+|[0-9]+)(?:\.[0-9]*)?")
_CURRENCY_SIGNS = str.maketrans("", "", "¥￥元")
# Ten trillion yuan: beyond any real amount, and far inside what a Decimal of 28 digits can hold to the fen
# (an amount such as 1E+26 made quantize_fen raise InvalidOperation instead of a MoneyError).
LIMIT = Decimal(10) ** 13


def to_decimal(value: object) -> Decimal:
    """Parse an amount exactly; accepts Decimal, int and text such as '1,234.50' or '￥1 234.5'."""
    if isinstance(value, bool | float):
        raise MoneyError(f"refusing {type(value).__name__} {value!r} as money: use Decimal or text")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        cleaned = value.translate(_CURRENCY_SIGNS).strip()
        if not cleaned:
            raise MoneyError("empty amount")
        if not _AMOUNT_TEXT.fullmatch(cleaned):
            raise MoneyError(f"not an amount: {value!r}")
        result = Decimal(re.sub(_SEPARATOR, "", cleaned))
    else:
        raise MoneyError(f"not an amount: {value!r}")
    if not result.is_finite():
        raise MoneyError(f"not a finite amount: {value!r}")
    if abs(result) >= LIMIT:
        raise MoneyError(f"amount out of range: {value!r}")
    return result


def quantize_fen(value: Decimal) -> Decimal:
    """Round half up to the fen, the way Chinese bank statements and contracts round."""
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


# What nearly every exported amount looks like: digits, then at most two decimals.
_PLAIN_AMOUNT = re.compile(r"([0-9]{1,13})(?:\.([0-9]{1,2}))?")


def parse_amount(value: object) -> Decimal:
    """An amount to the fen; more than two decimal places is an error, not a silent rounding."""
    if isinstance(value, str):
        plain = _PLAIN_AMOUNT.fullmatch(value)
        if plain is not None:
            # The same Decimal the general path gives (two places), without its clean-up and rounding.
            whole, fraction = plain.groups()
            return Decimal(f"{whole}.{(fraction or '').ljust(2, '0')}")
    amount = to_decimal(value)
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2 and amount != quantize_fen(amount):
        raise MoneyError(f"more than two decimal places: {value!r}")
    return quantize_fen(amount)


def plain_amount_fen(text: pl.Expr) -> pl.Expr:
    """`parse_amount` for a column of stripped texts, as whole fen (Int64), where a text has the plain form
    (``_PLAIN_AMOUNT``: digits, then at most two decimals); null for any other text, whose answer only
    `parse_amount` gives (grouped digits, currency signs, signs, more places). The same pattern: one rule."""
    plain = text.str.extract_groups(f"^{_PLAIN_AMOUNT.pattern}$")
    whole = plain.struct.field("1").cast(pl.Int64, strict=False)
    fraction = plain.struct.field("2").fill_null("").str.pad_end(2, "0").cast(pl.Int64, strict=False)
    return whole * 100 + fraction


def amount_text_refused(text: pl.Expr) -> pl.Expr:
    """True where `to_decimal` certainly refuses a stripped text as an amount: ASCII, and not of the shape
    ``_AMOUNT_TEXT`` (the same pattern) once currency signs are gone. False where it may accept it."""
    cleaned = text.str.replace_all("[" + re.escape("¥￥元") + "]", "").str.strip_chars()
    return text.str.contains(r"^[\x00-\x7f]*$") & ~cleaned.str.contains(f"^(?:{_AMOUNT_TEXT.pattern})$")


def to_fen(value: Decimal) -> int:
    """An amount with at most two places as whole fen, exactly (the databases store money so)."""
    return int((value / FEN).to_integral_exact())


def format_yuan(amount: Decimal, *, fen: bool = True) -> str:
    """'12,400.00' (or '12,400' when the policy shows whole yuan) with thousands separators."""
    if fen:
        return f"{quantize_fen(amount):,.2f}"
    return f"{amount.quantize(YUAN, rounding=ROUND_HALF_UP):,.0f}"


def grouped_digits(whole: pl.Expr, groups: int = 6) -> pl.Expr:
    """A non-negative integer column as text with thousands separators: 1234567 -> '1,234,567'.

    Arithmetic on groups of three digits rather than a regular expression (a third of the time): the six
    groups below 10**18 (past any amount ``LIMIT`` lets in, counted in fen) zero-padded and joined, then the
    leading zeros and separators stripped. A caller who knows its numbers are below 1000**``groups`` asks
    for fewer groups: each is a division, a cast and a zero fill over the whole column.
    """
    parts = [((whole // 1000**level) % 1000).cast(pl.Utf8).str.zfill(3) for level in range(groups - 1, -1, -1)]
    text = pl.concat_str(parts, separator=",").str.strip_chars_start("0,")
    return pl.when(whole == 0).then(pl.lit("0")).otherwise(text)


def fen_text(fen: pl.Expr) -> pl.Expr:
    """``format_yuan`` of an integer column of fen, in columns: 1240050 -> '12,400.50', -5 -> '-0.05'."""
    cents = fen.abs()
    text = pl.concat_str(grouped_digits(cents // 100), pl.lit("."), (cents % 100).cast(pl.Utf8).str.zfill(2))
    return pl.when(fen < 0).then(pl.lit("-") + text).otherwise(text)


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str = DEFAULT_CURRENCY

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", parse_amount(self.amount))
        if len(self.currency) != 3 or not self.currency.isalpha() or not self.currency.isupper():
            raise MoneyError(f"currency must be an ISO 4217 code such as CNY, got {self.currency!r}")

    def _same(self, other: Money) -> None:
        if self.currency != other.currency:
            raise MoneyError(f"cannot mix {self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __str__(self) -> str:
        return f"{format_yuan(self.amount)} {self.currency}"
