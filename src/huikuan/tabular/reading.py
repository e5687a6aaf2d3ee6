"""Reading an import file: CSV or XLSX rows as text, under the user's column titles.

Kept apart from the database code so the validation worker process (intake/staging.py) can read the
file without setting up Django's models. Whatever a file holds, reading it ends in rows, a row the reader
could not read (``Unreadable``, reported at its row) or an ``ImportFileError`` about the whole file, never in
another exception: the worker reports what it cannot translate as row errors, which the importing process
words in the user's language.
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

from huikuan.kernel import intake, text
from huikuan.tabular.writing import unescape

# The CSV reader's own limit on one field, in characters (its default is exactly the import's cell limit,
# 128 KB, and it raises on a larger field without saying which). Set higher, a large cell is read and
# refused by the row checks with its row and column; only a field beyond this one is a reader's error.
READER_FIELD_LIMIT = 8 * text.CELL_LIMIT


class ImportFileError(ValueError):
    """The file as a whole cannot be read (format, encoding, mapping)."""


@dataclass(frozen=True)
class Unreadable:
    """A record the reader could not read: a field beyond the reader's limit, a damaged sheet.

    Reported as an error at its row; nothing after it is read, since where the next record starts is
    then a guess.
    """

    detail: str
    limit: int | None = None  # the reader's field limit, when that is what was passed


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
        encoding = data.get("encoding")
        if encoding is not None and not isinstance(encoding, str):
            raise ImportFileError(_("The mapping's encoding must be a name such as gb18030"))
        return cls({str(k): str(v) for k, v in columns.items()}, None if sheet is None else str(sheet), encoding)


def mapping_text(raw: bytes) -> str:
    """A mapping file's text: UTF-8 (with or without BOM) or GB18030, what Chinese Windows editors save."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError(_("The mapping file is neither UTF-8 nor GB18030 text"))


def read_table(path: Path, mapping: ColumnMapping) -> tuple[list[str], Iterator[list[str] | Unreadable]]:
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm"}:
        return _read_xlsx(path, mapping.sheet)
    if suffix in {".csv", ".txt"}:
        return _read_csv(path, mapping.encoding)
    raise ImportFileError(_("Unsupported file type %(suffix)s: use .csv or .xlsx") % {"suffix": suffix})


def _read_csv(path: Path, encoding: str | None) -> tuple[list[str], Iterator[list[str] | Unreadable]]:
    # Streamed, not read whole: a file of a million rows is hundreds of MB as bytes and again as text, and
    # the importing process and the validation worker each read it.
    chosen = _text_encoding(path, encoding)
    csv.field_size_limit(READER_FIELD_LIMIT)
    with path.open(encoding=chosen, newline="") as handle:
        try:
            header = next(csv.reader(handle), None)
        except csv.Error as exc:
            raise ImportFileError(_("The header row cannot be read: %(error)s") % {"error": exc}) from exc
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
                start = handle.read(text.MOJIBAKE_SAMPLE)
                sample = decoder.decode(start)
                for block in iter(lambda: handle.read(1 << 20), b""):
                    decoder.decode(block)
            rest = decoder.decode(b"", final=True)
            if len(start) < text.MOJIBAKE_SAMPLE:
                sample += rest
        except (UnicodeError, LookupError, TypeError):  # TypeError: a codec that is not bytes to text
            continue
        if candidate == "gb18030":
            _refuse_mojibake(sample, start)
        return candidate
    if encoding:
        raise ImportFileError(
            _("The file is not %(encoding)s text, the encoding the mapping names") % {"encoding": encoding}
        )
    raise ImportFileError(_("The file is neither UTF-8 nor GB18030 text"))


def _refuse_mojibake(sample: str, raw: bytes) -> None:
    """A file that is not UTF-8 but reads as GB18030 only as mojibake is refused (kernel/text.py says how
    that is told); a file whose mapping names its encoding is read as the mapping says."""
    found = text.mojibake(sample)
    if found is None:
        return
    guess = text.likely_encoding(raw)
    message = _(
        "The file does not read as Chinese text: it is not UTF-8, and read as GB18030, %(unusual)s of its "
        "%(total)s non-ASCII characters are ones Chinese text hardly uses."
    ) % {"unusual": found.unusual, "total": found.non_ascii}
    if guess:
        message += " " + _("It looks like %(encoding)s text.") % {"encoding": guess}
    message += " " + _("Save it as UTF-8 (in Excel: CSV UTF-8) or name its encoding in the mapping file.")
    raise ImportFileError(message)


def _csv_body(path: Path, encoding: str) -> Iterator[list[str] | Unreadable]:
    # Opened on the first row asked for and closed when the rows run out or the reader is closed, so a
    # caller that only looks at the header leaves no file open.
    with path.open(encoding=encoding, newline="") as handle:
        csv.field_size_limit(READER_FIELD_LIMIT)  # also in the worker process, which reads only the body
        reader = csv.reader(handle)
        try:
            next(reader, None)  # the header, read by _read_csv
            yield from reader
        except csv.Error as exc:
            limited = "field limit" in str(exc)
            yield Unreadable(str(exc), READER_FIELD_LIMIT if limited else None)


