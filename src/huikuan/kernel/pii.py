"""Personal data: masking for display, validation and keyed hashing of identity numbers.

A national ID is never stored in clear (PIPL art. 6, minimum necessary): only an HMAC under a key
the deployment keeps, so two imports of the same person match, plus the last four characters that a
collector reads back during the identity check.
"""

from __future__ import annotations

import hashlib
import hmac
import operator
import re
from dataclasses import dataclass
from datetime import date

import polars as pl

from huikuan.kernel.identifiers import fold

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# ASCII digits only: str.isdigit() also takes '²', which int() then refuses.
_CN_ID_SHAPE = re.compile(r"[0-9]{17}[0-9X]")


def mask_phone(number: str) -> str:
    """'13812341234' → '138****1234'; short numbers keep only their last four."""
    digits = number.strip()
    if len(digits) >= 11:
        return f"{digits[:3]}****{digits[-4:]}"
    if len(digits) > 4:
        return f"{'*' * (len(digits) - 4)}{digits[-4:]}"
    return "****"


def phone_tail(number: str) -> str:
    """The way collectors name a number aloud: 尾号1234."""
    return f"尾号{number.strip()[-4:]}"


def mask_email(address: str) -> str:
    local, _, domain = address.partition("@")
    if not domain:
        return "***"
    return f"{local[:1]}***@{domain}"


def mask_text(text: str, keep: int = 1) -> str:
    """Names and addresses: the first characters only (张**, 北京市******)."""
    text = text.strip()
    if len(text) <= keep:
        return "*" * len(text)
    return text[:keep] + "*" * min(len(text) - keep, 6)


def mask_id_number(raw: str) -> str:
    """An ID number with all but its last four characters hidden (**************002X)."""
    text = raw.strip()
    if len(text) <= 4:
        return "*" * len(text)
    return "*" * (len(text) - 4) + text[-4:]


def normalise_id_number(raw: str) -> str:
    """One spelling of an ID number: full-width or other scripts' digits as ASCII, no spaces, upper case.

    The keyed hash is taken of this spelling, so two spellings of one ID match one person."""
    return "".join(fold(raw).split()).upper()


def validate_cn_id(raw: str) -> str | None:
    """Error text for an invalid 18-character resident ID, None when valid (checksum and birth date)."""
    value = normalise_id_number(raw)
    if len(value) != 18:
        return f"must have 18 characters, has {len(value)}"
    if not _CN_ID_SHAPE.fullmatch(value):
        return "must be 17 digits followed by a digit or X"
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return f"birth date {value[6:14]} is not a date"
    total = sum(map(operator.mul, map(int, value[:17]), _ID_WEIGHTS))
    if _ID_CHECK[total % 11] != value[17]:
        return "check character does not match"
    return None


def cn_id_valid(value: pl.Expr) -> pl.Expr:
    """`validate_cn_id(v) is None` for a column of ID numbers already in their one spelling
    (`normalise_id_number`) and ASCII: the shape, the birth date and the check character, with the same
    weights and check characters. Null where the value is null."""
    shaped = value.str.contains(f"^{_CN_ID_SHAPE.pattern}$")
    digits = [value.str.slice(i, 1).cast(pl.Int64, strict=False) for i in range(17)]
    total = pl.sum_horizontal([d * w for d, w in zip(digits, _ID_WEIGHTS, strict=True)])
    check = (total % 11).replace_strict(dict(enumerate(_ID_CHECK)), default=None, return_dtype=pl.String)
    year = value.str.slice(6, 4).cast(pl.Int64, strict=False)
    born = value.str.slice(6, 8).str.to_date("%Y%m%d", strict=False)
    return (
        pl.when(value.is_null())
        .then(None)
        .otherwise(shaped & (year >= 1) & born.is_not_null() & (check == value.str.slice(17, 1)))
        .fill_null(pl.when(value.is_null()).then(None).otherwise(False))
    )


def validate_uscc(raw: str) -> str | None:
    """Error text for an invalid unified social credit code (统一社会信用代码), None when valid."""
    value = normalise_id_number(raw)
    if len(value) != 18:
        return f"must have 18 characters, has {len(value)}"
    if any(c not in _USCC_CHARS for c in value):
        return "contains characters a credit code cannot have"
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(value[:17], _USCC_WEIGHTS, strict=True))
    expected = _USCC_CHARS[(31 - total % 31) % 31]
    if expected != value[17]:
        return "check character does not match"
    return None


def cn_id_check_char(first17: str) -> str:
    """The check character for 17 digits (the generator builds valid IDs with it)."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def uscc_check_char(first17: str) -> str:
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_CHARS[(31 - total % 31) % 31]


def hash_id_number(raw: str, key: str) -> str:
    # hmac.digest is the one-shot C implementation of hmac.new(...).digest().
    return hmac.digest(key.encode(), normalise_id_number(raw).encode(), hashlib.sha256).hex()


# How many identity checks a case allows per day: enough for a debtor who mishears, too few to guess four
# characters (10,000 possibilities, 11 for the check character) or to probe the stored number.
IDENTITY_CHECKS_PER_DAY = 5


@dataclass(frozen=True, slots=True)
class IdentityAnswer:
    """The result of comparing what the debtor said with what is stored; never the stored value itself."""

    method: str  # "tail": the last four characters; "full": the whole number against its keyed hash
    match: bool


class IdentityInputError(ValueError):
    """What was typed cannot be compared: the reason is a code the caller words (empty, length, nothing stored)."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(code)


def check_identity(said: str, *, last4: str, id_hash: str, key: str) -> IdentityAnswer:
    """Compare the ID or credit code characters the debtor said with the stored tail or keyed hash.

    Four characters are compared with the stored last four, the whole number (15 to 18 characters) with
    its HMAC. Comparisons take constant time, so how long the answer takes says nothing about the value.
    """
    typed = normalise_id_number(said).replace("-", "")
    if not typed:
        raise IdentityInputError("empty")
    if len(typed) == 4:
        if not last4:
            raise IdentityInputError("nothing_stored")
        return IdentityAnswer("tail", hmac.compare_digest(typed.encode(), normalise_id_number(last4).encode()))
    if 15 <= len(typed) <= 18:
        if not id_hash:
            raise IdentityInputError("nothing_stored")
        return IdentityAnswer("full", hmac.compare_digest(hash_id_number(typed, key), id_hash))
    raise IdentityInputError("length")


def identity_checks_left(done_today: int, limit: int = IDENTITY_CHECKS_PER_DAY) -> int:
    return max(0, limit - done_today)
