"""The letters' user-agent sheet (channels/letter/weasy.py): pinned, and laying out what WeasyPrint's does."""

from __future__ import annotations

from typing import Any

import weasyprint
from weasyprint import HTML
from weasyprint.formatting_structure import boxes
from weasyprint.html import UA

from huikuan.comms.channels.letter import weasy


def test_the_sheet_is_for_the_pinned_weasyprint_and_the_rules_it_replaces_are_unchanged() -> None:
    """A new WeasyPrint fails here: compare its user-agent sheet's universal rules with these, then re-pin."""
    assert weasyprint.__version__ == weasy.WEASYPRINT_VERSION
    universal = [line for line in UA.splitlines() if line.startswith("::")]
    assert sorted(universal) == sorted(weasy.UNIVERSAL_PSEUDO_RULES)
    assert weasy.LETTER_UA_STYLESHEET is not None


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
    document = weasy.LetterHTML(string=html).render()

    anchors = [letter_anchor(message) for message in messages]
    starts = first_pages([list(page.anchors) for page in document.pages], anchors)  # raises if one is missing
    assert len(starts) == 3 and starts[0] == 0
    first, second, english = _boxes_with_tag(document, "h1")
    assert first.style is second.style and english.style is not first.style
    texts = [[box for box in heading.descendants() if isinstance(box, boxes.TextBox)] for heading in (first, english)]
    assert texts[0][0].style["lang"] == "zh-Hans" and texts[1][0].style["lang"] == "en"
