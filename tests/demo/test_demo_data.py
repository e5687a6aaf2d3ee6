"""The demo data is consistent: nothing dated after now, bills that agree with the ledger, promise states the
settlement agrees with (so they only move forward), and each case once in each queue."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal

import pytest
from django.db.models import Max
from django.utils import timezone

from huikuan.cases.models import Case, Interaction, Promise, PromiseState
from huikuan.kernel.ledger import Component
from huikuan.org.models import User
from huikuan.payments.models import Payment, PaymentEntry
from huikuan.portfolio.models import AccountBalance, LedgerEntry
from tests.conftest import client_for

pytestmark = pytest.mark.django_db
COMPONENTS = [c.value for c in Component if c is not Component.CREDIT]


def test_nothing_in_the_demo_is_dated_after_now(demo: None) -> None:
    now = timezone.now()
    today = timezone.localdate()
    assert Interaction.objects.count() > 100
    assert Interaction.objects.aggregate(last=Max("at"))["last"] <= now
    assert Promise.objects.aggregate(last=Max("created_at"))["last"] <= now
    assert LedgerEntry.objects.aggregate(last=Max("effective_date"))["last"] <= today
    assert Payment.objects.aggregate(last=Max("paid_on"))["last"] <= today
    # A promise is made before it falls due, and on a day that has passed.
    for made, due in Promise.objects.values_list("created_at", "due_date"):
        assert made.date() <= due and made <= now


def test_every_bill_is_the_sum_of_its_ledger(demo: None) -> None:
    sums: dict[int, dict[str, Decimal]] = defaultdict(lambda: dict.fromkeys(COMPONENTS, Decimal(0)))
    for entry in LedgerEntry.objects.all():
        for component in COMPONENTS:
            sums[entry.account_id][component] += getattr(entry, component)
    balances = list(AccountBalance.objects.all())
    assert len(balances) == len(sums) > 100
    for balance in balances:
        for component in COMPONENTS:
            assert getattr(balance, component) == sums[balance.account_id][component], (balance.account_id, component)


def test_no_payment_clears_what_was_not_yet_owed_on_its_day(demo: None) -> None:
    # The bill once showed a late penalty of 0.00 beside a penalty in the ledger: a payment dated a year
    # before the penalty it cleared. Running balances by effective date never go below zero.
    entries: dict[int, list[LedgerEntry]] = defaultdict(list)
    for entry in LedgerEntry.objects.order_by("account_id", "effective_date", "id"):
        entries[entry.account_id].append(entry)
    penalised = 0
    for account_id, rows in entries.items():
        running = dict.fromkeys(COMPONENTS, Decimal(0))
        for day in sorted({e.effective_date for e in rows}):
            for e in rows:
                if e.effective_date == day:
                    for component in COMPONENTS:
                        running[component] += getattr(e, component)
            assert all(v >= 0 for v in running.values()), (account_id, day, running)
        penalised += running["penalty"] > 0
    assert penalised > 50


def test_the_case_page_bill_shows_the_ledgers_penalty(demo: None) -> None:
    admin = User.objects.get(username="admin")
    client = client_for(admin)
    with_penalty = (
        AccountBalance.objects.filter(penalty__gt=0, account__debtor__case__isnull=False)
        .select_related("account")
        .order_by("account_id")[:5]
    )
    assert len(with_penalty) == 5
    for balance in with_penalty:
        case = Case.objects.get(debtor_id=balance.account.debtor_id)
        page = client.get(f"/cases/{case.pk}/").content.decode()
        assert f"{balance.penalty:,.2f}" in page, (case.pk, balance.penalty)


def test_the_settlement_agrees_with_every_demo_promise_and_moves_none_back(demo: None) -> None:
    from huikuan.payments.settlement import nightly_settlement, settle_cases

    promises = dict(Promise.objects.values_list("id", "state"))
    states = Counter(promises.values())
    assert states[PromiseState.BROKEN] and states[PromiseState.KEPT] and states[PromiseState.PARTLY_KEPT]
    # The money that kept a promise is in the payments the settlement reads, linked to its ledger entry.
    kept = Promise.objects.filter(state=PromiseState.KEPT).select_related("case")
    for promise in kept[:10]:
        assert Payment.objects.filter(case=promise.case, paid_on__gte=promise.created_at.date()).exists()
    # Every payment is linked to the entries it posted (a simulated payment may span several accounts).
    assert Payment.objects.exists() and not Payment.objects.filter(entry_links__isnull=True).exists()
    assert PaymentEntry.objects.count() >= Payment.objects.count()
    counts = nightly_settlement(timezone.localdate())
    assert counts.changed == 0
    # An action on a case (a payment, a plan, a waiver decision) settles that case again: nothing moves back.
    from huikuan.payments.policy import current_policy

    settle_cases(Case.objects.values_list("id", flat=True), timezone.localdate(), current_policy())
    assert dict(Promise.objects.values_list("id", "state")) == promises


def test_a_demo_case_has_at_most_one_open_promise(demo: None) -> None:
    pending = Counter(Promise.objects.filter(state=PromiseState.PENDING).values_list("case_id", flat=True))
    assert pending and max(pending.values()) == 1


def test_each_case_is_once_in_each_queue(demo: None) -> None:
    from huikuan.workbench.views_data import QueueFilters, load_queue, queue_items

    today: date = timezone.localdate()
    now = timezone.now()
    seen_users = 0
    for user in User.objects.filter(is_active=True):
        if not queue_items(user, today).exists():
            continue
        seen_users += 1
        rows = load_queue(user, today, QueueFilters(), now)
        ids = [r.case.pk for r in rows]
        assert len(ids) == len(set(ids)), user.username
        page = client_for(user).get("/work/").content.decode()
        marks = Counter(part.split('"', 1)[0] for part in page.split('<tr data-case="')[1:])
        assert marks and max(marks.values()) == 1, user.username
    assert seen_users >= 4
