"""The bad-input corpus (tests/corpus/bad_inputs/) through every way in: the command line, the API and the web page.

Each file gets a file error or its row errors (row, column, reason) — never a traceback or a 500 — and every
table is as it was, row for row. Files that echo formula-like cells check the downloaded report escapes them.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import translation

from huikuan.tabular import reading
from tests.conftest import Personas
from tests.corpus.make_bad_inputs import HERE, large_inputs

EXPECTED = yaml.safe_load((HERE / "expected.yaml").read_text(encoding="utf-8"))
ACCOUNTS = sorted(EXPECTED["accounts"])
STATEMENTS = sorted(EXPECTED["statements"])
# What a file must get, as expected.yaml says: "rows" (row, column, code), "formulas", "file" (words of the error).
Expected = dict[str, Any]
LARGE = "over_reader_limit.csv"
# The cell beyond the reader's limit lands at row 2, where no column can be named.
LARGE_EXPECTED: Expected = {"rows": [[2, "", "cell_over_reader_limit"]]}


def fingerprint() -> dict[str, str]:
    """Every table's rows, hashed: equal before and after means nothing was written, changed or deleted.

    The session table is left out: the web page keeps its report there.
    """
    prints = {}
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed or model._meta.label == "sessions.Session":
            continue
        rows = list(model._default_manager.order_by("pk").values_list())
        prints[model._meta.label] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return prints


@pytest.fixture
def world(small_portfolio: Personas) -> Iterator[Personas]:
    with translation.override("en"):
        yield small_portfolio


def account_file(name: str, tmp_path: Path) -> tuple[Path, Expected]:
    if name == LARGE:
        return large_inputs(tmp_path, reading.READER_FIELD_LIMIT)["accounts"], LARGE_EXPECTED
    return HERE / "accounts" / name, EXPECTED["accounts"][name]


def rows_of_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))[1:]


def check_report(expected: Expected, found: list[tuple[int, str, str]], values: list[str]) -> None:
    """``found``: (row, column, code or reason) per error; ``values``: the report's value cells as written."""
    assert [(r, c) for r, c, _ in found] == [(r, c) for r, c, _code in expected["rows"]]
    for formula in expected.get("formulas", []):
        assert "'" + formula in values, (formula, values)
        assert formula not in values, f"{formula} written as is"


def check_file_error(expected: Expected, message: str) -> None:
    hint = expected.get("file") or expected.get("file_or_rows")
    assert str(hint) in message, message


@pytest.mark.django_db
@pytest.mark.parametrize("name", [*ACCOUNTS, LARGE])
def test_an_account_file_through_the_command_line(world: Personas, name: str, tmp_path: Path) -> None:
    path, expected = account_file(name, tmp_path)
    report = tmp_path / "errors.csv"
    before = fingerprint()
    with pytest.raises(CommandError) as failed:
        call_command(
            "import_accounts", str(path), "--errors-csv", str(report), stdout=io.StringIO(), stderr=io.StringIO()
        )
    if "rows" in expected:
        rows = rows_of_csv(report.read_text(encoding="utf-8-sig"))
        check_report(expected, [(int(r[0]), r[1], r[3]) for r in rows], [r[2] for r in rows])
    else:
        check_file_error(expected, str(failed.value))
    assert fingerprint() == before


@pytest.mark.django_db
@pytest.mark.parametrize("name", [*ACCOUNTS, LARGE])
def test_an_account_file_through_the_api(world: Personas, name: str, tmp_path: Path) -> None:
    path, expected = account_file(name, tmp_path)
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(world.adam)
    before = fingerprint()
    with path.open("rb") as handle:
        answer = client.post("/api/imports/accounts", {"file": handle})
    if "rows" in expected:
        assert answer.status_code == 200, answer.content
        body = answer.json()
        assert body["ok"] is False
        errors = body["errors"]
        assert [[e["row"], e["column"], e["code"]] for e in errors] == expected["rows"]
        assert all(e["reason"] and e["reason"] != e["code"] for e in errors)
    else:
        assert answer.status_code == 400, answer.content
        check_file_error(expected, answer.json()["detail"])
    assert fingerprint() == before


