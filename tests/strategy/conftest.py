"""Crafted cases for the strategy run, written through the ORM like an import would leave them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from itertools import count
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.conftest import AS_OF, Personas

if TYPE_CHECKING:
    from huikuan.cases.models import Case
    from huikuan.org.models import User
    from huikuan.strategy.models import PolicyVersion

ROOT = Path(__file__).resolve().parents[2]
_serial = count(1)


@pytest.fixture
def champion(db: None) -> PolicyVersion:
    from huikuan.strategy.actions import import_policy

    version, _ = import_policy((ROOT / "examples" / "policy-default.yaml").read_text(encoding="utf-8"), activate=True)
    return version


CaseMaker = Callable[..., "Case"]


@pytest.fixture
def make_case(personas: Personas) -> CaseMaker:
    from huikuan.cases.models import Case, Interaction, Promise
    from huikuan.portfolio.models import Account, AccountBalance, ContactPoint, Debtor

    def make(
        dpd: int = 10,
        balance: str = "12400.00",
        *,
        assignee: User | None = None,
        status: str = "open",
        hold_reason: str = "",
        outcomes: tuple[str, ...] = (),
        promises: tuple[tuple[str, int], ...] = (),
        mobile: bool = True,
    ) -> Case:
        n = next(_serial)
        debtor = Debtor.objects.create(customer_no=f"S{n:05d}", name=f"测试{n}")
        if mobile:
            ContactPoint.objects.create(debtor=debtor, kind="mobile", value=f"+8613800{n:06d}", validity="valid")
        ContactPoint.objects.create(debtor=debtor, kind="postal", value="北京市朝阳区1号")
        due = AS_OF - timedelta(days=dpd)
        account = Account.objects.create(
            debtor=debtor, contract_no=f"HT{n:06d}", product="consumer_loan",
            original_amount=Decimal(balance), open_date=due - timedelta(days=300), due_date=due,
        )  # fmt: skip
        AccountBalance.objects.create(account=account, principal=Decimal(balance), total=Decimal(balance))
        team = personas.team_a
        case = Case.objects.create(
            debtor=debtor, oldest_due_date=due, status=status, hold_reason=hold_reason, team=team,
            assignee=assignee,
        )  # fmt: skip
        for i, outcome in enumerate(outcomes):
            party = "nobody" if outcome in {"no_answer", "busy", "switched_off", "wrong_number"} else "debtor"
            at = datetime.combine(AS_OF - timedelta(days=i + 2), time(2), tzinfo=UTC)
            Interaction.objects.create(case=case, channel="call", outcome=outcome, party=party, at=at)
        for state, offset in promises:
            Promise.objects.create(
                case=case, amount=Decimal("500.00"), due_date=AS_OF + timedelta(days=offset), state=state,
                created_at=datetime.combine(AS_OF - timedelta(days=20), time(2), tzinfo=UTC),
            )  # fmt: skip
        return case

    return make
