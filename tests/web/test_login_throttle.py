"""Login throttling: a guessed password stops working after the limit, the user is told why, all is logged.

Alice is the target; someone types wrong passwords for her name. Bob works beside her, unaffected.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from huikuan.audit.models import SecurityEvent, SecurityEventKind
from tests.conftest import Personas


def attempt(client: Client, username: str, password: str, url: str = "/login/") -> Any:
    return client.post(url, {"username": username, "password": password})


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_fifty_wrong_passwords_then_the_right_one_does_not_log_in(personas: Personas, settings: Any) -> None:
    guesser = Client()
    for n in range(50):
        answer = attempt(guesser, "alice", f"guess-{n}")
        assert answer.status_code in (200, 429) and not logged_in(guesser)
    right = attempt(guesser, "alice", "pw-alice")
    assert right.status_code == 429 and not logged_in(guesser)
    # Not from another machine either: the lock is on the name, wherever the attempts come from.
    elsewhere = Client(REMOTE_ADDR="10.9.8.7")
    assert attempt(elsewhere, "alice", "pw-alice").status_code == 429 and not logged_in(elsewhere)
    assert elsewhere.get("/").status_code == 302
    # The admin's login is the same door.
    assert attempt(elsewhere, "alice", "pw-alice", "/admin/login/").status_code == 429


def test_the_lock_starts_at_the_limit_and_not_before(personas: Personas, settings: Any) -> None:
    limit = settings.AXES_FAILURE_LIMIT
    client = Client()
    for n in range(limit - 1):
        assert attempt(client, "alice", f"guess-{n}").status_code == 200
    assert attempt(client, "alice", "pw-alice").status_code == 302 and logged_in(client)
    client = Client()
    for n in range(limit):
        attempt(client, "alice", f"again-{n}")
    assert attempt(client, "alice", "pw-alice").status_code == 429


def test_the_locked_user_is_told_why_in_their_language(personas: Personas, settings: Any) -> None:
    for n in range(settings.AXES_FAILURE_LIMIT):
        attempt(Client(), "alice", f"guess-{n}")
    chinese = attempt(Client(), "alice", "pw-alice").content.decode()
    assert 'data-testid="locked-out"' in chinese
    assert "连续10次登录失败" in chinese and "15分钟" in chinese and "管理员" in chinese
    english = Client(HTTP_ACCEPT_LANGUAGE="en")
    page = attempt(english, "alice", "pw-alice").content.decode()
    assert "locked after 10 failed attempts" in page and "Try again in 15 minutes" in page


def test_a_colleague_is_not_locked_out_with_her(personas: Personas, settings: Any) -> None:
    office = Client()
    for n in range(settings.AXES_FAILURE_LIMIT + 5):
        attempt(office, "alice", f"guess-{n}")
    assert attempt(office, "bob", "pw-bob").status_code == 302 and logged_in(office)


def test_the_lock_lifts_after_the_cool_off(personas: Personas, settings: Any) -> None:
    settings.AXES_COOLOFF_TIME = timedelta(seconds=1)
    for n in range(settings.AXES_FAILURE_LIMIT):
        attempt(Client(), "alice", f"guess-{n}")
    assert attempt(Client(), "alice", "pw-alice").status_code == 429
    time.sleep(1.2)
    client = Client()
    assert attempt(client, "alice", "pw-alice").status_code == 302 and logged_in(client)


def test_an_administrator_unlocks_a_name(personas: Personas, settings: Any) -> None:
    for n in range(settings.AXES_FAILURE_LIMIT):
        attempt(Client(), "alice", f"guess-{n}")
    call_command("axes_reset_username", "alice")
    client = Client()
    assert attempt(client, "alice", "pw-alice").status_code == 302 and logged_in(client)


def test_failed_logins_and_the_lockout_are_in_the_security_log(personas: Personas, settings: Any) -> None:
    limit = settings.AXES_FAILURE_LIMIT
    guesser = Client(REMOTE_ADDR="203.0.113.9")
    for n in range(limit + 2):
        attempt(guesser, "alice", f"guess-{n}")
    attempt(guesser, "nobody-here", "x")
    failed = SecurityEvent.objects.filter(kind=SecurityEventKind.LOGIN_FAILED)
    assert failed.filter(username="alice").count() == limit + 2
    assert failed.filter(username="nobody-here", user=None).count() == 1
    assert set(failed.values_list("ip_address", "path", "method").distinct()) == {("203.0.113.9", "/login/", "POST")}
    locked = SecurityEvent.objects.filter(kind=SecurityEventKind.LOCKED_OUT, username="alice")
    assert locked.exists() and set(locked.values_list("status", flat=True)) == {429}


@pytest.mark.parametrize("proxies", [0, 1])
def test_the_recorded_address_comes_from_the_trusted_proxy_only(
    personas: Personas, settings: Any, proxies: int
) -> None:
    settings.HUIKUAN_PROXY_COUNT = proxies
    # The client sends its own X-Forwarded-For; the proxy (REMOTE_ADDR 10.0.0.2) appends the address it saw.
    client = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.7")
    attempt(client, "alice", "wrong")
    recorded = SecurityEvent.objects.get(kind=SecurityEventKind.LOGIN_FAILED).ip_address
    assert recorded == ("198.51.100.7" if proxies else "10.0.0.2")


def test_a_login_form_with_a_nul_byte_is_a_form_error(personas: Personas) -> None:
    answer = attempt(Client(), "ali\x00ce", "pw-alice")
    assert answer.status_code == 200
