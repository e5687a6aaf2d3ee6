"""tests/kernel/conftest.py fails a kernel test that reaches for the database, whichever way it tries."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

KERNEL_CONFTEST = Path(__file__).resolve().parent / "kernel" / "conftest.py"

PROBES = """
import pytest


def test_plain_values():
    assert 1 + 1 == 2


def test_asks_for_db(db):
    pass


def test_asks_through_a_fixture(transactional_db):
    pass


@pytest.mark.django_db
def test_marked():
    pass


def test_runs_sql_all_the_same(django_db_blocker):
    from django.db import connection

    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute("SELECT 1")
"""


def test_every_way_to_the_database_fails_and_plain_tests_pass(tmp_path: Path) -> None:
    kernel = tmp_path / "kernel"
    kernel.mkdir()
    shutil.copy(KERNEL_CONFTEST, kernel / "conftest.py")
    (kernel / "test_probes.py").write_text(PROBES, encoding="utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\nDJANGO_SETTINGS_MODULE = huikuan.config.settings\n")
    # Its own var folder: the probe that unblocks must not reach any real database file.
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "HUIKUAN_TEST_DB"}}
    env["HUIKUAN_VAR_DIR"] = str(tmp_path / "var")
    report = tmp_path / "report.xml"
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:xdist", f"--junitxml={report}",
         str(kernel)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    outcomes: dict[str, tuple[str, str]] = {}
    for case in ElementTree.parse(report).iter("testcase"):
        refused = [(child.tag, child.get("message", "")) for child in case if child.tag in {"error", "failure"}]
        outcomes[case.get("name", "")] = refused[0] if refused else ("passed", "")
    assert outcomes.pop("test_plain_values") == ("passed", ""), out.stdout[-3000:]
    # Asking is refused before setup, an error, so no test database is made; running SQL fails the test.
    assert {name: kind for name, (kind, _) in outcomes.items()} == {
        "test_asks_for_db": "error",
        "test_asks_through_a_fixture": "error",
        "test_marked": "error",
        "test_runs_sql_all_the_same": "failure",
    }, out.stdout[-3000:]
    for name, (_, message) in outcomes.items():
        assert "kernel tests take no database" in message, (name, message)
    assert not (tmp_path / "var" / "test-huikuan.sqlite3").exists(), "no test database is made"
