"""Schemathesis against the OpenAPI schema: every operation, as a collector and as an admin, with data that
fits the schema and data that does not. Any 5xx, an undocumented status code or a response that does not
match its documented schema fails the test.

The requests go through the project's WSGI application in this thread, so they see this test's database
transaction (the debt and the people below). Examples are bounded so the run stays near a minute.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from huikuan.config.wsgi import application
from tests.conftest import Personas
from tests.payments.conftest import Debt

EXAMPLES = int(os.environ.get("HUIKUAN_FUZZ_EXAMPLES", "8"))
CSRF = "fuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzz"  # any 32 letters: the cookie and the header only have to agree
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def same_connection() -> Iterator[None]:
    """Keep the request's end from closing this thread's connection, as Django's test client does: closing
    it would end the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def session_of(user: Any) -> dict[str, str]:
    client = Client()
    client.force_login(user)
    return {"sessionid": client.cookies["sessionid"].value, "csrftoken": CSRF}


def check_operation(operation: Any, mode: GenerationMode, cookies: dict[str, str]) -> None:
    """Up to EXAMPLES requests to one operation; raises with Schemathesis's report on the first failure."""
    headers = {"X-CSRFToken": CSRF}
    checks = CHECKS + ([negative_data_rejection] if mode is GenerationMode.NEGATIVE else [])

    # The session cookie is given, never generated: a mutated session is just another 401.
    @given(case=operation.as_strategy(generation_mode=mode, cookies=cookies))
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    def check(case: Any) -> None:
        response = case.call(headers=headers)
        case.validate_response(response, checks=checks, headers=headers)

    check()


def fuzz(user: Any) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)
    cookies = session_of(user)
    failures: list[str] = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result  # every operation of the schema loads
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                check_operation(operation, mode, cookies)
            except Unsatisfiable:
                assert mode is GenerationMode.NEGATIVE  # an operation with no input has nothing to get wrong
            except Exception as exc:  # every operation is tried; all failures are reported together
                failures.append(f"{operation.label} ({mode.value}): {exc}")
    assert not failures, "\n\n".join(failures)


@pytest.mark.slow
def test_the_api_as_a_collector(personas: Personas, debt: Debt, same_connection: None) -> None:
    fuzz(personas.alice)


@pytest.mark.slow
def test_the_api_as_an_admin(personas: Personas, debt: Debt, same_connection: None) -> None:
    fuzz(personas.adam)
