"""Online payments: an order the debtor pays at a provider, and the provider's notification that posts it.

The notification is believed only after its provider's signature (``providers``); then its order must be
ours and its amount the order's to the fen. A notification seen before is a replay: refused (409), posting
nothing. Posting is ``payments.incoming.post_provider_payment`` under the order id in the online source's
key space, so even a replay that slipped past would post nothing twice; the payment settles the debtor's
promise or instalment the same day and queues the confirmation, as every payment does.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from huikuan import clock
from huikuan.inputs import max_amount
from huikuan.kernel.ledger import total_balance
from huikuan.payments.guards import ActionError, case_balances
from huikuan.payments.incoming import post_provider_payment
from huikuan.selfservice.actions import Session
from huikuan.selfservice.links import Visit, event, token_of
from huikuan.selfservice.models import EventKind, OrderStatus, PaymentOrder, SeenNotification
from huikuan.selfservice.providers.base import Notice, NotificationRefused, OrderRequest, ProviderError
from huikuan.selfservice.providers.registry import online_providers

log = logging.getLogger("huikuan.selfservice")


def start_payment(session: Session, provider_name: str, amount: Decimal, visit: Visit) -> PaymentOrder:
    """An order at the provider for an amount within what is owed; the debtor is sent to its checkout."""
    provider = online_providers().get(provider_name)
    if provider is None:
        raise ActionError([_("That way of paying is not available.")])
    owed = total_balance(case_balances(session.case)).total
    if amount <= 0 or amount > owed or amount > max_amount():
        event(session.link.case_id, EventKind.ACTION_REFUSED, visit, link=session.link, what="payment",
              amount=str(amount), owed=str(owed))  # fmt: skip
        raise ActionError([_("Pay more than zero and at most what you owe (%(owed)s).") % {"owed": f"{owed:,.2f}"}])
    with transaction.atomic(durable=True):
        order = PaymentOrder.objects.create(
            case=session.case, link=session.link, provider=provider.name, amount=amount, created_at=visit.at,
            order_id=f"HK{session.case.pk}X{secrets.token_hex(6).upper()}",
        )  # fmt: skip
    site = settings.SITE_URL.rstrip("/")
    request = OrderRequest(
        order_id=order.order_id,
        amount=amount,
        description=_("Repayment, case %(case)s") % {"case": session.case.pk},
        notify_url=site + reverse(f"selfservice:notify-{provider.name}"),
        return_url=site + reverse("selfservice:paid", args=[token_of(session.link), order.order_id]),
        client_ip=visit.ip or "",
    )
    try:
        checkout = provider.create_order(request)
    except ProviderError as exc:
        log.warning("order %s not created: %s", order.order_id, exc)
        PaymentOrder.objects.filter(pk=order.pk).update(status=OrderStatus.FAILED)
        event(session.link.case_id, EventKind.ACTION_REFUSED, visit, link=session.link, what="payment",
              provider=provider.name, reason="provider")  # fmt: skip
        raise ActionError([_("The payment could not be started; try again in a moment or pay by transfer.")]) from exc
    with transaction.atomic(durable=True):
        PaymentOrder.objects.filter(pk=order.pk).update(checkout_url=checkout.url[:1000])
        event(session.link.case_id, EventKind.PAYMENT_STARTED, visit, link=session.link, code_id=session.code_id,
              order=order.order_id, provider=provider.name, amount=str(amount))  # fmt: skip
    order.refresh_from_db()
    return order


@dataclass(frozen=True)
class Handled:
    status: int
    reason: str = ""
    posted: bool = False


def refuse(provider: str, reason: str, status: int, visit: Visit, order: PaymentOrder | None = None) -> Handled:
    log.warning("%s notification refused: %s", provider, reason)
    with transaction.atomic(durable=True):
        event(order.case_id if order else None, EventKind.NOTIFICATION_REFUSED, visit,
              provider=provider, reason=reason, order=order.order_id if order else "")  # fmt: skip
    return Handled(status, reason)


def receive_notification(provider: str, read: Callable[[], Notice], visit: Visit) -> Handled:
    """Read, check and post one notification; every refusal is recorded and posts nothing."""
    try:
        notice = read()
    except NotificationRefused as refused:
        return refuse(provider, f"signature: {refused.reason}", 403 if refused.reason != "malformed" else 400, visit)
    order = PaymentOrder.objects.filter(provider=provider, order_id=notice.order_id).select_related("case").first()
    if order is None:
        return refuse(provider, f"unknown order {notice.order_id[:40]}", 404, visit)
    if notice.amount != order.amount:
        return refuse(provider, f"amount {notice.amount} is not the order's {order.amount}", 400, visit, order)
    if not notice.paid:
        return Handled(200, "not paid")
    try:
        with transaction.atomic(durable=True):
            SeenNotification.objects.create(provider=provider, notification_id=notice.notification_id, at=visit.at)
            if order.paid_on is None:
                order.paid_on = order.case.debtor.today(visit.at)
                order.save(update_fields=["paid_on"])
    except IntegrityError:
        return refuse(provider, f"replay of {notice.notification_id[:60]}", 409, visit, order)
    try:
        payment, created = post_provider_payment(
            order.case, order.amount, order.paid_on, provider, order.order_id, reference=notice.transaction_id
        )
    except ActionError as error:
        # Not posted: the claim is released, so the provider's retry is read again.
        SeenNotification.objects.filter(provider=provider, notification_id=notice.notification_id).delete()
        return refuse(provider, "; ".join(error.messages), 400, visit, order)
    with transaction.atomic(durable=True):
        PaymentOrder.objects.filter(pk=order.pk).update(
            status=OrderStatus.PAID, paid_at=visit.at, payment=payment, provider_transaction=notice.transaction_id
        )
        event(order.case_id, EventKind.PAYMENT_POSTED, visit, link=order.link, order=order.order_id,
              provider=provider, amount=str(order.amount), payment=payment.pk, created=created)  # fmt: skip
    return Handled(200, posted=created)


def now_visit(ip: str | None, user_agent: str) -> Visit:
    return Visit(ip, user_agent, clock.now())
