"""Read models for the case screens: one place that loads a case with everything a page shows.

Views and the API call these so both show the same figures, with a fixed number of queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import QuerySet

from huikuan.cases.models import Case
from huikuan.kernel.ledger import Balance, total_balance
from huikuan.kernel.names import honorific
from huikuan.org.visibility import case_filter
from huikuan.portfolio.models import Account, ContactPoint, LedgerEntry


def visible_cases(user: Any) -> QuerySet[Case]:
    return Case.objects.filter(case_filter(user)).select_related("debtor", "assignee", "team")


@dataclass
class CaseView:
    case: Case
    greeting: str
    dpd: int
    bucket: str
    stage: str
    accounts: list[Account]
    totals: Balance
    contacts: list[ContactPoint]
    entries: list[LedgerEntry]


def load_case(case: Case, as_of: date) -> CaseView:
    debtor = case.debtor
    accounts = list(Account.objects.filter(debtor_id=debtor.pk).select_related("balance").order_by("due_date"))
    dpd = case.dpd(as_of)
    return CaseView(
        case=case,
        greeting=honorific(debtor.name, debtor.gender, company=debtor.kind == "company"),
        dpd=dpd,
        bucket=case.bucket(as_of).value,
        stage=case.stage(as_of).value,
        accounts=accounts,
        totals=total_balance(account.balance.as_kernel() for account in accounts),
        contacts=list(ContactPoint.objects.filter(debtor_id=debtor.pk).order_by("relation", "kind", "id")),
        entries=list(
            LedgerEntry.objects.filter(account__debtor_id=debtor.pk)
            .select_related("account")
            .order_by("-effective_date", "-id")[:200]
        ),
    )
