"""Property: any Unicode text in any field of the visit form (and of the API's) is answered 2xx, 3xx or 4xx,
never 5xx, and a refused visit leaves nothing behind.

Alice posts the form with every field drawn from all of Unicode, NUL and the other control characters
included, as a browser sends it (urlencoded, and multipart as the form's file input makes it).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huikuan.fieldwork.models import Visit
from tests.conftest import Personas
from tests.fieldwork.fixtures import VisitCase

FIELDS = (
    "second_collector", "arrived_at", "left_at", "persons_met", "outcome", "notes", "promise_amount",
    "promise_date", "plan_kind", "payment_reference",
)  # fmt: skip
API_FIELDS = ("second_collector_id", "arrived_at", "left_at", "persons_met", "outcome", "notes", "promise_amount")


def client_for(user: Any) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.fixed_dictionaries({name: st.text(max_size=30) for name in FIELDS}), st.booleans())
def test_any_text_in_the_visit_form_is_never_a_server_error(
    personas: Personas, visit_case: VisitCase, data: dict[str, str], urlencoded: bool
) -> None:
    case, _item = visit_case()
    client = client_for(personas.alice)
    url = f"/visits/cases/{case.pk}/"
    if urlencoded:
        response = client.post(url, urlencode(data), content_type="application/x-www-form-urlencoded")
    else:
        response = client.post(url, data)
    assert response.status_code < 500
    if response.status_code == 400:
        assert not Visit.objects.filter(case=case).exists()


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.fixed_dictionaries({name: st.text(max_size=30) for name in API_FIELDS}))
def test_any_text_in_the_visit_api_is_never_a_server_error(
    personas: Personas, visit_case: VisitCase, data: dict[str, str]
) -> None:
    case, _item = visit_case()
    response = client_for(personas.alice).post(f"/api/cases/{case.pk}/visits", data)
    assert response.status_code < 500
    if response.status_code >= 400:
        assert not Visit.objects.filter(case=case).exists()
