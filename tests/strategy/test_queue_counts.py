"""The work-item counts the database keeps equal the items counted, whatever wrote the items.

The team page reads these counts (strategy.counts) instead of counting a team's items; the triggers that
keep them (migration 0009) must follow the run's bulk writes, a re-run's rewrite, the ORM's updates and
deletes, and a reassignment.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Count

from huikuan.strategy.counts import compact_queue_counts, queue_counts
from huikuan.strategy.executors import run_strategy
from huikuan.strategy.models import QueueCount, WorkItem, WorkStatus
from tests.conftest import AS_OF, Personas

from .conftest import CaseMaker


def _counted(day: Any) -> dict[int, dict[str, int]]:
    counted: dict[int, dict[str, int]] = {}
    for assignee_id, status, n in (
        WorkItem.objects.filter(as_of=day, assignee__isnull=False)
        .values("assignee_id", "status")
        .annotate(n=Count("*"))
        .values_list("assignee_id", "status", "n")
    ):
        counted.setdefault(assignee_id, {})[status] = n
    return counted


def _kept(day: Any, personas: Personas) -> dict[int, dict[str, int]]:
    everyone = [*WorkItem.objects.values_list("assignee_id", flat=True).distinct(), personas.alice.pk, personas.bob.pk]
    return {k: v for k, v in queue_counts([a for a in everyone if a], day).items() if v}


def test_the_kept_counts_follow_the_run_the_workbench_and_a_rerun(
    champion: Any, make_case: CaseMaker, personas: Personas
) -> None:
    alice, bob = personas.alice, personas.bob
    for dpd, balance in ((5, "900.00"), (12, "3000.00"), (45, "12400.00"), (70, "8000.00")):
        make_case(dpd, balance, assignee=alice)
        make_case(dpd + 1, balance, assignee=bob)
    run_strategy(AS_OF)
    assert _counted(AS_OF) and _kept(AS_OF, personas) == _counted(AS_OF)

    alices = WorkItem.objects.filter(as_of=AS_OF, assignee=alice)
    first = alices.order_by("id").first()
    assert first is not None
    WorkItem.objects.filter(pk=first.pk).update(status=WorkStatus.DONE)  # a collector closes an item
    WorkItem.objects.filter(pk=first.pk).update(goal_met=True)  # a change the counts do not see
    second = WorkItem.objects.filter(as_of=AS_OF, assignee=bob, status=WorkStatus.PENDING).order_by("id").first()
    assert second is not None
    WorkItem.objects.filter(pk=second.pk).update(assignee=alice)  # a reassignment moves an open item
    assert _kept(AS_OF, personas) == _counted(AS_OF)
    WorkItem.objects.filter(pk=second.pk).update(as_of=AS_OF + timedelta(days=1))  # to another day
    assert _kept(AS_OF, personas) == _counted(AS_OF)
    assert _kept(AS_OF + timedelta(days=1), personas) == {alice.pk: {WorkStatus.PENDING: 1}}

    run_strategy(AS_OF)  # the same-day re-run rewrites what changed, keeps what is done
    assert _kept(AS_OF, personas) == _counted(AS_OF)
    WorkItem.objects.filter(pk=second.pk).delete()
    WorkItem.objects.filter(as_of=AS_OF, assignee=bob).update(assignee=None)  # no assignee: not counted
    assert _kept(AS_OF + timedelta(days=1), personas) == {}
    assert _kept(AS_OF, personas) == _counted(AS_OF) and bob.pk not in _kept(AS_OF, personas)


def test_folding_past_days_keeps_each_count(champion: Any, make_case: CaseMaker, personas: Personas) -> None:
    for dpd in (5, 12, 45):
        make_case(dpd, "3000.00", assignee=personas.alice)
    run_strategy(AS_OF)
    for item in WorkItem.objects.filter(as_of=AS_OF, assignee=personas.alice):
        WorkItem.objects.filter(pk=item.pk).update(status=WorkStatus.DONE)
        WorkItem.objects.filter(pk=item.pk).update(status=WorkStatus.PENDING)
    before = _kept(AS_OF, personas)
    assert before == _counted(AS_OF)
    compact_queue_counts(AS_OF + timedelta(days=1))
    assert _kept(AS_OF, personas) == before
    assert QueueCount.objects.count() == sum(len(v) for v in before.values())  # one row a key
    assert compact_queue_counts(AS_OF + timedelta(days=1)) == 0  # nothing left to fold
