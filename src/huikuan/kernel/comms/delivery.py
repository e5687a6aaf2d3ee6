"""Outbox delivery rules: retry back-off, what to do with an expired lease, opt-out keywords.

The dispatcher claims a message by writing a lease (owner token and expiry) before it talks to the provider.
A worker that dies mid-send leaves the lease to expire. Whether the message may then be tried again depends on
the provider: one that de-duplicates on our idempotency key (the HTTP provider passes it; the file provider
names its file after it) can safely receive it again; SMTP cannot, so such a message becomes ``uncertain``
for a person to check rather than risking a second e-mail.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta
from enum import StrEnum


class Recovery(StrEnum):
    RESEND = "resend"
    UNCERTAIN = "uncertain"


def backoff(attempt: int, *, base_seconds: float = 30, cap_seconds: float = 3600) -> timedelta:
    """Delay before retry number ``attempt`` (1-based): base, 2×base, 4×base … capped."""
    if attempt < 1:
        raise ValueError("attempt counts from 1")
    return timedelta(seconds=min(cap_seconds, base_seconds * 2 ** (attempt - 1)))


def next_try(now: datetime, attempt: int, max_attempts: int, **kwargs: float) -> datetime | None:
    """When to retry after a temporary failure of attempt ``attempt``; None when attempts are exhausted."""
    if attempt >= max_attempts:
        return None
    return now + backoff(attempt, **kwargs)


def recover_expired_lease(provider_deduplicates: bool) -> Recovery:
    return Recovery.RESEND if provider_deduplicates else Recovery.UNCERTAIN


# Replies that mean "stop": 退订 and TD are the Chinese carriers' convention, STOP/UNSUBSCRIBE the English one.
_OPT_OUT = re.compile(r"^(退订|退定|td|stop|unsubscribe|取消订阅)$")
_STRIP = re.compile(r"[\s\W_]+", re.UNICODE)


def is_opt_out_reply(text: str) -> bool:
    """Whether an inbound reply asks to stop; only the bare keyword counts, so "TD 明天还" is not an opt-out."""
    core = _STRIP.sub("", unicodedata.normalize("NFKC", text)).lower()
    return bool(_OPT_OUT.match(core))
