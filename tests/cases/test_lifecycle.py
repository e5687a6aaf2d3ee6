"""The case lifecycle as the ledger's sync applies it: kernel.lifecycle's rules, each debtor's own day."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from huikuan.cases.models import Case, CaseStatus, Outcome, Party
from huikuan.cases.sync import refresh_cases
from huikuan.kernel import contacts, lifecycle
from huikuan.portfolio.models import Account, AccountBalance, Debtor, Relation

SH = ZoneInfo("Asia/Shanghai")


def test_the_models_choices_are_the_kernels_values() -> None:
    assert set(CaseStatus.values) == {s.value for s in lifecycle.CaseStatus}
    assert set(Outcome.values) == {o.value for o in contacts.Outcome}
    assert set(Party.values) == {p.value for p in contacts.Party}
    assert (Relation.SELF, Relation.GUARANTOR) == (contacts.SELF, contacts.GUARANTOR)


def owing(customer_no: str, zone: str, due: date) -> Debtor:
    debtor = Debtor.objects.create(customer_no=customer_no, name="王芳", time_zone=zone)
    account = Account.objects.create(
        debtor=debtor, contract_no=f"HT-{customer_no}", product="consumer_loan", original_amount=Decimal("100.00"),
        open_date=date(2025, 1, 1), due_date=due,
    )  # fmt: skip
    AccountBalance.objects.create(account=account, principal=Decimal("100.00"), total=Decimal("100.00"))
    return debtor


@pytest.mark.django_db
@pytest.mark.parametrize(("zone", "cured"), [("America/Los_Angeles", 1), ("Asia/Shanghai", 0)])
def test_a_reopening_counts_a_cure_by_the_debtors_day_of_the_close(zone: str, cured: int) -> None:
    """Closed at 05:00 UTC on 2 March: still 1 March in Los Angeles, already 2 March in Shanghai.

    Money that fell due on 1 March is new for the Los Angeles debtor (due on the day the case closed) and
    the old debt back for the Shanghai one (due the day before the close).
    """
    debtor = owing("C-1", zone, date(2026, 3, 1))
    Case.objects.filter(debtor=debtor).delete()
    case = Case.objects.create(
        debtor=debtor, status=CaseStatus.CLOSED, closed_at=datetime(2026, 3, 2, 5, 0, tzinfo=UTC),
        close_reason=lifecycle.PAID_OFF,
    )  # fmt: skip
    refresh_cases([debtor.pk], date(2026, 3, 5))
    case.refresh_from_db()
    assert (case.status, case.cured_episodes) == (CaseStatus.OPEN, cured)


@pytest.mark.django_db
def test_an_instant_opens_each_debtors_case_on_their_own_day() -> None:
    """23:30 on 3 November in Shanghai is 4 November in Tokyo: money due on the 3rd is late there only.
    Half an hour later it is 4 November in Shanghai and still the 3rd in Los Angeles."""
    due = date(2025, 11, 3)
    tokyo, shanghai, west = (
        owing("C-T", "Asia/Tokyo", due),
        owing("C-S", "", due),
        owing("C-L", "America/Los_Angeles", due),
    )
    everyone = [tokyo.pk, shanghai.pk, west.pk]
    refresh_cases(everyone, datetime(2025, 11, 3, 23, 30, tzinfo=SH))
    assert set(Case.objects.values_list("debtor_id", flat=True)) == {tokyo.pk}
    refresh_cases(everyone, datetime(2025, 11, 4, 0, 30, tzinfo=SH))
    assert set(Case.objects.values_list("debtor_id", flat=True)) == {tokyo.pk, shanghai.pk}
    refresh_cases(everyone, datetime(2025, 11, 4, 8, 30, tzinfo=SH))  # 16:30 on the 3rd in Los Angeles
    assert Case.objects.count() == 2
    refresh_cases(everyone, datetime(2025, 11, 4, 16, 30, tzinfo=SH))  # 00:30 on the 4th in Los Angeles
    assert Case.objects.count() == 3
