"""The letters' user-agent stylesheet, pinned to WeasyPrint 70.0; used by `pdf.render_chunk` only.

WeasyPrint's `::marker`, `::footnote-call`, `::footnote-marker`, `::note-call`, `::note-marker` and
`::note-callback` rules have no element in their selector, so every element of a chunk got six pseudo-element
styles cascaded and computed (216 a letter), of which a letter uses none: markers belong to `li` (the only list
item the user-agent sheet makes), and footnotes and notes only exist where a stylesheet floats an element to
them, which the letters' does not. `LetterHTML` lays the letters out with WeasyPrint's user-agent sheet in which
the marker rule reads `li::marker` and the five note rules are left out. With another WeasyPrint version the
sheet is WeasyPrint's own (slower, the same letters); `tests/comms/test_letter_weasy.py` fails until the rules
are compared with the new version's and re-pinned.

Together with the letters' own change (no per-letter `id` or `lang` on the section, see letter.html, so the
letters of a chunk share their computed styles) this takes about a quarter off a chunk's layout CPU, with the
same PDF bytes (docs/notes/issue-23-letters7.md). WeasyPrint's page margin boxes (sixteen built per page,
fifteen of them empty in a letter) are left as WeasyPrint builds them: avoiding that meant carrying a modified
copy of its layout code.
"""

from __future__ import annotations

import weasyprint
from weasyprint import CSS, HTML
from weasyprint.css.counters import CounterStyle
from weasyprint.html import UA, UA_FORM_STYLESHEET

WEASYPRINT_VERSION = "70.0"

# The user-agent rules that match every element through a pseudo-element, and what the letters keep of them.
UNIVERSAL_PSEUDO_RULES = {
    "::marker { font-variant-numeric: tabular-nums; white-space: pre; text-transform: none }":
        "li::marker { font-variant-numeric: tabular-nums; white-space: pre; text-transform: none }",
    '::footnote-call { content: counter(footnote); vertical-align: super; font-size: smaller; line-height: inherit }':
        "",
    '::footnote-marker { content: counter(footnote) ". " }': "",
    "::note-call { content: counter(note); vertical-align: super; font-size: smaller; line-height: inherit }": "",
    '::note-marker { content: counter(note) ". " }': "",
    '::note-callback { content: "\u202f↩" }': "",  # a narrow no-break space before the arrow
}  # fmt: skip


def letter_user_agent_css(user_agent: str) -> str:
    """WeasyPrint's user-agent stylesheet with the universal pseudo-element rules replaced (each must be there)."""
    lines = user_agent.splitlines()
    for rule, kept in UNIVERSAL_PSEUDO_RULES.items():
        lines[lines.index(rule)] = kept
    return "\n".join(lines)


PINNED = weasyprint.__version__ == WEASYPRINT_VERSION
# Another WeasyPrint version lays the letters out with its own stylesheet (slower, not wrong).
# The sheet's @counter-style rules go to a dictionary of their own: WeasyPrint filled UA_COUNTER_STYLE (which every
# document copies) when it read its own sheet, and reading them into it again only logs "invalid name" warnings.
LETTER_UA_STYLESHEET = CSS(string=letter_user_agent_css(UA), counter_style=CounterStyle()) if PINNED else None


class LetterHTML(HTML):
    """A letters' document: WeasyPrint's HTML with the letters' user-agent stylesheet."""

    def _ua_stylesheets(self, forms: bool = False) -> list[CSS]:
        if LETTER_UA_STYLESHEET is None:
            return super()._ua_stylesheets(forms)
        return [LETTER_UA_STYLESHEET, UA_FORM_STYLESHEET] if forms else [LETTER_UA_STYLESHEET]
