"""One spelling for what names a person, a line or a file: phone numbers and identifiers folded to ASCII.

A value typed on a Chinese IME, pasted from a spreadsheet or sent by a gateway can spell one number in many
ways: full-width digits (１３８), Arabic-Indic digits (١٣٨), a mix (13８00138000), spaces, dashes, brackets.
Python's ``\\d`` and ``str.isdigit`` accept them all, so two spellings of one number were stored as two
numbers: two contact points for one line (doubling the per-number call cap) and an opt-out sent from the
line that matched neither. Every edge (import, API, forms, inbound SMS) passes values through here, so one
number has one stored spelling, and the shapes checked afterwards are ASCII shapes (``[0-9]``, never ``\\d``).

``fold`` is NFKC with every decimal digit of any script read as its ASCII digit. Numeric signs that are not
decimal digits (superscripts ², circled ①, fractions ½, CJK numerals) are left as they are, for the strict
shapes to refuse: NFKC alone would read '1²' as '12'.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import phonenumbers

from huikuan.kernel.text import CONTROL


class _AsciiDigits(dict[int, int]):
    """A ``str.translate`` table from every non-ASCII decimal digit to its ASCII digit, filled as met."""

    def __missing__(self, code: int) -> int:
        digit = unicodedata.decimal(chr(code), None)
        if digit is None or code < 128:
            raise KeyError(code)  # translate leaves the character as it is
        self[code] = ord("0") + digit
        return self[code]


_DIGITS = _AsciiDigits()


def ascii_digits(value: str) -> str:
    """Every decimal digit of any script as its ASCII digit; nothing else changes."""
    return value if value.isascii() else value.translate(_DIGITS)


def fold(value: str) -> str:
    """NFKC with decimal digits of every script as ASCII digits (see the module's docstring)."""
    if value.isascii():
        return value
    text = value.translate(_DIGITS)
    if text.isascii():
        return text
    if any(unicodedata.numeric(c, None) is not None for c in text if not c.isascii()):
        return text
    return unicodedata.normalize("NFKC", text)


def has_control(value: str) -> bool:
    """NUL and the other control characters (tab and line breaks excepted), as the import refuses them
    (``text.CONTROL``): no database column takes NUL on PostgreSQL, and none belongs in a name or a note."""
    return CONTROL.search(value) is not None


# What people put between the digits of a phone number; after NFKC the full-width forms are these too.
_PHONE_NOISE = re.compile(r"[\s\-\u2010-\u2015\u2212().\u3000]")
_PHONE_SHAPE = re.compile(r"\+?[0-9]{3,20}")
_CN_SHAPE = re.compile(r"(?:\+86|0086)?(0?)([0-9]{9,11})")


@lru_cache(maxsize=1)
def _cn_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    metadata = phonenumbers.PhoneMetadata.metadata_for_region("CN")
    assert metadata is not None and metadata.mobile and metadata.fixed_line
    return (
        re.compile(metadata.mobile.national_number_pattern or "(?!)"),
        re.compile(metadata.fixed_line.national_number_pattern or "(?!)"),
    )


def _fast_cn(cleaned: str) -> str | None:
    """Accept a Chinese mobile or landline with phonenumbers' own metadata patterns, without parsing.

    Parsing costs ~60 µs a number, a pattern match ~1 µs; an import of 100,000 rows holds 200,000+
    numbers. Only acceptance is decided here: anything this does not accept goes to the full parser, so
    the answers are phonenumbers' answers (a test compares both on many numbers). ``cleaned`` is ASCII
    already: the metadata's patterns use ``\\d``, which would take any script's digits.
    """
    match = _CN_SHAPE.fullmatch(cleaned)
    if match is None:
        return None
    trunk, nsn = match.groups()
    mobile, fixed = _cn_patterns()
    if not trunk and len(nsn) == 11 and nsn[0] == "1" and mobile.fullmatch(nsn):
        return "+86" + nsn
    if (trunk or cleaned.startswith(("+86", "0086"))) and nsn[0] != "1" and fixed.fullmatch(nsn):
        return "+86" + nsn
    return None


@lru_cache(maxsize=65536)
def normalise_phone(value: str, region: str = "CN") -> str | None:
    """E.164 in ASCII for a valid number, None otherwise (the phonenumbers metadata decides validity)."""
    cleaned = _PHONE_NOISE.sub("", fold(value))
    if not _PHONE_SHAPE.fullmatch(cleaned):
        return None
    if region == "CN":
        fast = _fast_cn(cleaned)
        if fast is not None:
            return fast
    try:
        number = phonenumbers.parse(cleaned, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def normalise_email(value: str) -> str | None:
    """An e-mail address folded and lower-cased, None when it is not one (no control characters either)."""
    text = fold(value).strip().lower()
    if has_control(text) or not _EMAIL.fullmatch(text):
        return None
    return text


def normalise_reference(value: str) -> str:
    """A customer or contract number as one spelling: folded, outer spaces gone (inner ones are kept: the
    source system's numbers are matched as it writes them)."""
    return fold(value).strip()


PHONE_KINDS = ("mobile", "home", "work")
ADDRESS_LENGTH = (4, 300)


def normalise_contact(kind: str, value: str, region: str = "CN") -> str | None:
    """A contact point's value as it is stored, for its kind; None when it is not one.

    A phone in ASCII E.164 (``normalise_phone``), an e-mail folded and lower-cased (``normalise_email``), a
    postal address folded with its runs of spaces made one (a line typed on a Chinese IME and the same line
    pasted are one address, and one contact point under the unique constraint), 4 to 300 characters.
    """
    if kind in PHONE_KINDS:
        return normalise_phone(value, region)
    if kind == "email":
        return normalise_email(value)
    if kind == "postal":
        if has_control(value):
            return None
        address = " ".join(fold(value).split())
        return address if ADDRESS_LENGTH[0] <= len(address) <= ADDRESS_LENGTH[1] else None
    return None
