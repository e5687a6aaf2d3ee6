"""A debtor of team A with two overdue contracts whose every component is known to the fen.

HT-OLD (due 2025-03-31): principal 1,000.00, interest 50.00, fee 20.00, penalty 30.00 → 1,100.00
HT-NEW (due 2025-06-30): principal 2,000.00, interest 80.00, fee 0.00,  penalty 40.00 → 2,120.00
The case is Alice's; Lena leads team A, Carol (team B) cannot see it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest

from huikuan.kernel.ledger import Balance, Component, EntryKind
from tests.conftest import Personas

if TYPE_CHECKING:
    from huikuan.cases.models import Case
    from huikuan.org.models import User
    from huikuan.portfolio.models import Account


@dataclass
class Debt:
    case: Case
    old: Account
    new: Account

    def balances(self) -> dict[str, Balance]:
        from huikuan.portfolio.models import AccountBalance

        return {
            b.account.contract_no: b.as_kernel()
            for b in AccountBalance.objects.select_related("account").filter(account__debtor_id=self.case.debtor_id)
        }

    def total(self) -> Decimal:
        return sum((b.total for b in self.balances().values()), Decimal("0.00"))

    def refresh(self) -> Case:
        self.case.refresh_from_db()
        return self.case


def make_debt(personas: Personas, customer_no: str = "C-100", assignee: User | None = None) -> Debt:
    from huikuan.cases.models import Case
    from huikuan.portfolio.models import Account, AccountBalance, Debtor
    from tests.postings import post_entry

    debtor = Debtor.objects.create(customer_no=customer_no, name="张伟", gender="male")
    accounts = []
    for contract, due, parts in (
        ("HT-OLD", date(2025, 3, 31), ("1000.00", "50.00", "20.00", "30.00")),
        ("HT-NEW", date(2025, 6, 30), ("2000.00", "80.00", "0.00", "40.00")),
    ):
        account = Account.objects.create(
            debtor=debtor,
            contract_no=f"{contract}-{customer_no}" if customer_no != "C-100" else contract,
            product="consumer_loan",
            original_amount=Decimal(parts[0]),
            open_date=date(2024, 1, 1),
            due_date=due,
        )
        AccountBalance.objects.create(account=account)
        for component, value in zip(
            (Component.PRINCIPAL, Component.INTEREST, Component.FEE, Component.PENALTY), parts, strict=True
        ):
            if Decimal(value):
                kind = EntryKind(component.value)
                post_entry(account, kind, f"open:{component.value}", {component: Decimal(value)}, date(2025, 1, 1))
        accounts.append(account)
    case = Case.objects.get(debtor=debtor)
    case.team = personas.team_a
    case.assignee = assignee or personas.alice
    case.save()
    return Debt(case, accounts[0], accounts[1])


@pytest.fixture
def debt(personas: Personas) -> Debt:
    return make_debt(personas)


@pytest.fixture(autouse=True)
def _english() -> object:
    # Messages are matched in English here; the zh-Hans wording is checked where it matters.
    from django.utils import translation

    with translation.override("en"):
        yield
