"""Legal's fixtures: the workbench's working day (tests/workbench/fixtures.py) and a case with a real ledger."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import translation

from huikuan.cases.models import Case
from huikuan.kernel.ledger import Component, EntryKind
from huikuan.portfolio.models import Account
from tests.postings import post_entry
from tests.workbench.fixtures import CaseMaker, make_case, run

__all__ = ["make_case", "run"]


def ledgered(make_case: CaseMaker, dpd: int = 120) -> Case:
    """A late case whose ledger holds 10,000.00 principal, 120.00 interest and 50.00 fees, less a 500.00 payment."""
    case = make_case(dpd, principal="0.00", interest="0.00", fee="0.00", penalty="0.00")
    account = Account.objects.get(debtor=case.debtor)
    due = account.due_date
    post_entry(account, EntryKind.PRINCIPAL, "P1", {Component.PRINCIPAL: Decimal("10000.00")}, due)
    post_entry(account, EntryKind.INTEREST, "I1", {Component.INTEREST: Decimal("120.00")}, due + timedelta(days=10))
    post_entry(account, EntryKind.FEE, "F1", {Component.FEE: Decimal("50.00")}, due + timedelta(days=12))
    post_entry(
        account,
        EntryKind.PAYMENT,
        "PAY1",
        {
            Component.INTEREST: Decimal("-120.00"),
            Component.FEE: Decimal("-50.00"),
            Component.PRINCIPAL: Decimal("-330.00"),
        },
        due + timedelta(days=15),
    )
    case.refresh_from_db()
    return case


@pytest.fixture
def late_case(make_case: CaseMaker) -> Case:
    return ledgered(make_case)


@pytest.fixture(autouse=True)
def english_messages() -> Iterator[None]:
    """The actions' refusals are read in English here (the pages' requests choose their own language)."""
    with translation.override("en"):
        yield
