"""What changed between two versions of a template, line by line and, inside a changed line, word by word.

Chinese SMS bodies are usually one long line, so a line diff alone would show the whole text removed and
added again for a one-character edit; a changed line is therefore diffed again character by character and
only the characters that differ are marked.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher
from itertools import zip_longest


@dataclass(frozen=True, slots=True)
class Span:
    text: str
    changed: bool


@dataclass(frozen=True, slots=True)
class DiffRow:
    kind: str  # "same", "removed", "added" or "changed"
    old_no: int | None  # 1-based line numbers; None where the line does not exist on that side
    new_no: int | None
    old: tuple[Span, ...]
    new: tuple[Span, ...]


def _inline(old: str, new: str) -> tuple[tuple[Span, ...], tuple[Span, ...]]:
    left: list[Span] = []
    right: list[Span] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if old[i1:i2]:
            left.append(Span(old[i1:i2], tag != "equal"))
        if new[j1:j2]:
            right.append(Span(new[j1:j2], tag != "equal"))
    return tuple(left), tuple(right)


def line_diff(old: str, new: str) -> list[DiffRow]:
    """Rows for a two-column view: unchanged lines once, changed lines paired with their changes marked."""
    old_lines, new_lines = old.splitlines(), new.splitlines()
    rows: list[DiffRow] = []
    matcher = SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for offset, line in enumerate(old_lines[i1:i2]):
                span = (Span(line, False),)
                rows.append(DiffRow("same", i1 + offset + 1, j1 + offset + 1, span, span))
            continue
        pairs = zip_longest(range(i1, i2), range(j1, j2))
        for i, j in pairs:
            if i is not None and j is not None:
                left, right = _inline(old_lines[i], new_lines[j])
                rows.append(DiffRow("changed", i + 1, j + 1, left, right))
            elif i is not None:
                rows.append(DiffRow("removed", i + 1, None, (Span(old_lines[i], True),), ()))
            elif j is not None:
                rows.append(DiffRow("added", None, j + 1, (), (Span(new_lines[j], True),)))
    return rows
