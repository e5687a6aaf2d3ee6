"""Kernel tests take no database: the kernel is rules over plain values, tested as such.

They also run without Django (`pytest -p no:django tests/kernel`). A test here that asks for the database
tests an app and belongs beside that app's tests, so it fails instead of being given one: by asking for a
database fixture or the `django_db` mark, or by running SQL all the same (`django_db_blocker.unblock()`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest

DATABASE_FIXTURES = frozenset(
    {
        "db",
        "transactional_db",
        "django_db_setup",
        "django_db_reset_sequences",
        "django_db_serialized_rollback",
        "live_server",
        "_django_db_helper",
    }
)
NO_DATABASE = "kernel tests take no database; a test that needs one belongs beside its app's tests"


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    # Before any fixture is set up, so the test database is never created for a kernel test.
    asked = sorted(DATABASE_FIXTURES.intersection(getattr(item, "fixturenames", ())))
    if item.get_closest_marker("django_db"):
        asked.append("the django_db mark")
    if asked:
        pytest.fail(f"{item.nodeid} asks for {', '.join(asked)}: {NO_DATABASE}", pytrace=False)


@pytest.fixture(autouse=True)
def _refuse_sql(request: pytest.FixtureRequest) -> Iterator[None]:
    if not request.config.pluginmanager.has_plugin("django"):
        yield  # without Django there is no connection to refuse
        return
    from django.db import connections

    def refuse(*_: Any) -> None:
        raise AssertionError(f"SQL from a kernel test: {NO_DATABASE}")

    with ExitStack() as stack:
        for connection in connections.all(initialized_only=False):
            stack.enter_context(connection.execute_wrapper(refuse))
        yield
