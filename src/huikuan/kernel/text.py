"""Rules about the text of imported files: which characters a cell may hold, how a value is echoed in a
report, and whether a file decoded as GB18030 is Chinese text or another encoding read as mojibake.

Pure functions; the readers (tabular/) and the row validators (kernel/intake.py, payments/statement.py)
call them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

# The largest cell an import takes, in characters. A cell this large is a mistake or an attack (no field
# of an account or a payment holds more than a few hundred characters), and every larger cell would be
# copied into the staging table, the error report and the user's session.
CELL_LIMIT = 128 * 1024

# NUL and the other C0 and C1 control characters, but not tab, line feed and carriage return, which an
# address or a memo written in a spreadsheet legitimately holds. PostgreSQL cannot store NUL in text at all,
# and the others are invisible in every screen that would show the value.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

# How much of a rejected value an error report repeats: enough to find it in the file.
ECHO_LIMIT = 80


def visible(value: str, limit: int = ECHO_LIMIT) -> str:
    """A rejected value as a report shows it: control characters as \\x escapes, cut after ``limit``."""
    shown = CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", value[:limit])
    return shown + "…" if len(value) > limit else shown


@dataclass(frozen=True, slots=True)
class CellProblem:
    """What is wrong with one cell, as a reason code and its parameters (see tabular/reports.py)."""

    code: str
    params: tuple[tuple[str, str], ...] = ()


def cell_problem(value: str, max_length: int | None) -> CellProblem | None:
    """Whether a cell's text can be stored: not too large for any cell, no control character, within its
    column's length. ``max_length`` is the length of the field the value is written to, if any."""
    if len(value) > CELL_LIMIT:
        return CellProblem("cell_too_large", (("length", str(len(value))), ("limit", str(CELL_LIMIT))))
    found = CONTROL.search(value)
    if found is not None:
        return CellProblem("control_character", (("character", f"U+{ord(found.group()):04X}"),))
    if max_length is not None and len(value) > max_length:
        return CellProblem("too_long", (("length", str(len(value))), ("limit", str(max_length))))
    return None


# --- Mojibake --------------------------------------------------------------------------------------
#
# GB18030 decodes almost any byte sequence, so a file in another encoding (Shift-JIS, Big5, Windows-1252)
# often "decodes" without an error, into characters Chinese text hardly ever uses. Chinese text keeps to
# the 3,755 characters of GB2312's first level and its punctuation: in the project's example file and in
# generated portfolios, 0.6–1.8 % of the non-ASCII characters are outside them (rare given names such as
# 喆, 璐, 麒麟). Japanese Shift-JIS read as GB18030 is 100 % outside (its kana and kanji land in GBK's
# extension areas), Big5 70–80 %, Windows-1252's accented letters all of them.

# At least this many unusual characters, and at least this share of the non-ASCII ones: half is far above
# any Chinese text and far below any mojibake measured, so a short file of rare given names is not refused.
MOJIBAKE_MIN_UNUSUAL = 3
MOJIBAKE_SHARE = 0.5
# The statistic is taken over this many characters of the file's start: mojibake runs through a whole file.
MOJIBAKE_SAMPLE = 1 << 20
_ASCII_RUNS = re.compile(r"[\x00-\x7f]+")


@lru_cache(maxsize=1)
def _usual_chinese() -> frozenset[str]:
    """GB2312's punctuation and full-width forms (rows 1 and 3) and its 3,755 level-1 characters."""
    usual = set()
    for lead in (0xA1, 0xA3, *range(0xB0, 0xD8)):
        for trail in range(0xA1, 0xFF):
            try:
                usual.add(bytes((lead, trail)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return frozenset(usual)


@dataclass(frozen=True, slots=True)
class Mojibake:
    unusual: int
    non_ascii: int


def mojibake(text: str) -> Mojibake | None:
    """Whether text decoded as GB18030 reads as another encoding's mojibake (the counts, to say so) or not."""
    foreign = _ASCII_RUNS.sub("", text[:MOJIBAKE_SAMPLE])
    usual = _usual_chinese()
    unusual = sum(1 for c in foreign if c not in usual)
    if unusual >= MOJIBAKE_MIN_UNUSUAL and unusual >= MOJIBAKE_SHARE * len(foreign):
        return Mojibake(unusual, len(foreign))
    return None


def likely_encoding(raw: bytes) -> str | None:
    """The encoding a file of mojibake was probably written in, to name it in the message."""
    for name, label in (("shift_jis", "Shift-JIS"), ("big5", "Big5"), ("cp1252", "Windows-1252")):
        try:
            raw.decode(name)
        except UnicodeDecodeError:
            continue
        return label
    return None


def cell_problems(values: Mapping[str, str], limits: Mapping[str, int]) -> dict[str, CellProblem]:
    """The cells of one row that cannot be stored, by field; ``limits`` are the fields' lengths.

    Called for every row of a large file, so the usual row is decided in C: no cell as long as the shortest
    limit, and nothing but printable text (a tab, a line break or an ideographic space is not printable to
    Python either, and sends its row to the cell-by-cell check, which allows them).
    """
    cells = values.values()
    if max(map(len, cells), default=0) <= min(limits.values(), default=CELL_LIMIT) and "".join(cells).isprintable():
        return {}
    found: dict[str, CellProblem] = {}
    for name, value in values.items():
        problem = cell_problem(value, limits.get(name))
        if problem is not None:
            found[name] = problem
    return found
