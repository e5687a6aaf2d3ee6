"""The one writer: formula-leading text is escaped in CSV and XLSX, the project's numbers stay numbers, and the
import reads back what was written."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl

from huikuan.kernel import intake
from huikuan.tabular.reading import ColumnMapping, mapped_rows
from huikuan.tabular.writing import Cell, csv_text, safe_text, unescape, write_csv, xlsx_bytes

ATTACKS = ["=cmd|' /C calc'!A0", "@SUM(A1)", "+1", "-1", "\t=1+1", "\r=1+1", '=HYPERLINK("http://x")']


def test_text_that_a_spreadsheet_would_evaluate_is_written_as_text() -> None:
    for attack in ATTACKS:
        assert safe_text(attack) == "'" + attack
        assert unescape(safe_text(attack)) == attack
    for harmless in ["张伟", "12.50", "'quoted", "a=b", "", "'"]:
        assert safe_text(harmless) == harmless
        assert unescape(harmless) == harmless


def test_csv_escapes_text_and_leaves_the_projects_numbers_alone() -> None:
    rows: list[list[Cell]] = [
        ["row", "value", "amount", "day"],
        [2, "=cmd|' /C calc'!A0", Decimal("-12.50"), date(2026, 2, 28)],
        [3, "-1", -3, None],
    ]
    read = list(csv.reader(io.StringIO(csv_text(rows))))
    assert read[1] == ["2", "'=cmd|' /C calc'!A0", "-12.50", "2026-02-28"]
    assert read[2] == ["3", "'-1", "-3", ""]


def test_xlsx_escapes_text_keeps_numbers_numeric_and_shows_control_characters() -> None:
    data = xlsx_bytes(
        [["value", "amount"], ["=cmd|' /C calc'!A0", Decimal("-12.50")], ["@SUM(A1)", 3], ["张\x00伟", None]]
    )
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    cells = list(sheet.iter_rows(min_row=2))
    assert cells[0][0].value == "'=cmd|' /C calc'!A0" and cells[0][0].data_type == "s"
    assert cells[0][1].value == -12.5 and cells[0][1].data_type == "n"  # a sum adds it
    assert cells[1][0].value == "'@SUM(A1)" and cells[1][1].value == 3
    assert cells[2][0].value == "张\\x00伟"
    assert not any(c.data_type == "f" for row in cells for c in row)


def test_a_file_written_here_reads_back_as_it_was_written(tmp_path: Path) -> None:
    path = tmp_path / "round.csv"
    values = ["+8613812341234", "=1+1", "-5", "'plain", "@home"]
    write_csv(path, [["a", "b", "c", "d", "e"], values], excel=True)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    missing, rows = mapped_rows(path, ColumnMapping({k: k for k in "abcde"}), [])
    assert missing == []
    assert [r for _n, r in rows] == [dict(zip("abcde", values, strict=True))]
    assert intake.normalise_phone(values[0]) == "+8613812341234"
