"""Signed webhooks: HMAC-SHA256 over "<unix timestamp>.<raw body>", rejected when stale or forged.

The timestamp inside the signature stops a captured receipt from being replayed later; comparing in
constant time stops the signature from being guessed byte by byte.
"""

from __future__ import annotations

import hashlib
import hmac

TOLERANCE_SECONDS = 300


def sign(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str, now: float) -> bool:
    if not secret or not timestamp.isdigit() or not signature:
        return False
    if abs(now - int(timestamp)) > TOLERANCE_SECONDS:
        return False
    return hmac.compare_digest(sign(secret, int(timestamp), body), signature.removeprefix("sha256="))
