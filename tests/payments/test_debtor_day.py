"""Every payments action dates by the debtor's today: reversals, waivers, statements, the gate's plan check.

23:30 on 3 November in Shanghai (the server's zone) is already 4 November in Tokyo, and 00:30 on 4 November
in Shanghai is still the morning of 3 November in Los Angeles.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huikuan.cases.models import Case, Promise
from huikuan.compliance.facts import gate_facts
from huikuan.kernel.localtime import local_day
from huikuan.payments import incoming, plans, waivers
from huikuan.payments.models import Payment, WaiverStatus
from huikuan.payments.settlement import promise_frame
from huikuan.payments.statement import import_statement
from huikuan.portfolio.models import Debtor, LedgerEntry
from tests.conftest import Personas
from tests.payments.conftest import Debt, make_debt

SH = ZoneInfo("Asia/Shanghai")
LATE_EVENING = datetime(2025, 11, 3, 23, 30, tzinfo=SH)  # 4 Nov in Tokyo
AFTER_MIDNIGHT = datetime(2025, 11, 4, 0, 30, tzinfo=SH)  # 3 Nov in Los Angeles
D = Decimal


def live_in(debt: Debt, zone: str) -> None:
    Debtor.objects.filter(pk=debt.case.debtor_id).update(time_zone=zone)
    debt.case = Case.objects.select_related("debtor").get(pk=debt.case.pk)


def at(monkeypatch: pytest.MonkeyPatch, now: datetime) -> None:
    """The clock reads ``now``: the server's zone says one day, the debtor's another."""
    monkeypatch.setattr("django.utils.timezone.now", lambda: now.astimezone(UTC))


def test_a_reversal_is_dated_by_the_debtors_day(
    personas: Personas, debt: Debt, monkeypatch: pytest.MonkeyPatch
) -> None:
    live_in(debt, "America/Los_Angeles")
    at(monkeypatch, AFTER_MIDNIGHT)
    payment, _ = incoming.post_payment(personas.lena, debt.case, D("100.00"), date(2025, 11, 1), "k1")
    incoming.reverse_payment(personas.lena, payment, "bounced")
    reversal = LedgerEntry.objects.filter(reversal_of__isnull=False)
    assert set(reversal.values_list("effective_date", flat=True)) == {date(2025, 11, 3)}


def test_a_waiver_within_authority_is_dated_by_the_debtors_day(
    personas: Personas, debt: Debt, monkeypatch: pytest.MonkeyPatch
) -> None:
    live_in(debt, "Asia/Tokyo")
    at(monkeypatch, LATE_EVENING)
    request = waivers.request_waiver(personas.alice, debt.case, penalty=D("40.00"), reason="困难")
    entries = LedgerEntry.objects.filter(kind="waiver", reference=request.ledger_reference)
    assert set(entries.values_list("effective_date", flat=True)) == {date(2025, 11, 4)}


def test_an_approved_waiver_is_dated_by_the_debtors_day_not_the_approvers(
    personas: Personas, debt: Debt, monkeypatch: pytest.MonkeyPatch
) -> None:
    live_in(debt, "America/Los_Angeles")
    request = waivers.request_waiver(personas.alice, debt.case, penalty=D("70.00"), fee=D("20.00"), reason="结清")
    assert request.status == WaiverStatus.PENDING
    at(monkeypatch, AFTER_MIDNIGHT)
    waivers.approve_waiver(personas.lena, request, "ok")
    entries = LedgerEntry.objects.filter(kind="waiver", reference=request.ledger_reference)
    assert set(entries.values_list("effective_date", flat=True)) == {date(2025, 11, 3)}


def test_a_statement_row_is_checked_against_its_own_debtors_today(
    personas: Personas, debt: Debt, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at(monkeypatch, LATE_EVENING)
    live_in(debt, "Asia/Tokyo")
    west = make_debt(personas, "C-200")
    live_in(west, "America/Los_Angeles")
    header = "transaction_id,amount,paid_on,contract_no,customer_no,memo\n"
    both = tmp_path / "both.csv"
    both.write_text(header + "T1,100.00,2025-11-04,HT-OLD,,\nT2,100.00,2025/11/04,,C-200,\n", encoding="utf-8")
    report = import_statement(both)
    # 4 November has begun in Tokyo, not in Los Angeles (nor in Shanghai).
    assert [(e.row, e.column, e.value, e.code) for e in report.errors] == [(3, "paid_on", "2025/11/04", "future_date")]
    tokyo = tmp_path / "tokyo.csv"
    tokyo.write_text(header + "T1,100.00,2025-11-04,HT-OLD,,\n", encoding="utf-8")
    report = import_statement(tokyo)
    assert report.ok and report.posted == 1, report.error_lines()
    assert Payment.objects.get().paid_on == date(2025, 11, 4)


def test_a_statement_still_refuses_a_day_that_has_come_nowhere(
    personas: Personas, debt: Debt, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at(monkeypatch, LATE_EVENING)
    path = tmp_path / "far.csv"
    path.write_text("transaction_id,amount,paid_on,contract_no\nT1,100.00,2025-11-06,HT-NOPE\n", encoding="utf-8")
    assert [(e.row, e.code) for e in import_statement(path).errors] == [(2, "future_date")]


def test_the_gate_sees_a_late_instalment_on_the_debtors_day_not_the_utc_date(personas: Personas, debt: Debt) -> None:
    """Instalment 2 falls due on 29 Feb; three grace days later, on 4 Mar, the plan no longer shields the case.

    At 07:00 on 4 March in Shanghai it is still 3 March in UTC, the zone the gate is given its instant in.
    """
    agreed = datetime(2024, 1, 20, 10, tzinfo=SH)
    plans.agree_plan(personas.alice, debt.case, "instalments", confirmation="signed", payment_day=31, now=agreed)
    paid = datetime(2024, 1, 31, 12, tzinfo=SH)
    incoming.post_payment(personas.lena, debt.case, D("322.00"), date(2024, 1, 31), "i1", now=paid)
    case = Case.objects.select_related("debtor").get(pk=debt.case.pk)
    assert case.pk in gate_facts([case], datetime(2024, 3, 3, 23, 0, tzinfo=SH).astimezone(UTC)).suspended
    assert case.pk not in gate_facts([case], datetime(2024, 3, 4, 7, 0, tzinfo=SH).astimezone(UTC)).suspended


ZONES = ["Asia/Shanghai", "Asia/Tokyo", "America/Los_Angeles", "Europe/London", "Pacific/Kiritimati", ""]
made = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(UTC))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(ZONES), made), min_size=1, max_size=8))
def test_the_day_a_promise_was_made_is_the_kernels_local_day_in_sql_and_polars(
    personas: Personas, promises: list[tuple[str, datetime]]
) -> None:
    with transaction.atomic():
        expected: dict[int, date] = {}
        cases = []
        for n, (zone, at) in enumerate(promises):
            debtor = Debtor.objects.create(customer_no=f"Z-{n}", name="王芳", time_zone=zone)
            case = Case.objects.create(debtor=debtor)
            cases.append(case.pk)
            p = Promise.objects.create(case=case, amount=D("10.00"), due_date=date(2027, 1, 1), created_at=at)
            expected[p.pk] = local_day(at, zone)
        frame = promise_frame(date(2027, 1, 1), cases, date(2023, 1, 1) - timedelta(days=1))
        assert dict(frame.select("promise_id", "created_on").iter_rows()) == expected
        transaction.set_rollback(True)
