"""REST endpoints for policies, runs and a case's plan. Handlers translate HTTP to actions and read models.

The reads ask ``can_view_strategy``; the changes are the actions', which ask ``can_run_strategy`` themselves.
"""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status

from huikuan import clock
from huikuan.cases.access import visible_case_or_404
from huikuan.inputs import Document, Id, Reference, errors
from huikuan.kernel.strategy.policy import PolicyError
from huikuan.org.permissions import can_view_strategy
from huikuan.strategy.actions import import_policy, version_diff
from huikuan.strategy.executors import run_strategy
from huikuan.strategy.executors import start_run as start_background_run
from huikuan.strategy.models import PolicyVersion, RunStatus, StrategyRun
from huikuan.strategy.run import RunInProgress, StrategyError
from huikuan.strategy.views_data import case_reasons, last_runs

router = Router(tags=["strategy"])


def _lead(request: HttpRequest) -> None:
    if not can_view_strategy(request.user):
        raise PermissionDenied


class VersionOut(Schema):
    id: int
    label: str
    in_force: bool
    first_used_at: datetime | None
    source: str


class PolicyIn(Schema):
    yaml: Document
    activate: bool = False


class DiffOut(Schema):
    diff: str


class RunIn(Schema):
    as_of: date | None = None
    dry_run: bool = True
    policy: Reference | None = None  # 'name@3', or a name for its newest version


class RunOut(Schema):
    id: int | None
    as_of: date
    dry_run: bool
    status: str
    cases: int
    written: int
    blocked: int
    counts: dict[str, int]
    timings: dict[str, float]
    peak_memory_mb: int
    error: str = ""


class ItemOut(Schema):
    as_of: date
    action: str
    channel: str
    window_start: datetime
    window_end: datetime
    priority: int
    reason: str
    reason_en: str
    queue: str
    arm: str
    policy: str
    status: str


def _version(v: PolicyVersion) -> VersionOut:
    return VersionOut(id=v.pk, label=v.label, in_force=v.in_force, first_used_at=v.first_used_at, source=v.source)


@router.get("/policies", response={200: list[VersionOut], **errors(401, 403)})
def list_policies(request: HttpRequest) -> list[VersionOut]:
    _lead(request)
    return [_version(v) for v in PolicyVersion.objects.all()]


@router.post("/policies", response={200: VersionOut, **errors(400, 401, 403, 422)})
def create_policy(request: HttpRequest, body: PolicyIn) -> VersionOut:
    try:
        version, _created = import_policy(body.yaml, request.user, activate=body.activate)
    except PolicyError as exc:
        raise HttpError(400, "; ".join(exc.errors)) from exc
    return _version(version)


@router.get("/policies/{old_id}/diff/{new_id}", response={200: DiffOut, **errors(401, 403, 404, 422)})
def diff(request: HttpRequest, old_id: Id, new_id: Id) -> DiffOut:
    _lead(request)
    old = get_object_or_404(PolicyVersion, pk=old_id)
    new = get_object_or_404(PolicyVersion, pk=new_id)
    return DiffOut(diff=version_diff(old, new))


def _run_out(r: StrategyRun) -> RunOut:
    return RunOut(
        id=r.pk, as_of=r.as_of, dry_run=r.dry_run, status=r.status, cases=r.cases, written=r.written,
        blocked=r.blocked, counts=r.counts, timings=r.timings, peak_memory_mb=r.peak_memory_mb, error=r.error,
    )  # fmt: skip


@router.get("/runs", response={200: list[RunOut], **errors(401, 403)})
def runs(request: HttpRequest) -> list[RunOut]:
    _lead(request)
    return [_run_out(r) for r in last_runs(50)]


@router.get("/runs/{run_id}", response={200: RunOut, **errors(401, 403, 404, 422)})
def run_detail(request: HttpRequest, run_id: Id) -> RunOut:
    """Where a run started in the background stands: running, done with its counts, or failed and why."""
    _lead(request)
    return _run_out(get_object_or_404(StrategyRun, pk=run_id))


@router.post("/runs", response={200: RunOut, 202: RunOut, **errors(400, 401, 403, 409, 422)})
def start_run(request: HttpRequest, body: RunIn) -> Status[RunOut]:
    """A dry run answers with its counts at once; a real run is handed to a worker (202, poll its id).

    Without a broker (the embedded set-up) the real run happens within the request and answers 200.
    """
    as_of = body.as_of or clock.today()
    try:
        if body.dry_run:
            report = run_strategy(as_of, dry_run=True, policy=body.policy, user=request.user)
            result = report.result
            return Status(200, RunOut(
                id=None, as_of=as_of, dry_run=True, status="dry_run", cases=result.cases, written=0,
                blocked=result.blocked, counts=report.counts, timings=dict(result.timings), peak_memory_mb=0,
            ))  # fmt: skip
        run = start_background_run(as_of, policy=body.policy, user=request.user)
    except RunInProgress as exc:
        raise HttpError(409, str(exc)) from exc
    except StrategyError as exc:
        raise HttpError(400, str(exc)) from exc
    run.refresh_from_db()
    return Status(202 if run.status == RunStatus.RUNNING else 200, _run_out(run))


@router.get("/cases/{case_id}/plan", response={200: list[ItemOut], **errors(401, 403, 404, 422)})
def case_plan(request: HttpRequest, case_id: Id) -> list[ItemOut]:
    case = visible_case_or_404(request.user, case_id)
    return [
        ItemOut(as_of=w.as_of, action=w.action, channel=w.channel, window_start=w.window_start,
                window_end=w.window_end, priority=w.priority, reason=w.reason, reason_en=w.reason_en,
                queue=w.queue, arm=w.arm, policy=w.policy_version.label, status=w.status)
        for w in case_reasons(case.pk)
    ]  # fmt: skip
