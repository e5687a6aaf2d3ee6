"""Shared fixtures: personas of a collection department and a small portfolio.

Personas (as in healthchecks' tests): Alice and Bob collect in team A, Carol in team B, Lena leads team A,
Quinn does QA, Lara is legal, Adam administers. Each test states whose eyes it looks through.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import settings as hypothesis_settings

if TYPE_CHECKING:
    # Kernel tests also run with `-p no:django`, where no model can be imported: the types are for mypy only.
    from django.db.backends.utils import CursorWrapper
    from django.test import Client

    from huikuan.org.models import Team, User

# Property tests judge rules, not speed: on a shared 2-core machine a 200 ms per-example deadline fails at random.
hypothesis_settings.register_profile("huikuan", deadline=None)
hypothesis_settings.load_profile("huikuan")

AS_OF = date(2026, 11, 20)


def another_connection_waits_for_a_lock(cursor: CursorWrapper, seconds: float = 20.0) -> bool:
    """Poll (PostgreSQL) until another connection to this database waits for a lock, row or advisory.

    Concurrency tests hold a lock on one connection and let go only once the code under test is seen
    queuing behind it, so the interleaving they assert is the one that happened, not a sleep's guess.
    """
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        # The activity view is a snapshot kept for the whole transaction unless cleared, and the caller
        # polls from inside the transaction that holds the lock.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND datname = current_database() AND pid <> pg_backend_pid()"
        )
        (waiting,) = cursor.fetchone() or (0,)
        if waiting:
            return True
        time.sleep(0.05)
    return False


@contextmanager
def outer_transaction(*, rollback: bool = False) -> Iterator[None]:
    """A transaction a test holds around entry points, marked as the test's own, the way Django's TestCase marks
    the one it wraps each test in: the entry points' durable blocks run inside it (anywhere else they refuse
    to be nested). ``rollback`` undoes it at the end, as TestCase does: one hypothesis example's writes."""
    from django.db import transaction

    block = transaction.atomic()
    block._from_testcase = True  # type: ignore[attr-defined]
    with block:
        yield
        if rollback:
            transaction.set_rollback(True)


def is_postgres() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"


@dataclass
class Personas:
    alice: User
    bob: User
    carol: User
    lena: User
    quinn: User
    lara: User
    adam: User
    team_a: Team
    team_b: Team


