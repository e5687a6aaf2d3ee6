"""Signed webhooks: HMAC-SHA256 over "<unix timestamp>.<raw body>", rejected when stale, forged or replayed.

The timestamp inside the signature bounds how long a captured request stays valid; within that window the
signature itself is the nonce: the caller stores each accepted signature until it would be stale anyway
(``Verdict.keep_until``), and refuses one it has seen. Comparing in constant time stops the signature from
being guessed byte by byte.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from enum import Enum

TOLERANCE_SECONDS = 300
# A Unix time in seconds has 10 digits until the year 2286; a longer header is not a timestamp.
_MAX_TIMESTAMP_DIGITS = 12


class Refusal(Enum):
    UNSIGNED = "unsigned"  # no timestamp or no signature (or no secret to check them with)
    MALFORMED = "malformed"  # a timestamp that is not a Unix time in ASCII digits
    STALE = "stale"  # outside the tolerance either way
    FORGED = "forged"  # the signature does not match the body and timestamp


@dataclass(frozen=True)
class Verdict:
    refusal: Refusal | None
    # The accepted signature, normalised: the replay store's key.
    signature: str = ""
    # Unix time after which the signature is stale, so the store can forget it.
    keep_until: int = 0

    @property
    def ok(self) -> bool:
        return self.refusal is None


def sign(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def parse_timestamp(text: str) -> int | None:
    """ASCII digits only: str.isdigit() also accepts '²' and Arabic-Indic digits, which int() then refuses."""
    if not text or len(text) > _MAX_TIMESTAMP_DIGITS or not (text.isascii() and text.isdigit()):
        return None
    return int(text)


def check(secret: str, timestamp: str, body: bytes, signature: str, now: float) -> Verdict:
    given = signature.removeprefix("sha256=").strip().lower()
    if not secret or not timestamp or not given:
        return Verdict(Refusal.UNSIGNED)
    stamp = parse_timestamp(timestamp)
    if stamp is None:
        return Verdict(Refusal.MALFORMED)
    if abs(now - stamp) > TOLERANCE_SECONDS:
        return Verdict(Refusal.STALE)
    expected = sign(secret, stamp, body)
    # compare_digest refuses non-ASCII str: compare bytes so any header value is just a mismatch.
    if not hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace")):
        return Verdict(Refusal.FORGED)
    return Verdict(None, expected, stamp + TOLERANCE_SECONDS)


def verify(secret: str, timestamp: str, body: bytes, signature: str, now: float) -> bool:
    return check(secret, timestamp, body, signature, now).ok
