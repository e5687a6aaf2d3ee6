"""Accepting a provider's signed webhook once: the signature checked (kernel.comms.webhook), then claimed.

The claim is an insert into SeenWebhook under the signature's primary key, in the caller's transaction:
of two deliveries of one request, concurrent or an attacker's replay minutes later, one inserts and the
other finds the row (or waits for it and then finds it). If handling the webhook fails, the transaction
rolls the claim back with it, so the provider's retry of the same request is still accepted. Rows are
deleted once their timestamp is stale, when the check alone refuses them (forget_stale, called outside
that transaction so its short row locks are not held while a webhook is handled).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from django.db import IntegrityError, transaction

from huikuan.comms.models import SeenWebhook
from huikuan.kernel.comms.webhook import Refusal, check


class Replayed(Exception):
    """This signed request was accepted before."""


def verify_signed(secret: str, timestamp: str, body: bytes, signature: str, now: float | None = None) -> Refusal | None:
    """Why the request is refused, or None; an accepted signature is claimed in the current transaction.

    Raises Replayed when the signature was claimed before. Call inside transaction.atomic() together with
    the handling, so a failure releases the claim.
    """
    now = time.time() if now is None else now
    verdict = check(secret, timestamp, body, signature, now)
    if not verdict.ok:
        return verdict.refusal
    try:
        with transaction.atomic():
            SeenWebhook.objects.create(
                signature=verdict.signature, keep_until=datetime.fromtimestamp(verdict.keep_until, UTC)
            )
    except IntegrityError:
        raise Replayed from None
    return None


def forget_stale(now: float | None = None) -> int:
    now = time.time() if now is None else now
    return SeenWebhook.objects.filter(keep_until__lt=datetime.fromtimestamp(now, UTC)).delete()[0]