def client_for(user: User) -> Client:
    """A Django test client logged in as `user`: the page or API seen through that persona's eyes."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def personas(db: None) -> Personas:
    from huikuan.org.models import Role, Team, User

    team_a = Team.objects.create(name="A组")
    team_b = Team.objects.create(name="B组")

    def user(name: str, role: str, team: Team | None = None, *, staff: bool = False, superuser: bool = False) -> User:
        return User.objects.create_user(
            name, password="pw-" + name, role=role, team=team, is_staff=staff, is_superuser=superuser
        )

    return Personas(
        alice=user("alice", Role.COLLECTOR, team_a),
        bob=user("bob", Role.COLLECTOR, team_a),
        carol=user("carol", Role.COLLECTOR, team_b),
        lena=user("lena", Role.TEAM_LEAD, team_a, staff=True),
        quinn=user("quinn", Role.QA, None, staff=True),
        lara=user("lara", Role.LEGAL, None, staff=True),
        adam=user("adam", Role.ADMIN, None, staff=True, superuser=True),
        team_a=team_a,
        team_b=team_b,
    )


@pytest.fixture
def small_portfolio(personas: Personas) -> Personas:
    """30 generated debtors; cases dealt round-robin to alice, bob and carol."""
    from huikuan.intake.generator import PortfolioGenerator
    from huikuan.intake.seeding import write_generated

    collectors = [(u.pk, u.team_id) for u in (personas.alice, personas.bob, personas.carol)]
    write_generated(PortfolioGenerator(7, AS_OF).debtors(30), AS_OF, collectors)
    return personas


@pytest.fixture
def demo(db: None, settings: Any) -> None:
    """The demo as `make demo` builds it (users, a portfolio, templates, the default policy, simulated history,
    tonight's strategy run), with 150 debtors and 10 simulated days instead of 60 (each test builds its own:
    60 days made the pages' tests take minutes each)."""
    from io import StringIO

    from django.core.management import call_command

    # One shard: the run stays in this process, inside the test's transaction (child processes would not see it).
    settings.HUIKUAN_STRATEGY_SHARDS = 1
    call_command("demo", debtors=150, seed=1, days=10, stdout=StringIO())


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("postgres"):
        from django.conf import settings

        if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
            pytest.skip("needs PostgreSQL: runs in the PostgreSQL pass of make test")


@pytest.fixture(autouse=True)
def _fast_password_hashing(request: pytest.FixtureRequest) -> None:
    # PBKDF2's deliberate slowness protects real passwords; for test personas it only slows the suite.
    # Kernel tests also run with `-p no:django`, where there are no settings to change.
    if request.config.pluginmanager.has_plugin("django"):
        settings = request.getfixturevalue("settings")
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class CeleryWorkers:
    """Real Celery workers in processes of their own: ``run`` sends a task and waits for its result."""

    run: Any
    logs: list[Path]


@contextmanager
def _celery_workers(count: int, tmp_path: Path) -> Iterator[CeleryWorkers]:
    """``count`` real Celery workers in their own processes, on Redis, against this test's database.

    Private queues keep parallel test runs on the same Redis from taking each other's tasks. Each worker
    takes one task at a time (solo pool, prefetch 1, fair scheduling), so with several workers a run's shards
    spread over them rather than queue behind the first; each logs at INFO to its own file.
    """
    import os
    import subprocess
    import sys
    import time
    import uuid

    from django.db import connection

    redis_url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    queue = f"test-{uuid.uuid4().hex[:12]}"
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    else:
        url = f"sqlite:///{db['NAME']}"
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": redis_url, "HUIKUAN_CELERY_QUEUE": queue}
    env.pop("HUIKUAN_TEST_DB", None)
    logs = [tmp_path / f"worker{i}.log" for i in range(count)]
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "huikuan.config",
                "worker",
                "--pool=solo",
                "-Q",
                queue,
                "-n",
                f"w{i}-{queue}@%h",
                "--prefetch-multiplier=1",
                "-O",
                "fair",
                "--loglevel=INFO" if count > 1 else "--loglevel=WARNING",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log.open("w"),
        )
        for i, log in enumerate(logs)
    ]
    # A client app of its own: the project's app may already hold an in-memory broker from eager tests.
    from celery import Celery
    from kombu import Exchange, Queue

    # Not the current app: shared tasks resolve through the current app, and eager tests that follow in this
    # process must still find the project's app, not one that publishes to Redis.
    client = Celery("huikuan-test-client", broker=redis_url, backend=redis_url, set_as_current=False)
    # On Redis a message to a queue nobody has declared yet is dropped; declare it before the worker is up.
    with client.connection_for_write() as conn:
        Queue(queue, Exchange(queue), routing_key=queue)(conn).declare()

    def tails() -> str:
        return "\n".join(f"worker {i} log:\n{log.read_text()[-3000:]}" for i, log in enumerate(logs))

    if count > 1:
        # Every worker listening before the first task goes out, or the first up would take all the shards.
        deadline = time.monotonic() + 60
        while not all(" ready." in log.read_text() for log in logs):
            if time.monotonic() > deadline or any(w.poll() is not None for w in workers):
                raise AssertionError(f"the workers did not start:\n{tails()}")
            time.sleep(0.2)

    def run(name: str, *args: object, timeout: float = 60, **kwargs: object) -> object:
        result = client.send_task(name, args=args, kwargs=kwargs, queue=queue)
        try:
            return result.get(timeout=timeout)
        except Exception as exc:
            raise AssertionError(tails()) from exc

    try:
        yield CeleryWorkers(run, logs)
    finally:
        client.close()
        for worker in workers:
            worker.terminate()
        for worker in workers:
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()


@pytest.fixture
def celery_worker_process(transactional_db: None, tmp_path: Path) -> Iterator[Any]:
    """A real Celery worker in its own process, on Redis, against this test's database.

    Yields a function that sends a task by name to the worker's private queue and waits for the result.
    """
    with _celery_workers(1, tmp_path) as workers:
        yield workers.run


@pytest.fixture
def two_celery_workers(transactional_db: None, tmp_path: Path) -> Iterator[CeleryWorkers]:
    """Two real Celery worker processes on one private queue (see ``_celery_workers``)."""
    with _celery_workers(2, tmp_path) as workers:
        yield workers
