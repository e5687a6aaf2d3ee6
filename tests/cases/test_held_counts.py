"""The cases-held counts the database keeps equal the cases counted, whatever moved the cases.

The team page reads these counts (cases.counts) instead of counting a team's cases; the triggers that keep
them (migration cases 0008) must follow creation one by one and in bulk, the nightly reassignment's staged
UPDATE, a lead's move, updates that leave the assignee alone, a case given to nobody, a deleted case and a
deleted user (whose cases the ORM sets to nobody).
"""

from __future__ import annotations

from datetime import date

from django.db.models import Count

from huikuan.cases.assignment import reassign_cases
from huikuan.cases.counts import cases_held, compact_held_counts
from huikuan.cases.models import Case, CaseStatus, HeldCount
from huikuan.org.models import Role, User
from huikuan.portfolio.models import Debtor
from huikuan.workbench.actions import reassign_case
from huikuan.workbench.views_data import team_overview
from tests.conftest import Personas


def _counted() -> dict[int, int]:
    return dict(
        Case.objects.filter(assignee__isnull=False)
        .values("assignee_id")
        .annotate(n=Count("*"))
        .values_list("assignee_id", "n")
    )


def _kept() -> dict[int, int]:
    return cases_held(User.objects.values_list("pk", flat=True))


def _cases(count: int, assignee_id: int | None, prefix: str, team_id: int | None = None) -> list[Case]:
    debtors = [Debtor.objects.create(customer_no=f"{prefix}-{n}", name="王芳") for n in range(count)]
    return [
        Case.objects.create(debtor=d, assignee_id=assignee_id, team_id=team_id, oldest_due_date=date(2026, 1, 1))
        for d in debtors
    ]


def test_the_kept_counts_follow_every_way_a_case_changes_hands(personas: Personas) -> None:
    alice, bob, carol = personas.alice, personas.bob, personas.carol
    first, second, third = _cases(3, alice.pk, "A", personas.team_a.pk)
    _cases(2, None, "N")
    debtors = [Debtor.objects.create(customer_no=f"B-{n}", name="李丽") for n in range(4)]
    Case.objects.bulk_create(
        [Case(debtor=d, assignee_id=bob.pk, oldest_due_date=date(2026, 1, 1)) for d in debtors]
    )  # one statement, four cases
    assert _counted() and _kept() == _counted()

    assert reassign_cases([(first.pk, bob.pk), (second.pk, carol.pk), (third.pk, alice.pk)], detail={}) == 2
    assert _kept() == _counted()
    reassign_case(personas.lena, Case.objects.get(pk=first.pk), alice, "back to Alice")
    assert _kept() == _counted()
    Case.objects.filter(assignee=bob).update(status=CaseStatus.ON_HOLD)  # a change the counts do not see
    rows = HeldCount.objects.count()
    Case.objects.filter(pk=third.pk).update(assignee=alice)  # already hers: nothing to count
    assert HeldCount.objects.count() == rows
    Case.objects.filter(assignee=bob).update(assignee=carol)  # many at once
    Case.objects.filter(pk=second.pk).update(assignee=None)  # given to nobody
    assert _kept() == _counted()
    Case.objects.filter(pk=third.pk).delete()
    assert _kept() == _counted()
    leaving = User.objects.create(username="leaving", role=Role.COLLECTOR, team=alice.team)
    _cases(2, leaving.pk, "L")
    assert _kept()[leaving.pk] == 2
    leaving.delete()  # the ORM sets its cases' assignee to nobody
    assert leaving.pk not in _kept() and _kept() == _counted()


def test_folding_keeps_each_count_in_one_row_a_user(personas: Personas) -> None:
    alice, bob = personas.alice, personas.bob
    cases = _cases(3, alice.pk, "F")
    for case in cases:
        Case.objects.filter(pk=case.pk).update(assignee=bob)
        Case.objects.filter(pk=case.pk).update(assignee=alice)
    Case.objects.filter(pk=cases[0].pk).update(assignee=bob)
    before = _kept()
    assert before == _counted()
    compact_held_counts()
    assert _kept() == before
    assert HeldCount.objects.exclude(n=0).count() == len(before)  # one row a user
    assert compact_held_counts() == 0  # nothing left to fold


def test_the_team_page_shows_the_cases_each_collector_holds(personas: Personas) -> None:
    alice, bob = personas.alice, personas.bob
    _cases(3, alice.pk, "T")
    _cases(1, bob.pk, "U")
    held = {c.pk: n for c, _open, _done, n in team_overview([alice, bob], date(2026, 11, 20))}
    assert held == {alice.pk: _counted()[alice.pk], bob.pk: _counted()[bob.pk]}