def _read_xlsx(path: Path, sheet: str | None) -> tuple[list[str], Iterator[list[str] | Unreadable]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        if sheet and sheet not in book.sheetnames:
            raise ImportFileError(_("The spreadsheet has no sheet named %(sheet)s") % {"sheet": sheet})
        ws = book[sheet] if sheet else book.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        header = next(rows, None)
    except ImportFileError:
        raise
    except Exception as exc:  # openpyxl raises many unrelated types for a damaged file
        raise ImportFileError(_("The spreadsheet cannot be read: %(error)s") % {"error": exc}) from exc
    if header is None:
        raise ImportFileError(_("The file is empty"))
    return [intake.excel_value(h).strip() for h in header], _xlsx_body(rows)


def _xlsx_body(rows: Iterator[tuple[object, ...]]) -> Iterator[list[str] | Unreadable]:
    # A read-only sheet is parsed as it is iterated: a damaged part of it fails at its row, not at opening.
    try:
        for row in rows:
            yield [intake.excel_value(v) for v in row]
    except Exception as exc:  # as above: any type, from the zip, the XML or openpyxl
        yield Unreadable(str(exc) or exc.__class__.__name__)


def mapped_rows(
    path: Path, mapping: ColumnMapping, required: Sequence[str]
) -> tuple[list[intake.RowError], Iterator[tuple[int, dict[str, str] | Unreadable]]]:
    """The file's non-empty rows as (row number, canonical field → text), or the missing columns.

    Row numbers count the header as row 1, as a spreadsheet shows them. A record the reader cannot read
    comes as ``Unreadable`` at its row, and is the last. A cell written by the project's own writer with an
    apostrophe before a formula character (tabular/writing.py) reads as it was before the apostrophe.
    """
    missing, cells, body = mapped_cells(path, mapping, required)
    if cells is None:
        return missing, iter(())

    def rows() -> Iterator[tuple[int, dict[str, str] | Unreadable]]:
        for number, values in body:
            yield number, values if isinstance(values, Unreadable) else cells.mapped(values)

    return [], rows()


class MappedCells:
    """Where a file's mapped fields are among its cells, to read a row's fields from its cells.

    The rows of `mapped_cells` are the file's cells as they are (not unescaped): a caller that needs only
    a few fields of most rows (the import's replay, which compares a row's cells with what it stored) does
    not build every row's mapping of fields, nor unescape cells it does not read.
    """

    def __init__(self, positions: Mapping[str, int]) -> None:
        # Field → the index of its cell (the last column of that title, as a dict of the header keeps it).
        self.positions = dict(positions)
        self.names = tuple(self.positions)
        self.width = max(self.positions.values(), default=-1) + 1
        self._pick = _picker(tuple(self.positions.values()))

    def mapped(self, values: Sequence[str]) -> dict[str, str]:
        """The row as canonical field → text, each cell as it was before the writer's apostrophe."""
        return dict(zip(self.names, [unescape(v) if v[:1] == "'" else v for v in self._pick(values)], strict=True))

    def reader(self, names: Sequence[str]) -> Callable[[Sequence[str]], tuple[str, ...]]:
        """A reader of these fields' texts (unescaped, as `mapped` gives them) from a row's cells."""
        pick = _picker(tuple(self.positions[name] for name in names))

        def read(values: Sequence[str]) -> tuple[str, ...]:
            found = pick(values)
            # Nearly no such cell holds an apostrophe at all: those are taken as they are, by two C calls.
            return found if "'" not in "".join(found) else tuple(unescape(v) for v in found)

        return read


def mapped_cells(
    path: Path, mapping: ColumnMapping, required: Sequence[str]
) -> tuple[list[intake.RowError], MappedCells | None, Iterator[tuple[int, list[str] | Unreadable]]]:
    """`mapped_rows` as the rows' cells: the missing columns (and None), or where each field is and the
    non-empty rows as (row number, cells), a short row padded with empty cells to every mapped column."""
    header, body = read_table(path, mapping)
    headers = dict(mapping.columns)
    position = {title: i for i, title in enumerate(header)}
    missing = _missing_columns(position, headers, required)
    if missing:
        return missing, None, iter(())
    cells = MappedCells({f: position[t] for f, t in headers.items() if t in position})
    width = cells.width

    def rows() -> Iterator[tuple[int, list[str] | Unreadable]]:
        # Per row of a large file, so done in C where it can: an empty row has nothing but whitespace once
        # joined.
        for number, values in enumerate(body, start=2):
            if isinstance(values, Unreadable):
                yield number, values
                return
            if not "".join(values).strip():
                continue
            if len(values) < width:  # a short row reads as empty cells
                values = [*values, *([""] * (width - len(values)))]
            yield number, values

    return [], cells, rows()


def file_columns(
    path: Path, mapping: ColumnMapping, required: Sequence[str]
) -> tuple[list[intake.RowError], frozenset[str]]:
    """The required columns the file lacks, and the fields it has: a field whose column the file lacks is
    unknown, not empty, so an import leaves what is stored for it alone."""
    header, body = read_table(path, mapping)
    position = {title: i for i, title in enumerate(header)}
    headers = dict(mapping.columns)
    present = frozenset(f for f, title in headers.items() if title in position)
    missing = _missing_columns(position, headers, required)
    if not missing:
        require_rows(body)
    return missing, present


def require_rows(body: Iterator[list[str] | Unreadable]) -> None:
    """A file with a header and nothing under it is refused as such, not reported as an import of no rows.

    Reads only up to the first row that is not empty."""
    for values in body:
        if isinstance(values, Unreadable) or "".join(values).strip():
            return
    raise ImportFileError(_("The file has a header but no rows under it: nothing to import."))


def unreadable_error(number: int, problem: Unreadable) -> intake.RowError:
    """The row error of a record the reader could not read; no column can be named."""
    if problem.limit is not None:
        return intake.RowError(number, "", "", "cell_over_reader_limit", {"limit": str(problem.limit)})
    return intake.RowError(number, "", "", "unreadable", {"detail": text.visible(problem.detail, 200)})


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
