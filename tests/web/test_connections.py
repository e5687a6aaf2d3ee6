"""A web process keeps its database connection between requests (settings.DB_CONN_MAX_AGE): opening one per
request cost every page 8–19 ms on the reference machine. Outside a test's transaction, as in production,
Django closes a connection at the end of a request unless its age allows reuse."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from huikuan.org.models import Role, User


@pytest.mark.django_db(transaction=True)
def test_the_connection_outlives_a_request() -> None:
    assert (settings.DATABASES["default"]["CONN_MAX_AGE"] or 0) > 0
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"]
    client = Client()
    client.force_login(User.objects.create(username="keeps", role=Role.COLLECTOR))
    assert client.get("/work/").status_code == 200
    first = connection.connection
    assert first is not None
    assert client.get("/work/").status_code == 200
    assert connection.connection is first
