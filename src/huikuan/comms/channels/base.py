"""What every sending channel adapter offers the dispatcher."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Outgoing:
    key: str  # the idempotency key: providers that de-duplicate receive it
    recipient: str
    subject: str
    body: str
    html: str
    language: str
    extra_headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class SendResult:
    provider_id: str
    status: str = "accepted"


class TemporaryFailure(Exception):
    """Try again later (timeout, 5xx, throttling, connection refused)."""


class PermanentFailure(Exception):
    """Do not try again (rejected number, malformed request)."""


class Provider(Protocol):
    """A sending adapter. One may also offer ``send_many(messages) -> list[SendResult | Exception]`` (an outcome per
    message, in order, failures returned rather than raised) and ``pipeline: int``: the dispatcher then hands each
    sending thread runs of ``pipeline`` messages (the HTTP SMS gateway pipelines them on one connection)."""

    name: str
    # True when sending the same key twice reaches the debtor once: the dispatcher may then resend a message
    # whose worker died mid-send; otherwise it marks the message uncertain.
    deduplicates: bool

    def send(self, message: Outgoing) -> SendResult: ...

    def close(self) -> None: ...
