"""Starting real runs: one per day at a time, in the background when a broker is there, polled by id."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from huikuan.config.celery import app
from huikuan.strategy.executors import run_strategy
from huikuan.strategy.models import RunStatus, StrategyRun, WorkItem
from huikuan.strategy.run import RunInProgress
from huikuan.strategy.tasks import run_shard_task
from tests.conftest import AS_OF, Personas, client_for

from .conftest import CaseMaker


def _post(client: Client, **body: Any) -> Any:
    return client.post("/api/strategy/runs", {"as_of": AS_OF.isoformat(), **body}, content_type="application/json")


def test_a_second_real_run_of_the_day_is_refused_while_the_first_runs(champion: Any, make_case: CaseMaker) -> None:
    make_case(45)
    first = StrategyRun.objects.create(as_of=AS_OF)
    with pytest.raises(RunInProgress, match=f"run #{first.pk}"):
        run_strategy(AS_OF)
    assert not WorkItem.objects.exists()
    # Another day, or a dry run of the same day, does not touch that day's items and may go ahead.
    assert run_strategy(AS_OF, dry_run=True).result.cases == 1
    assert run_strategy(AS_OF + timedelta(days=1)).run is not None


def test_the_database_refuses_two_running_runs_of_one_day(db: None) -> None:
    StrategyRun.objects.create(as_of=AS_OF)
    StrategyRun.objects.create(as_of=AS_OF, status=RunStatus.DONE)
    with pytest.raises(IntegrityError), transaction.atomic():
        StrategyRun.objects.create(as_of=AS_OF)


def test_a_run_left_running_by_a_dead_worker_stops_blocking_the_day(champion: Any, make_case: CaseMaker) -> None:
    make_case(45)
    dead = StrategyRun.objects.create(as_of=AS_OF)
    StrategyRun.objects.filter(pk=dead.pk).update(started_at=timezone.now() - timedelta(hours=7))
    report = run_strategy(AS_OF)
    assert report.run is not None and report.run.status == RunStatus.DONE
    dead.refresh_from_db()
    assert dead.status == RunStatus.FAILED and "abandoned" in dead.error


def test_a_failing_shard_marks_its_run_failed(champion: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    run = StrategyRun.objects.create(as_of=AS_OF, shards=2)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("database went away")

    monkeypatch.setattr("huikuan.strategy.executors.run_shard", broken)
    with pytest.raises(RuntimeError):
        run_shard_task(run.pk, 0, 2)
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and "database went away" in run.error


def test_without_a_broker_the_api_runs_in_the_request(
    transactional_db: None, champion: Any, make_case: CaseMaker, personas: Personas
) -> None:
    make_case(45)
    client = client_for(personas.lena)
    dry = _post(client, dry_run=True)
    assert dry.status_code == 200 and dry.json()["status"] == "dry_run" and dry.json()["cases"] == 1
    assert not StrategyRun.objects.exists()
    # A real commit: the hand-over to the (eager) task waits for the request's transaction.
    real = _post(client, dry_run=False)
    assert real.status_code == 200, real.content
    body = real.json()
    assert body["status"] == "done" and body["written"] == WorkItem.objects.filter(run_id=body["id"]).count() > 0
    assert client.get(f"/api/strategy/runs/{body['id']}").json()["written"] == body["written"]
    alice = client_for(personas.alice)
    assert _post(alice, dry_run=False).status_code == 403
    assert alice.get(f"/api/strategy/runs/{body['id']}").status_code == 403


@pytest.fixture
def broker_without_worker() -> Iterator[None]:
    """The project's app publishing for real (to its in-memory transport) with nobody consuming yet."""
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        yield
    finally:
        app.conf.task_always_eager = eager


def test_with_a_broker_the_api_answers_202_and_refuses_a_second_start(
    champion: Any,
    make_case: CaseMaker,
    personas: Personas,
    broker_without_worker: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    make_case(45)
    client = client_for(personas.lena)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        started = _post(client, dry_run=False)
    assert started.status_code == 202, started.content
    assert len(callbacks) == 1, "the run is handed to a worker once the request's transaction commits"
    run_id = started.json()["id"]
    assert started.json()["status"] == "running" and not WorkItem.objects.exists()
    again = _post(client, dry_run=False)
    assert again.status_code == 409 and f"#{run_id}" in again.json()["detail"]
    assert client.get(f"/api/strategy/runs/{run_id}").json()["status"] == "running"


def test_a_worker_executes_a_run_opened_by_the_api(
    champion: Any, make_case: CaseMaker, celery_worker_process: Callable[..., Any]
) -> None:
    from huikuan.strategy.run import open_run, resolve_arms

    for dpd in (2, 13, 45, 120):
        make_case(dpd)
    arms, experiment = resolve_arms()
    run = open_run(AS_OF, arms, experiment, forced=False, shards=1)
    assert celery_worker_process("huikuan.strategy.execute_run", run.pk) == run.pk
    run.refresh_from_db()
    assert run.status == RunStatus.DONE and run.cases == 4
    assert WorkItem.objects.filter(run=run).count() == run.written > 0
