"""Use cases of promises to pay: recording one (checked by the kernel) and the case's promise record.

``record_promise`` is the entry point (its own, outermost transaction); ``new_promise`` is the same use case as
a building block, for a caller that records the promise together with other things (the call's outcome).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from huikuan.audit.records import record_change
from huikuan.cases.models import Case, Channel, Interaction, Promise, PromiseState
from huikuan.kernel import promises as kernel_promises
from huikuan.kernel.ledger import total_balance
from huikuan.kernel.money import quantize_fen
from huikuan.payments.guards import ActionError, case_balances, local_today, now_or_current, require_negotiator


def record_promise(
    user: Any,
    case: Case,
    amount: Decimal,
    due_date: date,
    *,
    channel: str = Channel.CALL,
    interaction: Interaction | None = None,
    now: datetime | None = None,
) -> Promise:
    """The use case (the API): ``new_promise`` as the outermost transaction."""
    with transaction.atomic(durable=True):
        return new_promise(user, case, amount, due_date, channel=channel, interaction=interaction, now=now)


def new_promise(
    user: Any,
    case: Case,
    amount: Decimal,
    due_date: date,
    *,
    channel: str = Channel.CALL,
    interaction: Interaction | None = None,
    now: datetime | None = None,
) -> Promise:
    """Record a promise inside the caller's transaction (the call's outcome saves it with the call)."""
    require_negotiator(user, case)
    now = now_or_current(now)
    today = local_today(case, now)
    candidate = kernel_promises.Promise(quantize_fen(amount), due_date, today, channel)
    errors = [e.message for e in kernel_promises.check_promise(candidate)]
    if amount != quantize_fen(amount):
        errors.append(_("The amount must be to the fen."))
    if channel not in Channel.values:
        errors.append(_("Unknown channel %(channel)s.") % {"channel": channel})
    if interaction is not None and interaction.case_id != case.pk:
        errors.append(_("That interaction belongs to another case."))
    owed = total_balance(case_balances(case)).total
    if amount > owed:
        # A promise is to pay what is owed; more is a typo or a misunderstanding, and would count as kept
        # only once money the debtor does not owe arrived.
        errors.append(_("A promise cannot be more than the debtor owes (%(owed)s).") % {"owed": f"{owed:,.2f}"})
    if errors:
        raise ActionError(errors)
    with transaction.atomic():
        # One open promise per case: two overlapping promises would count the same money twice. The
        # case row is the lock: with no pending promise a lock on promises locks nothing, and two
        # callers would both find none and both insert.
        Case.objects.select_for_update().filter(pk=case.pk).values_list("pk", flat=True).get()
        if Promise.objects.filter(case=case, state=PromiseState.PENDING).exists():
            raise ActionError([_("The case already has a pending promise; it must be settled first.")])
        promise = Promise.objects.create(
            case=case,
            amount=amount,
            due_date=due_date,
            channel=channel,
            interaction=interaction,
            created_by=user,
            created_at=now,
        )
        record_change(
            user, promise, "promise:recorded", None, {"amount": str(amount), "due_date": due_date.isoformat()}
        )
    return promise


def promise_record(case_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """Promises per state for each case: the behaviour input of the strategy (broken promises count)."""
    ids = sorted(set(case_ids))
    result: dict[int, dict[str, int]] = {i: {s.value: 0 for s in PromiseState} for i in ids}
    for start in range(0, len(ids), 5000):
        rows = (
            Promise.objects.filter(case_id__in=ids[start : start + 5000])
            .values("case_id", "state")
            .annotate(n=Count("id"))
        )
        for row in rows:
            result[row["case_id"]][row["state"]] = row["n"]
    return result
