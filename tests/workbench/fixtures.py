"""A collector's working day: cases in each stage for Alice and Bob, with today's work items.

Work items are written here as the nightly run would leave them, so the screens are tested against the
strategy's interface without depending on which cadence rule fires on the day the tests run. Debtors live in
a time zone where it is early afternoon now, so the compliance gate's quiet hours never decide a test.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import count
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import Personas

if TYPE_CHECKING:
    from huikuan.cases.models import Case
    from huikuan.org.models import User
    from huikuan.strategy.models import StrategyRun

ROOT = Path(__file__).resolve().parents[2]
_serial = count(1)


def daytime_zone() -> str:
    """An Etc/GMT zone where the local time is about 14:00 now (Etc/GMT-8 is UTC+8)."""
    offset = 14 - datetime.now(UTC).hour
    if offset > 14:
        offset -= 24
    if offset < -11:
        offset += 24
    return f"Etc/GMT{-offset:+d}" if offset else "Etc/GMT"


def earliest_today() -> date:
    """The day it is now where the day is earliest (UTC-12): today for some debtor, yesterday for others,
    never in the future for any. A payment dated by the installation's day (Shanghai) is a day ahead of a
    debtor in a daytime zone during the Shanghai night, and "today" for a payment is the debtor's."""
    return (datetime.now(UTC) - timedelta(hours=12)).date()


@pytest.fixture
def run(db: None) -> StrategyRun:
    from django.utils import timezone

    from huikuan.strategy.actions import import_policy
    from huikuan.strategy.models import StrategyRun

    version, _ = import_policy((ROOT / "examples" / "policy-default.yaml").read_text(encoding="utf-8"), activate=True)
    return StrategyRun.objects.create(as_of=timezone.localdate(), status="done", policy_version=version)


CaseMaker = Callable[..., "Case"]


@pytest.fixture
def make_case(personas: Personas, run: StrategyRun) -> CaseMaker:
    from django.utils import timezone

    from huikuan.cases.models import Case
    from huikuan.portfolio.models import Account, AccountBalance, ContactPoint, Debtor
    from huikuan.strategy.models import WorkItem

    zone = daytime_zone()
    version = run.policy_version
    assert version is not None

    def make(
        dpd: int = 12,
        *,
        assignee: User | None = None,
        priority: int = 50,
        name: str = "王建国",
        gender: str = "male",
        principal: str = "10000.00",
        interest: str = "1234.56",
        fee: str = "200.00",
        penalty: str = "965.44",
        item: bool = True,
        third_party: bool = False,
        debtors_days: bool = False,
    ) -> Case:
        """``dpd`` days past due on the installation's day, or with ``debtors_days`` on the debtor's, as a call
        states it (the two differ by a day in the Shanghai night: the debtor lives where it is daytime)."""
        n = next(_serial)
        today = timezone.localdate()
        debtor = Debtor.objects.create(
            customer_no=f"W{n:05d}", name=name, gender=gender, time_zone=zone, id_last4="123X"
        )
        counted_from = debtor.today(timezone.now()) if debtors_days else today
        mobile = ContactPoint.objects.create(debtor=debtor, kind="mobile", value=f"+86139{n:08d}", validity="valid")
        if third_party:
            ContactPoint.objects.create(
                debtor=debtor, kind="mobile", value=f"+86137{n:08d}", relation="spouse", contact_name="李梅"
            )
        due = counted_from - timedelta(days=dpd)
        account = Account.objects.create(
            debtor=debtor, contract_no=f"WB{n:06d}", product="consumer_loan", original_amount=Decimal(principal),
            open_date=due - timedelta(days=300), due_date=due,
        )  # fmt: skip
        amounts = {
            k: Decimal(v)
            for k, v in (("principal", principal), ("interest", interest), ("fee", fee), ("penalty", penalty))
        }
        AccountBalance.objects.create(account=account, total=sum(amounts.values()), **amounts)
        assignee = assignee or personas.alice
        case = Case.objects.create(debtor=debtor, oldest_due_date=due, team_id=assignee.team_id, assignee=assignee)
        if item:
            stage = "early" if dpd <= 30 else "middle" if dpd <= 90 else "late"
            now = timezone.now()
            WorkItem.objects.create(
                run=run, as_of=today, case=case, action="call", channel="call", template=f"{stage}_call",
                rule=f"{stage}_call", contact_point=mobile, party="debtor", window_start=now - timedelta(hours=1),
                window_end=now + timedelta(hours=4), priority=priority, stage=stage, behaviour="first_time_late",
                segment="medium/medium", queue="collector", policy_version=version,
                reason=f"M{min(4, 1 + dpd // 30)} · 首次逾期 → 电话催收", reason_en="first-time late → call",
                assignee=assignee, created_at=now,
            )  # fmt: skip
        return case

    return make


@pytest.fixture
def workday(personas: Personas, make_case: CaseMaker) -> dict[str, Any]:
    """Alice: an early, a middle and a late case (the middle one first); Bob: one case."""
    return {
        "early": make_case(12, priority=40),
        "middle": make_case(45, priority=90, name="李娜", gender="female"),
        "late": make_case(120, priority=45, name="张伟"),
        "bob": make_case(20, assignee=personas.bob, name="赵强"),
        "personas": personas,
    }
