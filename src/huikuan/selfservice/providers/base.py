"""The payment provider interface: create an order the debtor pays, and read the provider's signed notice.

A provider never posts money itself: ``selfservice.payments`` checks the order and the amount and posts
through ``payments.incoming.post_provider_payment``. Credentials come from settings; a provider without
them is not offered (the page offers bank transfer only).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol


@dataclass(frozen=True)
class OrderRequest:
    order_id: str
    amount: Decimal
    description: str
    notify_url: str
    return_url: str
    client_ip: str


@dataclass(frozen=True)
class Checkout:
    """Where the debtor goes to pay (an H5 page, a WAP gateway address)."""

    url: str


@dataclass(frozen=True)
class Notice:
    """A notification the provider signed, read: which order, how much, whether it is paid."""

    notification_id: str
    order_id: str
    amount: Decimal
    paid: bool
    transaction_id: str


class NotificationRefused(Exception):
    """A notification that is not the provider's, not fresh or not readable: nothing of it is believed."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ProviderError(Exception):
    """The provider refused or could not be reached when the order was created."""


class Provider(Protocol):
    name: str

    def create_order(self, order: OrderRequest) -> Checkout: ...

    def acknowledge(self) -> tuple[int, str, str]:
        """The answer the provider expects for a notification handled: status, content type, body."""
        ...
