"""A case's facts for message variables, read in bulk (a strategy run queues thousands at once)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import models

from huikuan.cases.models import Promise, PromiseState
from huikuan.db.bulkread import one_of
from huikuan.kernel.comms.variables import Amounts, MessageFacts
from huikuan.payments.models import Instalment, InstalmentStatus, PlanStatus, RepaymentPlan
from huikuan.portfolio.models import Account, Debtor

ZERO = Decimal("0.00")


def sender_facts() -> dict[str, object]:
    sender = settings.COMMS_SENDER
    return {
        "creditor": {"zh": sender["company"], "en": sender["company_en"]},
        "hotline": sender["hotline"],
        "law_firm": {"zh": sender["law_firm"], "en": sender["law_firm_en"]},
        "payment_channels": {"zh": sender["payment_channels_zh"], "en": sender["payment_channels_en"]},
    }


def facts_for_debtors(debtor_ids: Iterable[int], today: date) -> dict[int, MessageFacts]:
    """Facts per debtor: every account that still owes summed by component; the one overdue longest (the
    oldest due date, the larger balance on a tie) names the contract, its due date and so the days overdue.

    The named contract and its dates come from one account: a letter must not put one contract's number
    beside another's due date.
    """

    ids = set(debtor_ids)
    debtors = {
        row["id"]: row for row in Debtor.objects.filter(id__in=one_of(ids)).values("id", "name", "gender", "kind")
    }
    sums: dict[int, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO, ZERO, ZERO])
    # Per debtor, the owing account with the oldest due date as (due date, -total, contract); else any account.
    named: dict[int, tuple[date, Decimal, str]] = {}
    any_contract: dict[int, str] = {}
    accounts = Account.objects.filter(debtor_id__in=one_of(ids)).values_list(
        "debtor_id", "contract_no", "due_date", "balance__principal", "balance__interest", "balance__fee",
        "balance__penalty", "balance__total",
    )  # fmt: skip
    for debtor_id, contract_no, due, principal, interest, fee, penalty, total in accounts:
        total = total or ZERO
        any_contract.setdefault(debtor_id, contract_no)
        if total <= 0:
            continue
        parts = sums[debtor_id]
        for i, value in enumerate((principal, interest, fee, penalty)):
            parts[i] += value or ZERO
        candidate = (due, -total, contract_no)
        if debtor_id not in named or candidate < named[debtor_id]:
            named[debtor_id] = candidate
    promises: dict[int, tuple[Decimal, date]] = {}
    for debtor_id, amount, due in (
        Promise.objects.filter(case__debtor_id__in=one_of(ids), state__in=[PromiseState.PENDING, PromiseState.BROKEN])
        .order_by("case__debtor_id", "-due_date")
        .values_list("case__debtor_id", "amount", "due_date")
    ):
        promises.setdefault(debtor_id, (amount, due))
    plans: dict[int, str] = {}
    # The plan in force first: one still waiting for its waiver is named only when nothing is in force
    # (a rejected waiver leaves the earlier plan binding: payments/arrangement.py).
    for debtor_id, _active, summary in (
        RepaymentPlan.objects.filter(
            case__debtor_id__in=one_of(ids), status__in=[PlanStatus.ACTIVE, PlanStatus.ACCEPTED]
        )
        .annotate(
            active=models.Case(models.When(status=PlanStatus.ACTIVE, then=models.Value(0)), default=models.Value(1))
        )
        .order_by("case__debtor_id", "active", "-created_at")
        .values_list("case__debtor_id", "active", "summary")
    ):
        plans.setdefault(debtor_id, summary)
    instalments: dict[int, tuple[date, Decimal]] = {}
    for debtor_id, due, amount, paid in (
        Instalment.objects.filter(
            plan__case__debtor_id__in=one_of(ids),
            plan__status=PlanStatus.ACTIVE,
            status__in=[InstalmentStatus.DUE, InstalmentStatus.PARTLY_PAID],
        )
        .order_by("plan__case__debtor_id", "due_date")
        .values_list("plan__case__debtor_id", "due_date", "amount", "paid_amount")
    ):
        instalments.setdefault(debtor_id, (due, amount - paid))
    sender = sender_facts()
    result = {}
    for debtor_id, row in debtors.items():
        parts = sums[debtor_id]
        promise = promises.get(debtor_id)
        instalment = instalments.get(debtor_id)
        result[debtor_id] = MessageFacts(
            name=row["name"],
            gender=row["gender"],
            company_debtor=row["kind"] == "company",
            contract_no=named[debtor_id][2] if debtor_id in named else any_contract.get(debtor_id, ""),
            amounts=Amounts(*parts),
            today=today,
            due_date=named[debtor_id][0] if debtor_id in named else None,
            promise_amount=promise[0] if promise else None,
            promise_date=promise[1] if promise else None,
            plan_summary=plans.get(debtor_id, ""),
            next_due_date=instalment[0] if instalment else None,
            next_due_amount=instalment[1] if instalment else None,
            creditor=dict(sender["creditor"]),  # type: ignore[call-overload]
            law_firm=dict(sender["law_firm"]),  # type: ignore[call-overload]
            hotline=str(sender["hotline"]),
            payment_channels=dict(sender["payment_channels"]),  # type: ignore[call-overload]
        )
    return result


def with_deadline(facts: MessageFacts, deadline: date | None) -> MessageFacts:
    return replace(facts, deadline=deadline)
