"""The shards of a run without a broker, side by side in child interpreters (PostgreSQL only).

A night's run is half Python (parsing the snapshot, dealing the queue, composing messages) and half
PostgreSQL (aggregates, COPY, index upkeep, commit). One after another, the shards leave a core idle
most of the time; two threads would not help, since the GIL serialises the Python halves and makes each
thread wait for it after every round trip. So each shard runs in a plain child interpreter
(``python -m huikuan.strategy.shard_process``, see ``huikuan.interpreters``), which takes its job as
JSON on stdin and answers with its ``ShardResult`` as JSON on stdout: the same unit and the same answer
as a Celery shard task.

Each shard commits on its own, as on Celery workers; if one fails, the run is marked failed and a re-run
of the day replaces what the others wrote.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import traceback
from typing import IO, TYPE_CHECKING

from huikuan import interpreters

if TYPE_CHECKING:
    from huikuan.strategy.run import ShardResult

# Nothing from Django or the project at module level: the child imports this module before django.setup().


def settings_module() -> str | None:
    """The settings the children load: the environment's, as ``settings.SETTINGS_MODULE`` is None while a
    test overrides settings."""
    from django.conf import settings

    return os.environ.get("DJANGO_SETTINGS_MODULE") or settings.SETTINGS_MODULE


def can_start_children() -> bool:
    return interpreters.can_start() and bool(settings_module())


def run_in_processes(run_id: int, count: int, rebalance: bool) -> ShardResult:
    """Runs shards 0..count-1 of the opened run in ``count`` child processes and adds up their results."""
    from django.db import connection

    from huikuan.strategy.run import ShardResult, StrategyError

    env = {
        "DJANGO_SETTINGS_MODULE": settings_module() or "",
        # The shards are the run's parallelism: N processes each with a Polars pool of one thread per
        # core would put N times as many threads on the cores as there are cores.
        "POLARS_MAX_THREADS": os.environ.get("POLARS_MAX_THREADS") or str(max(1, (os.cpu_count() or 1) // count)),
    }
    # The database the parent is connected to, which differs from the settings' in a test run.
    database = connection.settings_dict["NAME"]
    children: list[tuple[subprocess.Popen[bytes], IO[bytes]]] = []
    try:
        for index in range(count):
            # stderr to a file: a child that logs a lot must not block on a full pipe nobody reads yet.
            log: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (closed in the finally below)
            child = interpreters.start(
                "huikuan.strategy.shard_process", env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log
            )
            children.append((child, log))
            job = {"run_id": run_id, "index": index, "count": count, "rebalance": rebalance, "database": database}
            assert child.stdin is not None
            child.stdin.write(json.dumps(job).encode())
            child.stdin.close()
        total = ShardResult()
        failures = []
        # The children run at the same time: the run's memory is theirs added up (the parent only waits).
        memory = 0
        for index, (child, log) in enumerate(children):
            assert child.stdout is not None
            answer = child.stdout.read()
            child.wait()
            if child.returncode == 0:
                part = ShardResult.from_dict(json.loads(answer))
                memory += part.peak_memory_mb
                total.add(part)
                continue
            log.seek(0)
            tail = log.read().decode(errors="replace").strip().splitlines()[-1:]
            failures.append(f"shard {index}/{count}: {tail[0] if tail else f'exit {child.returncode}'}")
        if failures:
            raise StrategyError("; ".join(failures))
        total.peak_memory_mb = memory
        return total
    finally:
        for child, log in children:
            if child.poll() is None:
                child.kill()
                child.wait()
            log.close()


def main() -> int:
    job = json.loads(sys.stdin.read())
    # stdout carries the answer alone: anything the run prints goes to stderr with the logs.
    answer, sys.stdout = sys.stdout, sys.stderr
    import django

    django.setup()
    from django.db import connections

    from huikuan.strategy.run import Shard, run_shard

    connections["default"].settings_dict["NAME"] = job["database"]
    try:
        result = run_shard(job["run_id"], Shard(job["index"], job["count"]), rebalance=job["rebalance"])
    except Exception:
        traceback.print_exc()
        return 1
    finally:
        connections.close_all()
    answer.write(json.dumps(result.to_dict()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
