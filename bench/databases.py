"""Fresh databases for benchmarks: a SQLite file in a temporary folder or a new PostgreSQL database.

Each benchmark measures one backend per process, because Django binds its settings at start-up.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/test")


def fresh_database(backend: str, name: str, url: str | None = None) -> str:
    """A DATABASE_URL for an empty database of `backend` ('sqlite' or 'postgres').

    `url` names the PostgreSQL database to (re)create instead of `name` on the admin server, so benchmarks
    run side by side on one server each use their own."""
    if backend == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix=f"{name}-"))
        return f"sqlite:///{folder / 'bench.sqlite3'}"
    import psycopg

    server, name = url.rsplit("/", 1) if url else (PG_ADMIN_URL.rsplit("/", 1)[0], name)
    admin = f"{server}/postgres" if url else PG_ADMIN_URL
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{server}/{name}"


def setup_django(database_url: str) -> None:
    """Point Django at the database and create the schema."""
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huikuan.config.settings_demo")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB (VmHWM: see huikuan.memory)."""
    from huikuan.memory import peak_memory_mb

    return peak_memory_mb()