@pytest.mark.django_db
@pytest.mark.parametrize("name", [*ACCOUNTS, LARGE])
def test_an_account_file_through_the_web_page(world: Personas, name: str, tmp_path: Path) -> None:
    path, expected = account_file(name, tmp_path)
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(world.lena)
    before = fingerprint()
    with path.open("rb") as handle:
        page = client.post("/import/", {"file": handle})
    assert page.status_code == 200
    html = page.content.decode()
    if "rows" in expected:
        assert 'data-testid="summary"' in html and "nothing was imported" in html
        download = client.get("/import/errors.csv")
        assert download.status_code == 200
        rows = rows_of_csv(download.content.decode("utf-8-sig"))
        check_report(expected, [(int(r[0]), r[1], r[3]) for r in rows], [r[2] for r in rows])
        sheet = openpyxl.load_workbook(io.BytesIO(client.get("/import/errors.xlsx").content)).active
        assert sheet is not None
        cells = [list(r) for r in sheet.iter_rows(min_row=2, values_only=True)]
        check_report(expected, [(int(r[0]), r[1] or "", r[3]) for r in cells], [r[2] or "" for r in cells])
    else:
        check_file_error(expected, html.replace("&#x27;", "'").replace("&quot;", '"'))
    assert fingerprint() == before


@pytest.mark.django_db
@pytest.mark.parametrize("name", STATEMENTS)
def test_a_statement_file_through_the_command_line(world: Personas, name: str, tmp_path: Path) -> None:
    expected = EXPECTED["statements"][name]
    report = tmp_path / "errors.csv"
    before = fingerprint()
    with pytest.raises(CommandError) as failed:
        call_command(
            "import_payments",
            str(HERE / "statements" / name),
            "--errors-csv",
            str(report),
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
    if "rows" in expected:
        rows = rows_of_csv(report.read_text(encoding="utf-8-sig"))
        check_report(expected, [(int(r[0]), r[1], r[3]) for r in rows], [r[2] for r in rows])
    else:
        check_file_error(expected, str(failed.value))
    assert fingerprint() == before


def test_the_corpus_on_disk_is_what_its_maker_writes(tmp_path: Path) -> None:
    # A file edited by hand, or a maker changed without writing the files again, would test something else.
    from tests.corpus.make_bad_inputs import write_all

    write_all(tmp_path)
    for kind in ("accounts", "statements"):
        for name in EXPECTED[kind]:
            if name.endswith(".xlsx"):
                continue  # a workbook holds the time it was saved
            assert (tmp_path / kind / name).read_bytes() == (HERE / kind / name).read_bytes(), name
    assert yaml.safe_load((tmp_path / "expected.yaml").read_text(encoding="utf-8")) == EXPECTED


def test_the_huikuan_command_answers_bad_files_with_a_message_not_a_traceback(tmp_path: Path) -> None:
    # The real command line, in its own process on a fresh SQLite database: what a user at a terminal sees.
    import subprocess
    import sys

    env = {"HUIKUAN_VAR_DIR": str(tmp_path), "PATH": "/usr/bin:/bin", "HUIKUAN_DEMO": "1", "LANGUAGE_CODE": "en"}
    subprocess.run([sys.executable, "-m", "huikuan.cli", "migrate", "-v0"], check=True, env=env, cwd=tmp_path)
    for kind, name, says in [
        ("accounts", "shift_jis.csv", "It looks like Shift-JIS text"),
        ("accounts", "header_only.csv", "no rows under it"),
        ("accounts", "nul_in_name.csv", "holds a control character (U+0000)"),
        ("accounts", "too_long_fields.csv", "201 characters, longer than the 200 this field holds"),
        ("statements", "long_transaction_id.csv", "121 characters, longer than the 120 this field holds"),
    ]:
        command = "accounts" if kind == "accounts" else "payments"
        result = subprocess.run(
            [sys.executable, "-m", "huikuan.cli", "import", command, str(HERE / kind / name)],
            env=env, cwd=tmp_path, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert result.returncode == 1, (name, result.stdout, result.stderr)
        assert says in result.stderr and "Traceback" not in result.stderr, (name, result.stderr)
