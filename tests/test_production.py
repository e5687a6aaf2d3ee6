"""The production process set on one machine: deploy/Procfile's release, web, worker and beat, started with
deploy/run (what the systemd units run) and production settings, against PostgreSQL and Redis on loopback.

A team lead logs in over HTTP through the TLS proxy's header, the nightly jobs run once through beat's
schedule (moved to seconds by HUIKUAN_SETTLEMENT_SCHEDULE / HUIKUAN_STRATEGY_SCHEDULE), their effect is read
from the database, and every process stops cleanly on SIGTERM.
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from django.utils import timezone

from tests.comms.conftest import free_port
from tests.conftest import Personas

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "a-long-production-password"


class Installation:
    """The processes of deploy/Procfile, each in its own process group, with its log file."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env, self.logs = env, logs
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def run(self, name: str, timeout: float = 300) -> None:
        done = subprocess.run(
            [str(ROOT / "deploy" / "run"), name], env=self.env, cwd=self.logs, capture_output=True, timeout=timeout
        )
        assert done.returncode == 0, done.stderr.decode()[-3000:]

    def start(self, name: str) -> None:
        self.processes[name] = subprocess.Popen(
            [str(ROOT / "deploy" / "run"), name],
            env=self.env,
            cwd=self.logs,
            stdout=(self.logs / f"{name}.log").open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")[-4000:]

    def alive(self) -> None:
        for name, process in self.processes.items():
            assert process.poll() is None, f"{name} exited with {process.returncode}:\n{self.log(name)}"

    def stop(self) -> dict[str, int | None]:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        codes: dict[str, int | None] = {}
        for name, process in self.processes.items():
            try:
                codes[name] = process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                codes[name] = None
        return codes


@pytest.fixture
def installation(transactional_db: None, tmp_path: Path) -> Iterator[Installation]:
    db = connection.settings_dict
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"HUIKUAN_DEMO", "DEBUG", "HUIKUAN_TEST_DB", "DJANGO_SETTINGS_MODULE"}
    }
    var = tmp_path / "var"
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "huikuan.config.settings",
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}",
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "REDIS_URL": os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15"),
            # Its own queue: parallel test runs sharing the Redis do not take each other's tasks.
            "HUIKUAN_CELERY_QUEUE": f"test-production-{uuid.uuid4().hex[:10]}",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "PII_HASH_KEY": secrets.token_urlsafe(50),
            "HUIKUAN_WEBHOOK_SECRET": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1",
            "HUIKUAN_VAR_DIR": str(var),
            "HUIKUAN_BIND": f"127.0.0.1:{free_port()}",
            "WEB_CONCURRENCY": "1",
            "HUIKUAN_WORKER_CONCURRENCY": "1",
            "HUIKUAN_STRATEGY_SHARDS": "2",
            # Settlement, then the run, within seconds of beat starting (intervals; production uses crontab).
            "HUIKUAN_SETTLEMENT_SCHEDULE": "3",
            "HUIKUAN_STRATEGY_SCHEDULE": "6",
            "LOG_LEVEL": "WARNING",
        }
    )
    logs = tmp_path / "logs"
    logs.mkdir()
    setup = Installation(env, logs)
    try:
        yield setup
    finally:
        setup.stop()


def team_lead(personas: Personas) -> Any:
    from huikuan.org.models import Role, User

    # The suite hashes with MD5 for speed; production knows only the real hashers.
    hasher = PBKDF2PasswordHasher()
    return User.objects.create(
        username="wang",
        first_name="主管",
        last_name="王",
        role=Role.TEAM_LEAD,
        team=personas.team_a,
        password=hasher.encode(PASSWORD, hasher.salt()),
    )


def broken_promise_tonight(personas: Personas) -> Any:
    """A promise due ten days ago and never paid: pending until the nightly settlement breaks it."""
    from huikuan.cases.models import Case, Promise

    case = Case.objects.filter(team=personas.team_a).order_by("id").first()
    assert case is not None
    today = timezone.localdate()
    return Promise.objects.create(
        case=case,
        amount=Decimal("500.00"),
        due_date=today - timedelta(days=10),
        state="pending",
        created_at=datetime.combine(today - timedelta(days=20), datetime.min.time(), tzinfo=UTC),
    )


