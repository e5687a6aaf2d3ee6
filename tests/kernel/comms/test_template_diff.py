"""Comparing two template versions, and the values a preview may show on screen."""

from __future__ import annotations

from huikuan.kernel.comms.diff import DiffRow, Span, line_diff
from huikuan.kernel.comms.variables import masked_for_display


def marked(spans: tuple[Span, ...]) -> str:
    return "".join(f"[{s.text}]" if s.changed else s.text for s in spans)


def test_a_one_character_edit_in_a_long_chinese_line_marks_only_that_character() -> None:
    old = "【回款】张先生您好，您尾号1234的账户待还100.00元，请于3日内还款。"
    new = "【回款】张先生您好，您尾号1234的账户待还100.00元，请于5日内还款。"
    (row,) = line_diff(old, new)
    assert row.kind == "changed" and (row.old_no, row.new_no) == (1, 1)
    assert marked(row.old) == "【回款】张先生您好，您尾号1234的账户待还100.00元，请于[3]日内还款。"
    assert marked(row.new) == "【回款】张先生您好，您尾号1234的账户待还100.00元，请于[5]日内还款。"


def test_added_removed_and_unchanged_lines_keep_their_numbers_on_each_side() -> None:
    rows = line_diff("尊敬的客户：\n第一段\n第二段", "尊敬的客户：\n第二段\n第三段")
    assert [(r.kind, r.old_no, r.new_no) for r in rows] == [
        ("same", 1, 1),
        ("removed", 2, None),
        ("same", 3, 2),
        ("added", None, 3),
    ]
    assert rows[1] == DiffRow("removed", 2, None, (Span("第一段", True),), ())
    assert line_diff("同一段", "同一段") == [DiffRow("same", 1, 1, (Span("同一段", False),), (Span("同一段", False),))]


def test_screen_values_mask_the_personal_ones_and_keep_the_amounts() -> None:
    values = {
        "honorific": "张先生",
        "contract_no": "HT2026000123456",
        "account": "****3456",
        "total": "12,635.67",
        "recipient_name": "张伟",
        "recipient_address": "上海市徐汇区漕溪北路88号5楼",
    }
    shown = masked_for_display(values)
    assert shown["contract_no"] == "****3456"
    assert shown["recipient_name"] == "张*"
    assert shown["recipient_address"] == "上海市******"
    assert (shown["honorific"], shown["total"], shown["account"]) == ("张先生", "12,635.67", "****3456")
    assert values["contract_no"] == "HT2026000123456"  # the caller's values are left as they were
