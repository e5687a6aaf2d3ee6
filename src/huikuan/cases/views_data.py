"""Read models for the case screens: one place that loads a case with everything a page shows.

Views and the API call these so both show the same figures, with a fixed number of queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from huikuan.cases.models import Case
from huikuan.kernel.ledger import Component
from huikuan.kernel.money import ZERO
from huikuan.kernel.names import honorific
from huikuan.org.visibility import case_filter
from huikuan.portfolio.models import Account, ContactPoint, LedgerEntry


def visible_cases(user: Any) -> QuerySet[Case]:
    return Case.objects.filter(case_filter(user)).select_related("debtor", "assignee", "team")


@dataclass
class CaseTotals:
    principal: Decimal = ZERO
    interest: Decimal = ZERO
    fee: Decimal = ZERO
    penalty: Decimal = ZERO
    credit: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.fee + self.penalty


@dataclass
class CaseView:
    case: Case
    greeting: str
    dpd: int
    bucket: str
    stage: str
    accounts: list[Account]
    totals: CaseTotals
    contacts: list[ContactPoint]
    entries: list[LedgerEntry]


def load_case(case: Case, as_of: date) -> CaseView:
    debtor = case.debtor
    accounts = list(Account.objects.filter(debtor_id=debtor.pk).select_related("balance").order_by("due_date"))
    totals = CaseTotals()
    for account in accounts:
        balance = account.balance
        for c in Component:
            setattr(totals, c.value, getattr(totals, c.value) + getattr(balance, c.value))
    dpd = case.dpd(as_of)
    return CaseView(
        case=case,
        greeting=honorific(debtor.name, debtor.gender, company=debtor.kind == "company"),
        dpd=dpd,
        bucket=case.bucket(as_of).value,
        stage=case.stage(as_of).value,
        accounts=accounts,
        totals=totals,
        contacts=list(ContactPoint.objects.filter(debtor_id=debtor.pk).order_by("relation", "kind", "id")),
        entries=list(
            LedgerEntry.objects.filter(account__debtor_id=debtor.pk)
            .select_related("account")
            .order_by("-effective_date", "-id")[:200]
        ),
    )
