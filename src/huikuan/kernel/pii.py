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
from datetime import date

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
