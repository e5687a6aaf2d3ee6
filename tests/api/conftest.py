"""The API tests use the payments' debtor of team A (two contracts, 3,220.00 owed) and read messages in English."""

from tests.payments.conftest import _english, debt

__all__ = ["_english", "debt"]
