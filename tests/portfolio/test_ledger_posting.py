"""Posting single entries: snapshots follow the ledger, replays are no-ops, races yield one entry."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest
from django.db import connection, connections

from huikuan.audit.models import ChangeLog
from huikuan.cases.models import Case, CaseStatus
from huikuan.kernel.ledger import Component, EntryKind
from huikuan.portfolio.ledger import LedgerRejected, refresh_balances
from huikuan.portfolio.models import Account, AccountBalance, Debtor, LedgerEntry
from tests.postings import post_entry

if TYPE_CHECKING:
    from tests.postings import Posted


@pytest.fixture
def account(db: None) -> Account:
    debtor = Debtor.objects.create(customer_no="C1", name="张伟", gender="male")
    acc = Account.objects.create(
        debtor=debtor,
        contract_no="HT-1",
        product="consumer_loan",
        original_amount=Decimal("1000.00"),
        open_date=date(2025, 1, 1),
        due_date=date(2025, 6, 30),
    )
    AccountBalance.objects.create(account=acc)
    return acc


def charge(account: Account, ref: str, amount: str, component: Component = Component.PRINCIPAL) -> Posted:
    return post_entry(account, EntryKind(component.value), ref, {component: Decimal(amount)}, date(2025, 1, 1))


def test_snapshot_follows_each_entry_and_matches_the_ledger(account: Account) -> None:
    charge(account, "open", "1000.00")
    charge(account, "int-1", "12.34", Component.INTEREST)
    post_entry(
        account,
        EntryKind.PAYMENT,
        "pay-1",
        {Component.INTEREST: Decimal("-12.34"), Component.PRINCIPAL: Decimal("-87.66")},
        date(2025, 2, 1),
    )
    snap = AccountBalance.objects.get(account=account)
    assert (snap.principal, snap.interest, snap.total, snap.entry_count) == (
        Decimal("912.34"),
        Decimal("0.00"),
        Decimal("912.34"),
        3,
    )
    refresh_balances([account.pk])
    again = AccountBalance.objects.get(account=account)
    assert (again.principal, again.interest, again.total, again.entry_count) == (
        snap.principal,
        snap.interest,
        snap.total,
        snap.entry_count,
    )


def test_replaying_a_reference_is_a_no_op(account: Account) -> None:
    first = charge(account, "open", "1000.00")
    second = charge(account, "open", "999.00")
    assert first.created and not second.created
    assert second.entry.pk == first.entry.pk
    assert LedgerEntry.objects.count() == 1
    assert AccountBalance.objects.get(account=account).total == Decimal("1000.00")


def test_overpaying_a_component_is_rejected_and_nothing_changes(account: Account) -> None:
    charge(account, "open", "100.00")
    with pytest.raises(LedgerRejected, match="negative"):
        post_entry(account, EntryKind.PAYMENT, "p", {Component.PRINCIPAL: Decimal("-100.01")}, date(2025, 2, 1))
    assert LedgerEntry.objects.count() == 1
    assert AccountBalance.objects.get(account=account).total == Decimal("100.00")


def test_money_changes_are_audited_with_before_and_after(account: Account) -> None:
    charge(account, "open", "100.00")
    log = ChangeLog.objects.get(action="ledger:principal:open")
    assert log.before and log.after and (log.before["total"], log.after["total"]) == ("0.00", "100.00")


def test_paying_the_balance_off_closes_the_case(account: Account) -> None:
    charge(account, "open", "100.00")
    case = Case.objects.get(debtor=account.debtor)
    assert case.status == CaseStatus.OPEN
    post_entry(account, EntryKind.PAYMENT, "p", {Component.PRINCIPAL: Decimal("-100.00")}, date(2025, 7, 2))
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and case.close_reason == "balance_paid"
    log = ChangeLog.objects.get(subject_type="cases.case", subject_id=str(case.pk), action="sync:close")
    assert log.before == {"status": "open"} and log.after and log.after["status"] == "closed"


@pytest.mark.django_db(transaction=True)
def test_two_connections_posting_the_same_reference_yield_one_entry() -> None:
    """Real concurrent connections (threads each hold their own); on PostgreSQL the row lock decides."""
    debtor = Debtor.objects.create(customer_no="C2", name="王芳")
    acc = Account.objects.create(
        debtor=debtor,
        contract_no="HT-2",
        product="consumer_loan",
        original_amount=Decimal("500.00"),
        open_date=date(2025, 1, 1),
        due_date=date(2025, 2, 1),
    )
    AccountBalance.objects.create(account=acc)
    barrier = threading.Barrier(2)
    results: list[bool] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            posted = post_entry(
                acc,
                EntryKind.PRINCIPAL,
                "same-ref",
                {Component.PRINCIPAL: Decimal("500.00")},
                date(2025, 1, 1),
            )
            results.append(posted.created)
        except BaseException as exc:  # surfaced below; a thread must not swallow failures
            errors.append(exc)
        finally:
            connections.close_all()

    for _ in range(5):
        LedgerEntry.objects.filter(account=acc).delete()
        AccountBalance.objects.filter(account=acc).update(principal=0, total=0, entry_count=0)
        results.clear()
        threads = [threading.Thread(target=worker) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
        assert sorted(results) == [False, True]
        assert LedgerEntry.objects.filter(account=acc, reference="same-ref").count() == 1
        assert AccountBalance.objects.get(account=acc).total == Decimal("500.00")
    assert connection.vendor in {"postgresql", "sqlite"}
