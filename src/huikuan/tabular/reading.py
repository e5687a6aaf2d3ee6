"""Reading an import file: CSV or XLSX rows as text, under the user's column titles.

Kept apart from the database code so the validation worker process (intake/staging.py) can read the
file without setting up Django's models.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path

import yaml
from django.utils.translation import gettext as _

from huikuan.kernel import intake


class ImportFileError(ValueError):
    """The file as a whole cannot be read (format, encoding, mapping)."""


@dataclass(frozen=True)
class ColumnMapping:
    """Canonical field → column title in the user's file, plus the file's conventions."""

    columns: Mapping[str, str]
    sheet: str | None = None
    encoding: str | None = None

    @classmethod
    def identity(cls, fields: Sequence[str] = intake.FIELDS) -> ColumnMapping:
        return cls({name: name for name in fields})

    @classmethod
    def load(cls, path: Path, fields: Sequence[str] = intake.FIELDS) -> ColumnMapping:
        return cls.parse(mapping_text(path.read_bytes()), fields)

    @classmethod
    def parse(cls, text: str, fields: Sequence[str] = intake.FIELDS) -> ColumnMapping:
        """``fields`` are the canonical names this kind of file knows (accounts, bank statement)."""
        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            raise ImportFileError(_("The mapping file is not valid YAML: %(error)s") % {"error": exc}) from exc
        columns = data.get("columns") if isinstance(data, dict) else None
        if not isinstance(columns, dict):
            raise ImportFileError(_("The mapping file needs a 'columns' section: field: column title"))
        unknown = sorted(set(columns) - set(fields))
        if unknown:
            raise ImportFileError(
                _("The mapping names unknown fields: %(fields)s. Known fields: %(known)s")
                % {"fields": ", ".join(map(str, unknown)), "known": ", ".join(fields)}
            )
        # YAML reads a sheet named 2024 as a number; the workbook names it with text.
        sheet = data.get("sheet")
        return cls(
            {str(k): str(v) for k, v in columns.items()}, None if sheet is None else str(sheet), data.get("encoding")
        )


def mapping_text(raw: bytes) -> str:
    """A mapping file's text: UTF-8 (with or without BOM) or GB18030, what Chinese Windows editors save."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError(_("The mapping file is neither UTF-8 nor GB18030 text"))


def read_table(path: Path, mapping: ColumnMapping) -> tuple[list[str], Iterator[list[str]]]:
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm"}:
        return _read_xlsx(path, mapping.sheet)
    if suffix in {".csv", ".txt"}:
        return _read_csv(path, mapping.encoding)
    raise ImportFileError(_("Unsupported file type %(suffix)s: use .csv or .xlsx") % {"suffix": suffix})


def _read_csv(path: Path, encoding: str | None) -> tuple[list[str], Iterator[list[str]]]:
    # Streamed, not read whole: a file of a million rows is hundreds of MB as bytes and again as text, and
    # the importing process and the validation worker each read it.
    chosen = _text_encoding(path, encoding)
    with path.open(encoding=chosen, newline="") as handle:
        header = next(csv.reader(handle), None)
    if header is None:
        raise ImportFileError(_("The file is empty"))
    return [h.strip() for h in header], _csv_body(path, chosen)


def _text_encoding(path: Path, encoding: str | None) -> str:
    """The mapping's encoding, else UTF-8 (with or without BOM), else GB18030; the whole file must decode.

    Checked before any row is read, so a wrong encoding is one clear error about the file, not a row that
    fails half-way through an import.
    """
    for candidate in [encoding] if encoding else ["utf-8-sig", "gb18030"]:
        try:
            decoder = codecs.getincrementaldecoder(candidate)()
            with path.open("rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    decoder.decode(block)
            decoder.decode(b"", final=True)
        except (UnicodeDecodeError, LookupError):
            continue
        return candidate
    if encoding:
        raise ImportFileError(
            _("The file is not %(encoding)s text, the encoding the mapping names") % {"encoding": encoding}
        )
    raise ImportFileError(_("The file is neither UTF-8 nor GB18030 text"))


def _csv_body(path: Path, encoding: str) -> Iterator[list[str]]:
    # Opened on the first row asked for and closed when the rows run out or the reader is closed, so a
    # caller that only looks at the header leaves no file open.
    with path.open(encoding=encoding, newline="") as handle:
        reader = csv.reader(handle)
        next(reader, None)  # the header, read by _read_csv
        yield from reader


def _read_xlsx(path: Path, sheet: str | None) -> tuple[list[str], Iterator[list[str]]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many unrelated types for a damaged file
        raise ImportFileError(_("The spreadsheet cannot be read: %(error)s") % {"error": exc}) from exc
    if sheet and sheet not in book.sheetnames:
        raise ImportFileError(_("The spreadsheet has no sheet named %(sheet)s") % {"sheet": sheet})
    ws = book[sheet] if sheet else book.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    header = next(rows, None)
    if header is None:
        raise ImportFileError(_("The file is empty"))
    return [intake.excel_value(h).strip() for h in header], ([intake.excel_value(v) for v in row] for row in rows)


def mapped_rows(
    path: Path, mapping: ColumnMapping, required: Sequence[str]
) -> tuple[list[intake.RowError], Iterator[tuple[int, dict[str, str]]]]:
    """The file's non-empty rows as (row number, canonical field → text), or the missing columns.

    Row numbers count the header as row 1, as a spreadsheet shows them.
    """
    header, body = read_table(path, mapping)
    headers = dict(mapping.columns)
    position = {title: i for i, title in enumerate(header)}
    missing = _missing_columns(position, headers, required)
    if missing:
        return missing, iter(())
    indexes = {f: position[t] for f, t in headers.items() if t in position}
    names = tuple(indexes)
    pick = _picker(tuple(indexes.values()))
    width = max(indexes.values(), default=-1) + 1

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        # Per row of a large file, so done in C where it can: an empty row has nothing but whitespace once
        # joined, and the mapped cells are picked by one itemgetter call.
        for number, values in enumerate(body, start=2):
            if not "".join(values).strip():
                continue
            if len(values) < width:  # a short row reads as empty cells
                values = [*values, *([""] * (width - len(values)))]
            yield number, dict(zip(names, pick(values), strict=True))

    return [], rows()


def file_columns(
    path: Path, mapping: ColumnMapping, required: Sequence[str]
) -> tuple[list[intake.RowError], frozenset[str]]:
    """The required columns the file lacks, and the fields it has: a field whose column the file lacks is
    unknown, not empty, so an import leaves what is stored for it alone."""
    header, _body = read_table(path, mapping)
    position = {title: i for i, title in enumerate(header)}
    headers = dict(mapping.columns)
    present = frozenset(f for f, title in headers.items() if title in position)
    return _missing_columns(position, headers, required), present


def _missing_columns(
    position: Mapping[str, int], headers: Mapping[str, str], required: Sequence[str]
) -> list[intake.RowError]:
    return [
        intake.RowError(1, headers.get(f, f), "", "missing_column") for f in required if headers.get(f) not in position
    ]


def _picker(positions: tuple[int, ...]) -> Callable[[Sequence[str]], tuple[str, ...]]:
    """The values at these positions as a tuple (itemgetter alone gives a bare value for one position)."""
    if len(positions) == 1:
        only = positions[0]
        return lambda values: (values[only],)
    if not positions:
        return lambda values: ()
    return itemgetter(*positions)
