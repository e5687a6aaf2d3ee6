"""The letters' adaptations of WeasyPrint (channels/letter/weasy.py): pinned, and laying out what WeasyPrint does."""

from __future__ import annotations

import hashlib
import inspect
from typing import Any

import pytest
import weasyprint
import weasyprint.layout
from weasyprint import HTML
from weasyprint.formatting_structure import boxes
from weasyprint.html import UA
from weasyprint.layout import page as page_layout

from huikuan.comms.channels.letter import weasy

# Margin boxes on every side and corner, one declared with `content: none`, and a named page that changes the
# bottom side: what the lean path skips and what it must still build.
MARGINS_DOCUMENT = (
    """<style>
@page { size: A6; margin: 20mm;
  @top-left { content: "TL" } @right-middle { content: "RM" } @bottom-center { content: "p" counter(page) }
  @top-right-corner { content: "C" } @left-top { content: none } }
@page wide { @bottom-center { content: none } @bottom-right { content: "BR" } }
.wide { page: wide }
</style>"""
    + "<p>one</p>" * 30
    + '<div class="wide">'
    + "<p>two</p>" * 30
    + "</div>"
)


def test_the_patches_are_for_the_pinned_weasyprint_and_what_they_copy_is_unchanged() -> None:
    """A new WeasyPrint fails here: compare its make_margin_boxes and user-agent sheet with the copies, then re-pin."""
    assert weasyprint.__version__ == weasy.WEASYPRINT_VERSION
    source = inspect.getsource(page_layout.make_margin_boxes)
    assert hashlib.sha256(source.encode()).hexdigest() == weasy.ORIGINAL_SOURCE_SHA256
    assert weasyprint.layout.make_margin_boxes is weasy.make_margin_boxes
    universal = [line for line in UA.splitlines() if line.startswith("::")]
    assert sorted(universal) == sorted(weasy.UNIVERSAL_PSEUDO_RULES)
    assert weasy.LETTER_UA_STYLESHEET is not None


def _margin_boxes(document: Any) -> list[tuple[Any, ...]]:
    return [
        (box.at_keyword, box.position_x, box.position_y, box.width, box.height,
         [child.text for child in box.descendants() if isinstance(child, boxes.TextBox)])
        for page in document.pages
        for box in page._page_box.children
        if isinstance(box, boxes.MarginBox)
    ]  # fmt: skip


def test_lean_margin_boxes_lay_out_the_same_boxes_and_build_fewer(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[str] = []

    class CountedMarginBox(boxes.MarginBox):
        def __init__(self, at_keyword: str, style: Any) -> None:
            built.append(at_keyword)
            super().__init__(at_keyword, style)

    monkeypatch.setattr(boxes, "MarginBox", CountedMarginBox)
    plain = HTML(string=MARGINS_DOCUMENT).render()
    built_plain = len(built)
    with weasy.lean_margin_boxes():
        lean = HTML(string=MARGINS_DOCUMENT).render()
    built_lean = len(built) - built_plain

    pages = len(plain.pages)
    assert pages == len(lean.pages) == 6
    assert built_plain == 16 * pages
    # Skipped: the left side (only `content: none`) and three corners. The top, right and bottom sides are built.
    assert built_lean == (3 + 3 + 3 + 1) * pages
    assert _margin_boxes(lean) == _margin_boxes(plain)
    generated = [keyword for keyword, *_ in _margin_boxes(lean)]
    assert generated.count("@bottom-center") == generated.count("@bottom-right") == 3
    assert plain.write_pdf() == lean.write_pdf()


def test_outside_the_block_weasyprints_own_margin_boxes_are_built(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def lean(*args: Any) -> Any:
        calls.append("lean")
        return iter(())

    monkeypatch.setattr(weasy, "lean_make_margin_boxes", lean)
    HTML(string=MARGINS_DOCUMENT).render()
    assert calls == []
    with weasy.lean_margin_boxes():
        HTML(string="<p>x</p>").render()
    assert calls == ["lean"]


def test_the_letters_user_agent_sheet_lays_out_lists_and_letters_as_weasyprints_does() -> None:
    document = (
        "<style>@page { size: A5; margin: 15mm } ol { font-variant-numeric: normal }</style>"
        '<section lang="zh-Hans"><h1>催款函</h1><p>您好：</p><ol><li>第一</li><li>第二</li></ol>'
        "<ul><li>one</li><li>two<ul><li>three</li></ul></li></ul><table><tr><td>1</td></tr></table></section>"
    )
    assert weasy.LetterHTML(string=document).render().write_pdf() == HTML(string=document).render().write_pdf()


def _boxes_with_tag(document: Any, tag: str) -> list[Any]:
    return [
        box
        for page in document.pages
        for box in page._page_box.descendants()
        if isinstance(box, boxes.BlockBox) and box.element_tag == tag
    ]


def test_letters_share_their_styles_and_keep_their_language_and_first_page(zhang: Any) -> None:
    """No id or lang on a letter's section: letters of a chunk share computed styles, and still each have a
    language (by the stylesheet) and an anchor on their first page (on their first line)."""
    from huikuan.comms.channels.letter.pdf import SLOT, first_pages
    from huikuan.comms.channels.letter.render import letter_anchor, letter_html, letter_shell
    from huikuan.comms.models import Message
    from huikuan.comms.outbox import Request, queue_messages

    queue_messages(
        [
            Request(f"work:{n}", zhang.debtor_id, "letter", "demand_letter", "formal", case_id=zhang.pk, batch="run:5")
            for n in (21, 22, 23)
        ]
    )
    messages = list(Message.objects.filter(batch="run:5").order_by("id"))
    messages[2].language = "en"
    html = letter_shell("test").replace(SLOT, "".join(letter_html(message) for message in messages))
    assert "<section" in html and " lang=" not in html
    with weasy.lean_margin_boxes():
        document = weasy.LetterHTML(string=html).render()

    anchors = [letter_anchor(message) for message in messages]
    starts = first_pages([list(page.anchors) for page in document.pages], anchors)  # raises if one is missing
    assert len(starts) == 3 and starts[0] == 0
    first, second, english = _boxes_with_tag(document, "h1")
    assert first.style is second.style and english.style is not first.style
    texts = [[box for box in heading.descendants() if isinstance(box, boxes.TextBox)] for heading in (first, english)]
    assert texts[0][0].style["lang"] == "zh-Hans" and texts[1][0].style["lang"] == "en"
