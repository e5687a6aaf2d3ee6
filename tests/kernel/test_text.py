"""Cells an import can store, values as a report echoes them, and mojibake told from Chinese text."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from huikuan.kernel import text


def test_a_cell_is_refused_for_a_control_character_its_length_or_its_size() -> None:
    assert text.cell_problem("北京市\t朝阳区\r\n1号", 300) is None  # tabs and line breaks are text
    assert text.cell_problem("张\x00伟", 200) == text.CellProblem("control_character", (("character", "U+0000"),))
    assert text.cell_problem("a\x1bb", None) == text.CellProblem("control_character", (("character", "U+001B"),))
    assert text.cell_problem("a\x85b", None) is not None  # a C1 control (NEL)
    assert text.cell_problem("张" * 201, 200) == text.CellProblem("too_long", (("length", "201"), ("limit", "200")))
    assert text.cell_problem("张" * 200, 200) is None
    huge = "x" * (text.CELL_LIMIT + 1)
    assert text.cell_problem(huge, None) == text.CellProblem(
        "cell_too_large", (("length", str(text.CELL_LIMIT + 1)), ("limit", str(text.CELL_LIMIT)))
    )


def test_a_rows_problems_are_found_whichever_way_the_row_is_looked_at() -> None:
    # The fast path (no control character, not large) checks lengths only; the slow path each cell.
    row = {"name": "张" * 201, "address": "路", "memo": "ok"}
    assert set(text.cell_problems(row, {"name": 200, "address": 300})) == {"name"}
    row["memo"] = "bad\x00"
    assert set(text.cell_problems(row, {"name": 200, "address": 300})) == {"name", "memo"}
    assert text.cell_problems({"a": "1", "b": ""}, {"a": 1, "c": 5}) == {}


@given(st.dictionaries(st.sampled_from("abcd"), st.text(max_size=30)), st.integers(min_value=0, max_value=20))
def test_cell_problems_agree_with_cell_problem_on_every_cell(row: dict[str, str], limit: int) -> None:
    limits = {"a": limit, "b": limit}
    found = text.cell_problems(row, limits)
    assert found == {
        name: problem
        for name, value in row.items()
        if (problem := text.cell_problem(value, limits.get(name))) is not None
    }


def test_a_value_is_echoed_visible_and_short() -> None:
    assert text.visible("张\x00伟") == "张\\x00伟"
    assert text.visible("x" * 200) == "x" * text.ECHO_LIMIT + "…"
    assert text.visible("=cmd|' /C calc'!A0") == "=cmd|' /C calc'!A0"  # escaping is the writer's


def test_chinese_text_is_not_taken_for_mojibake() -> None:
    # Generated portfolios are checked in tests/intake/test_generator.py; this is the example file's text.
    example = (Path(__file__).parents[2] / "examples" / "accounts-zh.csv").read_text(encoding="utf-8-sig")
    assert text.mojibake(example) is None
    # A short file of rare given names: a third of its characters are unusual, under half.
    assert text.mojibake("姓名\n王喆\n李娜\n张伟\n刘堃\n陈昇\n") is None
    assert text.mojibake("王喆\n刘堃\n陈昇\n") is not None  # half of them: refused, as the docs say


def test_another_encoding_read_as_gb18030_is_mojibake() -> None:
    japanese = "顧客番号,氏名,住所\nJ001,山田太郎,東京都新宿区西新宿2-8-1\n"
    traditional = "客戶號,姓名,地址\nK1,陳大文,臺北市信義區忠孝東路五段\n"
    western = "name\nMüller Jürgen\nFrançois Lefèvre\n"
    for sample, encoding in ((japanese, "shift_jis"), (traditional, "big5"), (western, "cp1252")):
        raw = sample.encode(encoding)
        found = text.mojibake(raw.decode("gb18030"))
        assert found is not None and found.unusual >= text.MOJIBAKE_MIN_UNUSUAL, encoding
    assert text.likely_encoding(japanese.encode("shift_jis")) == "Shift-JIS"
    assert text.likely_encoding(traditional.encode("big5")) == "Big5"
    # Two unusual characters are too few to tell: one accented name passes (docs/import.md says so).
    assert text.mojibake("Müller".encode("cp1252").decode("gb18030")) is None
