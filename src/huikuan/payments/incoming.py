"""Use cases of money coming in: posting a payment by a user or the API, and reversing one.

Posting itself (allocation, idempotency, ledger lines, settlement) is posting.py's; this adds who may do it
(``org.permissions.can_post_payments``) and the debtor's day. Both are entry points: each is the outermost
transaction (durable), so the payment is committed when they return and its locks are let go.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from huikuan.cases.models import Case
from huikuan.inputs import max_amount
from huikuan.kernel.ledger import total_balance
from huikuan.kernel.money import quantize_fen
from huikuan.kernel.text import CONTROL
from huikuan.payments.guards import ActionError, case_balances, local_today, now_or_current, require_poster
from huikuan.payments.models import (
    CLIENT_KEY_LIMIT,
    Payment,
    PaymentSource,
    PaymentStatus,
    source_key,
)
from huikuan.payments.policy import current_policy
from huikuan.payments.posting import (
    KeyConflict,
    PaymentIntent,
    PaymentRejected,
    post_payments,
    reverse_posted,
    same_payment,
)
from huikuan.payments.settlement import settle_cases
from huikuan.portfolio.ledger import lock_balances
from huikuan.portfolio.models import Account


class OverpaymentUnconfirmed(ActionError):
    """The payment exceeds what the debtor owes by more than the policy lets pass without a confirmation."""

    def __init__(self, amount: Decimal, owed: Decimal) -> None:
        self.amount, self.owed, self.excess = amount, owed, amount - owed
        super().__init__(
            [
                _(
                    "The payment of %(amount)s is %(excess)s more than the debtor owes (%(owed)s); "
                    "confirm the overpayment to post it."
                )
                % {"amount": f"{amount:,.2f}", "excess": f"{self.excess:,.2f}", "owed": f"{owed:,.2f}"}
            ]
        )


def post_payment(
    user: Any,
    case: Case,
    amount: Decimal,
    paid_on: date,
    idempotency_key: str,
    *,
    source: str = PaymentSource.MANUAL,
    reference: str = "",
    account: Account | None = None,
    confirm_overpayment: bool = False,
    today: date | None = None,
    now: datetime | None = None,
) -> tuple[Payment, bool]:
    """Post one payment; the same key from the same source again returns the first payment and changes nothing.

    The key is stored in its source's space (``source_key``): a key the API is given never meets a bank
    statement's transaction or a form's token, whatever it looks like. Returns the payment and whether this
    call created it. "Today" is the debtor's: a payment made just after midnight in Tokyo is dated a day
    the server's zone has not reached yet, and is not in the future. No amount above HUIKUAN_MAX_AMOUNT
    posts; one above what the debtor owes by more than the policy's ``overpayment_confirm_above`` raises
    OverpaymentUnconfirmed unless ``confirm_overpayment`` (a replay of a posted key is not asked again: the
    balance it is compared with has already taken it).
    """
    policy = current_policy()
    require_poster(user, case)
    today = today or local_today(case, now_or_current(now))
    given = idempotency_key.strip()
    errors = []
    if not given:
        errors.append(_("A payment needs an idempotency key."))
    if len(given) > CLIENT_KEY_LIMIT:
        errors.append(_("The idempotency key is longer than %(limit)s characters.") % {"limit": CLIENT_KEY_LIMIT})
    if CONTROL.search(given):
        errors.append(_("The idempotency key holds a control character."))
    if amount <= 0 or amount != quantize_fen(amount):
        errors.append(_("The amount must be positive and to the fen."))
    elif amount > max_amount():
        errors.append(_("The amount is above the largest allowed, %(maximum)s.") % {"maximum": f"{max_amount():,.2f}"})
    if paid_on > today:
        errors.append(_("A payment cannot be dated in the future."))
    if account is not None and account.debtor_id != case.debtor_id:
        errors.append(_("That account is not the debtor's."))
    if errors:
        raise ActionError(errors)
    key = source_key(source, given)
    if not confirm_overpayment and not Payment.objects.filter(idempotency_key=key).exists():
        owed = total_balance(case_balances(case)).total
        if amount - owed > policy.overpayment_confirm_above:
            raise OverpaymentUnconfirmed(amount, owed)
    intent = PaymentIntent(
        key=key,
        debtor_id=case.debtor_id,
        amount=amount,
        paid_on=paid_on,
        source=source,
        reference=reference[:120],
        first_account_id=account.pk if account else None,
    )
    try:
        with transaction.atomic(durable=True):
            result = post_payments([intent], user=user, policy=policy, today=today)
            if key in result.created:
                settle_cases(result.case_ids, today, policy)
    except IntegrityError:
        # Another connection inserted the same key between our look-up and our insert (the balance
        # lock does not cover a replay aimed at a different debtor): the key is taken, so it is a replay.
        existing = Payment.objects.get(idempotency_key=key)
        if not same_payment(existing, intent):
            raise KeyConflict(key, existing) from None
        return existing, False
    except PaymentRejected as exc:
        raise ActionError(exc.messages) from exc
    return Payment.objects.get(pk=result.ids[key]), key in result.created


def reverse_payment(
    user: Any, payment: Payment, reason: str, *, today: date | None = None, now: datetime | None = None
) -> Payment:
    """A bounced payment: its entries are undone exactly, the case, promises and plans fall back.

    The reversal is dated by the debtor's today, as the payment was: the server's date is a day off for a
    Tokyo or Los Angeles debtor around their midnight.
    """
    policy = current_policy()
    if payment.case is None:
        raise ActionError([_("The payment has no case.")])
    require_poster(user, payment.case)
    if not reason.strip():
        raise ActionError([_("Say why the payment is reversed.")])
    today = today or local_today(payment.case, now_or_current(now))
    with transaction.atomic(durable=True):
        # The debtor's balances before the payment row: the lock order of every money writer.
        lock_balances(debtor_ids=[payment.debtor_id])
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.status == PaymentStatus.REVERSED:
            return payment
        try:
            reverse_posted(payment, user=user, reason=reason.strip(), today=today)
        except PaymentRejected as exc:
            raise ActionError(exc.messages) from exc
        settle_cases([payment.case_id] if payment.case_id else [], today, policy)
    payment.refresh_from_db()
    return payment


def post_provider_payment(
    case: Case, amount: Decimal, paid_on: date, provider: str, order_id: str, *, reference: str = ""
) -> tuple[Payment, bool]:
    """A payment provider's verified notification of a paid order, posted as ``post_payment`` posts.

    No user: the provider's signature, checked by the caller before this is called, is the authority (as the
    bank's statement is for the import). The key is the provider's order id in the online source's space
    (``online:<provider>:<order id>``), so the provider's retry of the same notification is a replay that
    posts nothing, and no API client's or bank's key can meet it. The debtor's promise or instalment is
    settled as of the debtor's today in the same transaction, and the confirmation is queued with it.
    """
    policy = current_policy()
    given = f"{provider}:{order_id}".strip()
    if not order_id.strip() or len(given) > CLIENT_KEY_LIMIT or CONTROL.search(given):
        raise ActionError([_("The provider's order id is empty, too long or holds a control character.")])
    if amount <= 0 or amount != quantize_fen(amount) or amount > max_amount():
        raise ActionError([_("The amount must be positive and to the fen.")])
    key = source_key(PaymentSource.ONLINE, given)
    intent = PaymentIntent(
        key=key,
        debtor_id=case.debtor_id,
        amount=amount,
        paid_on=paid_on,
        source=PaymentSource.ONLINE,
        reference=(reference or given)[:120],
    )
    try:
        with transaction.atomic(durable=True):
            result = post_payments([intent], user=None, policy=policy, today=paid_on)
            if key in result.created:
                settle_cases(result.case_ids, paid_on, policy)
    except IntegrityError:
        existing = Payment.objects.get(idempotency_key=key)
        if not same_payment(existing, intent):
            raise KeyConflict(key, existing) from None
        return existing, False
    except PaymentRejected as exc:
        raise ActionError(exc.messages) from exc
    return Payment.objects.get(pk=result.ids[key]), key in result.created
