"""Production settings: real secrets required, HTTPS-only cookies and HSTS, a CSP, `check --deploy` clean.

Each production case runs `huikuan` in a child process with a production environment (no HUIKUAN_DEMO, no
DEBUG), because the settings decide at import time and this test process runs in demo mode.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from huikuan.config.schedules import beat_schedule
from huikuan.config.secrets import DEMO_SECRETS, secrets_from, unsafe_secrets

REAL = {name: secrets.token_urlsafe(50) for name in DEMO_SECRETS}


def production_env(tmp_path: Path, **overrides: str | None) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "HUIKUAN_VAR_DIR": str(tmp_path / "var"),
        "DJANGO_SETTINGS_MODULE": "huikuan.config.settings",
        **REAL,
    }
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def huikuan(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "huikuan.cli", *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_a_missing_or_demo_secret_is_named() -> None:
    assert unsafe_secrets({}) == ["SECRET_KEY", "PII_HASH_KEY", "HUIKUAN_WEBHOOK_SECRET"]
    assert unsafe_secrets({**REAL, "PII_HASH_KEY": DEMO_SECRETS["PII_HASH_KEY"]}) == ["PII_HASH_KEY"]
    assert unsafe_secrets({**REAL, "SECRET_KEY": "  "}) == ["SECRET_KEY"]
    assert unsafe_secrets(REAL) == []
    with pytest.raises(ImproperlyConfigured, match="HUIKUAN_WEBHOOK_SECRET is not set or still the public demo"):
        secrets_from({**REAL, "HUIKUAN_WEBHOOK_SECRET": DEMO_SECRETS["HUIKUAN_WEBHOOK_SECRET"]}, demo_allowed=False)
    assert secrets_from({}, demo_allowed=True) == DEMO_SECRETS
    assert secrets_from(REAL, demo_allowed=False) == REAL


@pytest.mark.slow
def test_production_refuses_to_start_with_demo_secrets(tmp_path: Path) -> None:
    nothing = huikuan(production_env(tmp_path, **dict.fromkeys(DEMO_SECRETS)), "check")
    assert nothing.returncode != 0 and "Traceback" not in nothing.stderr
    assert "SECRET_KEY, PII_HASH_KEY, HUIKUAN_WEBHOOK_SECRET are not set or still the public demo value" in (
        nothing.stderr
    )
    one = huikuan(production_env(tmp_path, HUIKUAN_WEBHOOK_SECRET=DEMO_SECRETS["HUIKUAN_WEBHOOK_SECRET"]), "check")
    assert one.returncode != 0 and "HUIKUAN_WEBHOOK_SECRET is not set" in one.stderr
    assert "SECRET_KEY" not in one.stderr.split("Refusing", 1)[1].split(".", 1)[0]
    # The WSGI entry point (what gunicorn loads) refuses too, not only the command.
    wsgi = subprocess.run(
        [sys.executable, "-c", "import huikuan.config.wsgi"],
        env=production_env(tmp_path, SECRET_KEY=None),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert wsgi.returncode != 0 and "SECRET_KEY is not set or still the public demo value" in wsgi.stderr


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["DEBUG", "HUIKUAN_DEMO"])
def test_the_demo_starts_with_its_public_secrets(tmp_path: Path, mode: str) -> None:
    demo = huikuan(production_env(tmp_path, **dict.fromkeys(DEMO_SECRETS), **{mode: "1"}), "check")
    assert demo.returncode == 0, demo.stderr


@pytest.mark.slow
def test_the_demo_users_are_refused_outside_demo_mode(tmp_path: Path) -> None:
    env = production_env(tmp_path)
    assert huikuan(env, "migrate", "-v0").returncode == 0
    refused = huikuan(env, "demo", "--debtors", "1")
    assert refused.returncode != 0 and "HUIKUAN_DEMO=1" in refused.stderr


@pytest.mark.slow
def test_check_deploy_is_clean_with_production_settings(tmp_path: Path) -> None:
    result = huikuan(production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.slow
def test_production_cookies_are_https_only_and_hsts_is_on(tmp_path: Path) -> None:
    names = [
        "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "CSRF_COOKIE_HTTPONLY",
        "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "DEBUG", "PRODUCTION",
    ]  # fmt: skip
    script = (
        "import django, json; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {names!r}}}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], env=production_env(tmp_path), capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    values = json.loads(out.stdout)
    assert values == {
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_HTTPONLY": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31_536_000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "DEBUG": False,
        "PRODUCTION": True,
    }


def test_every_page_carries_a_strict_content_security_policy(db: None) -> None:
    policy = Client().get("/login/")["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert "unsafe" not in policy


def test_the_nightly_schedule_reads_crontab_fields_or_seconds() -> None:
    assert beat_schedule("X", "5") == 5.0
    assert beat_schedule("X", " 0.5 ") == 0.5
    nightly = beat_schedule("X", "30 1 * * *")
    assert isinstance(nightly, crontab) and nightly.hour == {1} and nightly.minute == {30}
    weekdays = beat_schedule("X", "0 2 * * mon-fri")
    assert isinstance(weekdays, crontab) and weekdays.day_of_week == {1, 2, 3, 4, 5}
    for bad in ("", "0", "-3", "nan", "inf", "1 2 3", "99 1 * * *", "a b c d e"):
        with pytest.raises(ImproperlyConfigured, match="X="):
            beat_schedule("X", bad)


def test_the_default_schedule_is_the_nightly_one(settings: Any) -> None:
    settle = settings.CELERY_BEAT_SCHEDULE["payments-nightly-settlement"]["schedule"]
    run = settings.CELERY_BEAT_SCHEDULE["strategy-nightly-run"]["schedule"]
    assert (settle.hour, settle.minute, run.hour, run.minute) == ({1}, {0}, {1}, {30})
