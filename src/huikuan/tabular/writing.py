"""Writing CSV and XLSX: the one writer every file the project hands out goes through.

A spreadsheet reads a cell that begins with ``=``, ``+``, ``-`` or ``@`` (and, in some programs, a tab or a
carriage return) as a formula: a value that came from an imported file or a debtor's record could run a
command on the machine of whoever opens the export (CSV or DDE injection, ``=cmd|' /C calc'!A0``). Text
cells that begin so are written with a leading apostrophe, which spreadsheets show as text.

Numbers the project computes (``int``, ``Decimal``) are written as numbers and never escaped, so an amount
of -12.50 stays a number a sum can add; only text is escaped. Text that happens to look like a number
(``-1`` typed in an import file and echoed by its error report) is text, and escaped like any other: who
wrote a cell decides, not what it looks like. The import readers undo the apostrophe (``unescape``), so a
file written here and imported again reads as it was written.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

Cell = str | int | Decimal | date | datetime | None

# What makes a spreadsheet evaluate a cell, as OWASP lists it for CSV injection.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_ESCAPE = "'"
# XML 1.0 cannot hold these, so openpyxl refuses them; the XLSX shows them as visible escapes instead.
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def safe_text(text: str) -> str:
    """Text as a spreadsheet will show it and never evaluate it."""
    return _ESCAPE + text if text.startswith(FORMULA_START) else text


def unescape(text: str) -> str:
    """The text ``safe_text`` was given: an import reads its own exports as they were written."""
    return text[1:] if text.startswith(_ESCAPE) and text[1:2] and text[1] in FORMULA_START else text


def _csv_cell(value: Cell) -> str | int | Decimal:
    if value is None:
        return ""
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, int | Decimal):
        return value
    return value.isoformat()


def csv_text(rows: Iterable[Sequence[Cell]]) -> str:
    """The rows as CSV text; a header is a row like any other."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
    return buffer.getvalue()


def write_csv(path: Path, rows: Iterable[Sequence[Cell]], *, excel: bool = False) -> int:
    """Write the rows to ``path`` as UTF-8 CSV (with a byte order mark for Excel when ``excel``); returns
    the number of rows written. Streamed: a generated portfolio of a million rows is not held in memory."""
    count = 0
    with path.open("w", newline="", encoding="utf-8-sig" if excel else "utf-8") as handle:
        writer = csv.writer(handle)
        for row in rows:
            writer.writerow([_csv_cell(v) for v in row])
            count += 1
    return count


def _xlsx_cell(value: Cell) -> str | int | Decimal | date | None:
    if isinstance(value, str):
        return _XML_ILLEGAL.sub(lambda m: f"\\x{ord(m.group()):02x}", safe_text(value))
    return value


def xlsx_bytes(rows: Iterable[Sequence[Cell]], sheet: str = "Sheet1") -> bytes:
    """The rows as an XLSX workbook of one sheet. openpyxl itself would store text beginning with ``=`` as
    a formula, so text is escaped here exactly as in a CSV."""
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    ws = book.create_sheet(sheet)
    for row in rows:
        ws.append([_xlsx_cell(v) for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def xlsx_sheets(sheets: Iterable[tuple[str, Iterable[Sequence[Cell]]]]) -> bytes:
    """Several named sheets in one workbook, each escaped as ``xlsx_bytes`` escapes its one sheet."""
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    for name, rows in sheets:
        ws = book.create_sheet(name[:31])
        for row in rows:
            ws.append([_xlsx_cell(v) for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
