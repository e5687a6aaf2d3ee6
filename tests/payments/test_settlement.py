"""The nightly job: promise states around the grace boundary, plan schedules, late instalments, suspension."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from huikuan.cases.models import Promise, PromiseState
from huikuan.payments import guards, incoming, plans, promises, queries
from huikuan.payments.models import InstalmentStatus, Payment, PlanStatus, RepaymentPlan
from huikuan.payments.tasks import settle_nightly
from tests.conftest import Personas
from tests.payments.conftest import Debt, make_debt

SH = ZoneInfo("Asia/Shanghai")
# Promise made on 1 Nov for 5 Nov; the policy's 3 grace days keep it open through 8 Nov.
MADE = datetime(2025, 11, 1, 10, 0, tzinfo=SH)
DUE = date(2025, 11, 5)


def promise(personas: Personas, debt: Debt, amount: str = "500.00") -> Promise:
    return promises.record_promise(personas.alice, debt.case, Decimal(amount), DUE, now=MADE)


def settle(as_of: str) -> None:
    call_command("promises_settle", "--as-of", as_of, stdout=open("/dev/null", "w"))  # noqa: SIM115


def state(p: Promise) -> str:
    p.refresh_from_db()
    return p.state


def pay_on(personas: Personas, debt: Debt, amount: str, day: date, key: str) -> Payment:
    return incoming.post_payment(personas.lena, debt.case, Decimal(amount), day, key)[0]


def test_unpaid_promise_is_pending_through_the_last_grace_day_and_broken_the_day_after(
    personas: Personas, debt: Debt
) -> None:
    p = promise(personas, debt)
    settle("2025-11-08")
    assert state(p) == PromiseState.PENDING
    settle("2025-11-09")
    assert state(p) == PromiseState.BROKEN


def test_payment_on_the_last_grace_day_keeps_the_promise_and_a_day_later_does_not(
    personas: Personas, debt: Debt
) -> None:
    kept = promise(personas, debt)
    pay_on(personas, debt, "500.00", date(2025, 11, 8), "on-time")
    settle("2025-11-09")
    assert state(kept) == PromiseState.KEPT
    assert kept.paid_amount == Decimal("500.00")

    other = make_debt(personas, "C-200")
    late = promise(personas, other)
    pay_on(personas, other, "500.00", date(2025, 11, 9), "late")
    settle("2025-11-09")
    assert state(late) == PromiseState.BROKEN


def test_part_payment_is_pending_then_partly_kept(personas: Personas, debt: Debt) -> None:
    p = promise(personas, debt)
    pay_on(personas, debt, "200.00", date(2025, 11, 2), "part")
    settle("2025-11-06")
    assert state(p) == PromiseState.PENDING and p.paid_amount == Decimal("200.00")
    settle("2025-11-09")
    assert state(p) == PromiseState.PARTLY_KEPT


def test_money_paid_before_the_promise_was_made_does_not_count(personas: Personas, debt: Debt) -> None:
    pay_on(personas, debt, "500.00", date(2025, 10, 31), "before")
    p = promise(personas, debt)
    settle("2025-11-09")
    assert state(p) == PromiseState.BROKEN


def test_a_promise_is_made_on_the_debtors_day_not_the_servers(personas: Personas, debt: Debt) -> None:
    # 20:00 on 1 March in New York is already 2 March in Shanghai (the server's zone). The promise is for
    # 1 March, the debtor's today, and paid that day: kept, not "paid before the promise was made".
    debtor = debt.case.debtor
    debtor.time_zone = "America/New_York"
    debtor.save()
    made = datetime(2025, 3, 1, 20, 0, tzinfo=ZoneInfo("America/New_York"))
    p = promises.record_promise(personas.alice, debt.case, Decimal("500.00"), date(2025, 3, 1), now=made)
    pay_on(personas, debt, "500.00", date(2025, 3, 1), "same-evening")
    settle("2025-03-05")
    assert state(p) == PromiseState.KEPT


def test_a_reversed_payment_reopens_a_kept_promise(personas: Personas, debt: Debt) -> None:
    p = promise(personas, debt)
    payment = pay_on(personas, debt, "500.00", date(2025, 11, 4), "bounce")
    settle("2025-11-09")
    assert state(p) == PromiseState.KEPT
    incoming.reverse_payment(personas.lena, payment, "bounced")
    assert state(p) == PromiseState.BROKEN
    assert p.paid_amount == Decimal("0.00")


def test_the_celery_task_settles_too(personas: Personas, debt: Debt) -> None:
    p = promise(personas, debt)
    result = settle_nightly.delay("2025-11-09").get()
    assert result["by_state"] == {"broken": 1}
    assert state(p) == PromiseState.BROKEN


def test_one_pending_promise_per_case(personas: Personas, debt: Debt) -> None:
    promise(personas, debt)
    with pytest.raises(guards.ActionError, match="pending promise"):
        promise(personas, debt)


@pytest.mark.parametrize(
    ("now", "february"),
    [
        (datetime(2024, 1, 20, 10, tzinfo=SH), date(2024, 2, 29)),
        (datetime(2025, 1, 20, 10, tzinfo=SH), date(2025, 2, 28)),
    ],
)
def test_a_plan_on_the_31st_is_stored_with_month_end_dates(
    personas: Personas, debt: Debt, now: datetime, february: date
) -> None:
    plan = plans.agree_plan(
        personas.alice,
        debt.case,
        "instalments",
        confirmation="SMS 确认 回复1",
        payment_day=31,
        now=now,
    )
    assert plan.status == PlanStatus.ACTIVE and plan.accepted_on == now.date()
    rows = list(plan.instalments.order_by("n"))
    year = now.year
    assert [r.due_date for r in rows[:4]] == [
        date(year, 1, 31),
        february,
        date(year, 3, 31),
        date(year, 4, 30),
    ]
    assert sum((r.amount for r in rows), Decimal("0.00")) == Decimal("3220.00") == plan.total
    # 10 × 322: eleven would fall below the 300 yuan minimum.
    assert len(rows) == 10 and {r.amount for r in rows} == {Decimal("322.00")}


def test_late_instalment_lifts_the_suspension_and_a_missed_one_breaks_the_plan(personas: Personas, debt: Debt) -> None:
    now = datetime(2024, 1, 20, 10, tzinfo=SH)
    plan = plans.agree_plan(
        personas.alice,
        debt.case,
        "instalments",
        confirmation="signed",
        payment_day=31,
        now=now,
    )
    pay_on(personas, debt, "322.00", date(2024, 1, 31), "i1")
    settle("2024-02-05")
    plan.refresh_from_db()
    first, second = plan.instalments.order_by("n")[:2]
    assert plan.status == PlanStatus.ACTIVE
    assert (first.status, first.paid_on, second.status) == (
        InstalmentStatus.PAID,
        date(2024, 1, 31),
        InstalmentStatus.DUE,
    )
    assert plans.plan_suspends_collection(debt.case, date(2024, 2, 5))
    # 29 Feb + 3 grace days = 3 Mar is the last day; on 4 Mar the instalment is late.
    assert plans.plan_suspends_collection(debt.case, date(2024, 3, 3))
    settle("2024-03-04")
    second.refresh_from_db()
    assert second.status == InstalmentStatus.LATE
    assert not plans.plan_suspends_collection(debt.case, date(2024, 3, 4))
    assert queries.suspended_case_ids([debt.case.pk], date(2024, 3, 4)) == set()
    settle("2024-03-31")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.BROKEN


def test_paying_the_whole_plan_completes_it(personas: Personas, debt: Debt) -> None:
    now = datetime(2024, 1, 20, 10, tzinfo=SH)
    plan = plans.agree_plan(personas.alice, debt.case, "instalments", confirmation="ok", payment_day=31, now=now)
    pay_on(personas, debt, "3220.00", date(2024, 1, 25), "all")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.COMPLETED
    assert not plans.plan_suspends_collection(debt.case)
    assert RepaymentPlan.objects.get().instalments.filter(status=InstalmentStatus.PAID).count() == 10


def test_a_plan_needs_evidence(personas: Personas, debt: Debt) -> None:
    with pytest.raises(guards.ActionError, match="agreed"):
        plans.agree_plan(personas.alice, debt.case, "instalments")
    assert RepaymentPlan.objects.count() == 0


def test_the_night_run_judges_each_promise_by_its_debtors_day_so_no_later_action_moves_it_back(
    personas: Personas,
) -> None:
    # 张伟 lives in Los Angeles; he promised on 1 Nov (his day) to pay by 5 Nov: 8 Nov is his last grace day.
    # The run at 01:00 in Shanghai on 9 Nov is 09:00 on 8 Nov in Los Angeles: still pending for him, as the
    # collector's payment, plan or waiver later that day (settled by his day) will find it. Broken only once
    # his 9 Nov has come, and then nothing that day turns it pending again.
    from huikuan.payments.policy import current_policy
    from huikuan.payments.settlement import nightly_settlement, settle_cases

    la = ZoneInfo("America/Los_Angeles")
    debt = make_debt(personas, "C-LA")
    debt.case.debtor.time_zone = "America/Los_Angeles"
    debt.case.debtor.save()
    p = promises.record_promise(
        personas.alice, debt.case, Decimal("500.00"), DUE, now=datetime(2025, 11, 1, 10, tzinfo=la)
    )
    shanghai = make_debt(personas, "C-SH")
    q = promise(personas, shanghai)

    nightly_settlement(now=datetime(2025, 11, 9, 1, 0, tzinfo=SH))
    assert state(p) == PromiseState.PENDING
    assert state(q) == PromiseState.BROKEN  # 9 Nov in Shanghai: the grace is over
    settle_cases([debt.case.pk], date(2025, 11, 8), current_policy())  # an action at 18:00 on his 8 Nov
    assert state(p) == PromiseState.PENDING

    nightly_settlement(now=datetime(2025, 11, 10, 1, 0, tzinfo=SH))
    assert state(p) == PromiseState.BROKEN
    settle_cases([debt.case.pk], date(2025, 11, 9), current_policy())  # his 9 Nov, later that day
    assert state(p) == PromiseState.BROKEN
