"""The nightly run hands its SMS, e-mail and letter items to the outbox, once per day per case and action."""

from __future__ import annotations

from typing import Any

from huikuan.comms.models import Message
from huikuan.comms.templates import seed_default_templates
from huikuan.strategy.executors import run_strategy
from huikuan.strategy.models import WorkItem
from huikuan.strategy.run import AUTOMATIC_ACTIONS
from tests.strategy.conftest import AS_OF, CaseMaker


def test_automatic_items_reach_the_outbox_and_a_rerun_adds_nothing(champion: Any, make_case: CaseMaker) -> None:
    seed_default_templates()
    for dpd in (1, 2, 3, 10, 45, 95):
        make_case(dpd)
    run_strategy(AS_OF)
    automatic = WorkItem.objects.filter(as_of=AS_OF, action__in=AUTOMATIC_ACTIONS)
    assert automatic.exists(), "the default policy sends reminders in the early days"
    keys = {f"work:{AS_OF.isoformat()}:{i.case_id}:{i.action}" for i in automatic}
    assert set(Message.objects.values_list("idempotency_key", flat=True)) >= keys
    count = Message.objects.count()
    run_strategy(AS_OF)
    assert Message.objects.count() == count


def test_a_failed_write_leaves_no_items_no_messages_and_no_new_assignees(
    champion: Any, make_case: CaseMaker, monkeypatch: Any
) -> None:
    """The items are written (COPY) before the assignees: a failure after them rolls back the shard's whole
    transaction and marks the run failed."""
    import pytest

    from huikuan.cases.models import Case
    from huikuan.strategy import run as run_module
    from huikuan.strategy.models import RunStatus, StrategyRun

    seed_default_templates()
    for dpd in (1, 2, 3, 10, 45):
        make_case(dpd)

    def fail(*args: Any) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(run_module, "_reassign", fail)
    before = dict(Case.objects.values_list("id", "assignee_id"))
    with pytest.raises(RuntimeError, match="went away"):
        run_strategy(AS_OF)
    assert not WorkItem.objects.exists()
    assert not Message.objects.exists()
    assert dict(Case.objects.values_list("id", "assignee_id")) == before
    assert StrategyRun.objects.get().status == RunStatus.FAILED
