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
from huikuan.org.permissions import staff_user
from huikuan.payments.guards import ActionError, case_balances, local_today, now_or_current, require_negotiator
from huikuan.payments.policy import PaymentsPolicy, current_policy


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
    errors = promise_refusals(case, amount, due_date, now)
    if channel not in Channel.values:
        errors.append(_("Unknown channel %(channel)s.") % {"channel": channel})
    if interaction is not None and interaction.case_id != case.pk:
        errors.append(_("That interaction belongs to another case."))
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
            created_by=staff_user(user),
            created_at=now,
        )
        record_change(
            user, promise, "promise:recorded", None, {"amount": str(amount), "due_date": due_date.isoformat()}
        )
    return promise


def promise_refusals(
    case: Case, amount: Decimal, due_date: date, now: datetime, policy: PaymentsPolicy | None = None
) -> list[str]:
    """Why this promise cannot be recorded, in the user's language (``kernel.promises.promise_problems``
    against the balance and the policy's horizon); empty when it can. The call screen asks it while the
    collector types, ``new_promise`` before it records."""
    policy = policy or current_policy()
    owed = total_balance(case_balances(case)).total
    problems = kernel_promises.promise_problems(
        amount, due_date, local_today(case, now), owed, policy.promise_horizon_days
    )
    return [_promise_sentence(p) for p in problems]


def _promise_sentence(problem: kernel_promises.PromiseProblem) -> str:
    sentences = {
        "amount_invalid": _("The amount must be more than zero and to the fen."),
        "above_balance": _("A promise cannot be more than the debtor owes (%(owed)s); %(amount)s was entered."),
        "before_today": _("A promise cannot fall due before today (%(today)s)."),
        "beyond_horizon": _(
            "A promise must fall due within %(days)s days, by %(last)s; for longer, agree a repayment plan."
        ),
    }
    return sentences[problem.code] % dict(problem.params)


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