class Browser:
    """HTTP as it reaches gunicorn from the TLS proxy: X-Forwarded-Proto https, cookies kept by hand
    (they are Secure, and a client jar would not send them over the proxy's plain loopback hop)."""

    def __init__(self, bind: str) -> None:
        self.host, port = bind.split(":")
        self.port = int(port)
        self.cookies: dict[str, str] = {}
        self.set_cookies: list[str] = []

    def request(self, method: str, path: str, form: dict[str, str] | None = None, https: bool = True) -> Any:
        headers = {"Host": f"{self.host}:{self.port}"}
        if https:
            headers["X-Forwarded-Proto"] = "https"
            headers["Origin"] = f"https://{self.host}:{self.port}"
            headers["Referer"] = f"https://{self.host}:{self.port}/login/"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        response.text = response.read().decode("utf-8", "replace")  # type: ignore[attr-defined]
        conn.close()
        for raw in response.headers.get_all("Set-Cookie") or []:
            self.set_cookies.append(raw)
            for name, morsel in SimpleCookie(raw).items():
                self.cookies[name] = morsel.value
        return response


def wait_for(check: Callable[[], object], what: str, installation: Installation, seconds: float = 240) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        installation.alive()
        try:
            result = check()
        except (ConnectionError, OSError):
            result = None
        if result:
            return result
        time.sleep(0.5)
    logs = "\n".join(f"--- {name}\n{installation.log(name)}" for name in installation.processes)
    raise AssertionError(f"timed out waiting for {what}\n{logs}")


def test_the_production_processes_serve_logins_and_run_the_nightly_jobs_through_beat(
    installation: Installation, small_portfolio: Personas
) -> None:
    from huikuan.cases.models import Promise, PromiseState
    from huikuan.strategy.actions import import_policy
    from huikuan.strategy.models import RunStatus, StrategyRun, WorkItem

    import_policy((ROOT / "examples" / "policy-default.yaml").read_text(encoding="utf-8"), activate=True)
    lead = team_lead(small_portfolio)
    promise = broken_promise_tonight(small_portfolio)
    today = timezone.localdate()
    assert not StrategyRun.objects.exists()

    installation.run("release")
    assert (Path(installation.env["HUIKUAN_VAR_DIR"]) / "static" / "staticfiles.json").exists()
    for name in ("web", "worker", "beat"):
        installation.start(name)

    browser = Browser(installation.env["HUIKUAN_BIND"])
    login_page = wait_for(lambda: browser.request("GET", "/login/"), "gunicorn to answer", installation)
    assert login_page.status == 200
    assert login_page.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert "script-src 'self'" in login_page.headers["Content-Security-Policy"]
    csrf_cookie = next(c for c in browser.set_cookies if c.startswith("csrftoken="))
    assert "Secure" in csrf_cookie and "HttpOnly" in csrf_cookie
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page.text)
    assert token is not None

    # Plain HTTP (no proxy header) is sent to HTTPS.
    plain = Browser(installation.env["HUIKUAN_BIND"]).request("GET", "/login/", https=False)
    assert plain.status == 301 and plain.headers["Location"].startswith("https://127.0.0.1:")

    logged_in = browser.request(
        "POST", "/login/", {"username": "wang", "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)}
    )
    assert logged_in.status == 302, logged_in.text[:500]
    session_cookie = next(c for c in browser.set_cookies if c.startswith("sessionid="))
    assert "Secure" in session_cookie and "HttpOnly" in session_cookie
    cases = browser.request("GET", "/")
    assert cases.status == 200 and str(lead) in cases.text
    # Static files: collected with content hashes, served by whitenoise, cached for good.
    stylesheet = re.search(r'href="(/static/web/app\.[0-9a-f]{12}\.css)"', cases.text)
    assert stylesheet is not None, cases.text[:800]
    css = browser.request("GET", stylesheet.group(1))
    assert css.status == 200 and "max-age=315360000" in css.headers["Cache-Control"]

    def nightly_done() -> bool:
        return StrategyRun.objects.filter(as_of=today, dry_run=False, status=RunStatus.DONE).exists()

    wait_for(nightly_done, "the nightly strategy run sent by beat", installation)
    wait_for(lambda: Promise.objects.get(pk=promise.pk).state == PromiseState.BROKEN, "the settlement", installation)
    run = StrategyRun.objects.filter(as_of=today, status=RunStatus.DONE).first()
    assert run is not None and run.shards == 2 and run.cases > 0
    assert WorkItem.objects.filter(as_of=today).exists()

    codes = installation.stop()
    assert codes == {"web": 0, "worker": 0, "beat": 0}, {n: installation.log(n) for n in codes}
