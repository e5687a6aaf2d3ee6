"""The letters' two adaptations of WeasyPrint, pinned to version 70.0; used by `pdf.render_chunk` only.

1. A user-agent stylesheet without the pseudo-element rules that match every element (`LetterHTML`).
   WeasyPrint's `::marker`, `::footnote-call`, `::footnote-marker`, `::note-call`, `::note-marker` and
   `::note-callback` rules have no element in their selector, so every element of a chunk got six pseudo-element
   styles cascaded and computed (216 a letter), of which a letter uses none: markers belong to `li` (the only
   list item the user-agent sheet makes), and footnotes and notes only exist where a stylesheet floats an element
   to them, which the letters' does not. The marker rule is kept as `li::marker`; the five note rules are left out.

2. Page margin boxes built only where something is generated (`lean_make_margin_boxes`). WeasyPrint builds all
   sixteen margin boxes of every page (a style, a box, its percentages resolved) and then drops those that
   generate nothing. A letter has one (`@bottom-center`, the footer): fifteen were built and dropped on every page.
   A side (its three boxes are laid out together) or a corner none of whose boxes generates anything is skipped
   before its boxes are built, with WeasyPrint's own test (`content` not `normal`, `inhibit` or `none`); the rest
   is WeasyPrint's `make_margin_boxes` as is. The replacement is installed in `weasyprint.layout` at import when
   WeasyPrint is the pinned version, and takes the lean path only inside `lean_margin_boxes()`: any other document
   laid out in the process goes through WeasyPrint's own function.

Together with the letters' own change a quarter of a chunk's CPU (no per-letter `id` or `lang` on the section, see
letter.html), with the same PDF bytes. `tests/comms/test_letter_weasy.py` fails when WeasyPrint's version, its
user-agent stylesheet's rules or the source of the function copied here change, and compares both paths.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import weasyprint
import weasyprint.layout
from weasyprint import CSS, HTML
from weasyprint.css.counters import CounterStyle
from weasyprint.formatting_structure import boxes, build
from weasyprint.html import UA, UA_FORM_STYLESHEET
from weasyprint.layout import page as page_layout
from weasyprint.layout.percent import resolve_percentages

WEASYPRINT_VERSION = "70.0"
# SHA-256 of `inspect.getsource(weasyprint.layout.page.make_margin_boxes)` in WEASYPRINT_VERSION: the code copied.
ORIGINAL_SOURCE_SHA256 = "4a2d2e301eb3bc47c2812d1502d4d6ce3b65922a76e69fb45c11a5ae353198a7"

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
# Another WeasyPrint version lays the letters out with its own stylesheet and margin boxes (slower, not wrong).
# The sheet's @counter-style rules go to a dictionary of their own: WeasyPrint filled UA_COUNTER_STYLE (which every
# document copies) when it read its own sheet, and reading them into it again only logs "invalid name" warnings.
LETTER_UA_STYLESHEET = CSS(string=letter_user_agent_css(UA), counter_style=CounterStyle()) if PINNED else None


class LetterHTML(HTML):
    """A letters' document: WeasyPrint's HTML with the letters' user-agent stylesheet."""

    def _ua_stylesheets(self, forms: bool = False) -> list[CSS]:
        if LETTER_UA_STYLESHEET is None:
            return super()._ua_stylesheets(forms)
        return [LETTER_UA_STYLESHEET, UA_FORM_STYLESHEET] if forms else [LETTER_UA_STYLESHEET]


original_make_margin_boxes = page_layout.make_margin_boxes
_lean: ContextVar[bool] = ContextVar("lean_margin_boxes", default=False)


@contextmanager
def lean_margin_boxes() -> Iterator[None]:
    """Documents laid out inside this block build only the margin boxes that generate something."""
    token = _lean.set(True)
    try:
        yield
    finally:
        _lean.reset(token)


def make_margin_boxes(context: Any, page: Any, state: Any) -> Iterator[Any]:
    """What `weasyprint.layout` calls: the lean path inside `lean_margin_boxes()`, WeasyPrint's own outside."""
    if _lean.get():
        return lean_make_margin_boxes(context, page, state)
    return original_make_margin_boxes(context, page, state)


def _generated(context: Any, page: Any, at_keywords: list[str]) -> bool:
    """Whether any of these margin boxes generates a box: `make_box`'s own test, without building the box."""
    for at_keyword in at_keywords:
        style = context.style_for(page.page_type, at_keyword)
        if style is None:
            style = page.style.anonymous_style
        if style["content"] not in ("normal", "inhibit", "none"):
            return True
    return False


def lean_make_margin_boxes(context: Any, page: Any, state: Any) -> Iterator[Any]:
    """WeasyPrint 70.0's `layout.page.make_margin_boxes`, skipping the sides and corners that generate nothing.

    Kept as close to the original as possible (its comments included) so a diff against a new version is easy;
    the two added tests are marked LEAN.
    """

    def make_box(at_keyword: str, containing_block: Any) -> Any:
        style = context.style_for(page.page_type, at_keyword)
        if style is None:
            # doesn't affect counters
            style = page.style.anonymous_style
        page_layout._standardize_page_based_counters(style, at_keyword)
        box = boxes.MarginBox(at_keyword, style)
        # Empty boxes should not be generated, but they may be needed for
        # the layout of their neighbors.
        # TODO: should be the computed value.
        box.is_generated = style["content"] not in ("normal", "inhibit", "none")
        # TODO: get actual counter values at the time of the last page break
        if box.is_generated:
            # @margins mustn't manipulate page-context counters
            margin_state = copy.deepcopy(state)
            quote_depth, counter_values, counter_scopes, _page_groups = margin_state
            # TODO: check this, probably useless
            counter_scopes.append(set())
            build.update_counters(margin_state, box.style)
            box.children = build.content_to_boxes(
                box.style, box, quote_depth, counter_values,
                context.get_image_from_uri, context.target_collector,
                context.counter_style, context, page)  # fmt: skip
            box.process_whitespace()
            box.process_text_transform()
            box = build.create_anonymous_boxes(box)
        resolve_percentages(box, containing_block)
        if not box.is_generated:
            box.width = box.height = 0
            for side in ("top", "right", "bottom", "left"):
                box._reset_spacing(side)
        return box

    margin_top = page.margin_top
    margin_bottom = page.margin_bottom
    margin_left = page.margin_left
    margin_right = page.margin_right
    max_box_width = page.border_width()
    max_box_height = page.border_height()

    # bottom right corner of the border box
    page_end_x = margin_left + max_box_width
    page_end_y = margin_top + max_box_height

    # Margin box dimensions, described in
    # https://drafts.csswg.org/css-page-3/#margin-box-dimensions
    generated_boxes = []

    for prefix, vertical, containing_block, position_x, position_y in (
        ("top", False, (max_box_width, margin_top), margin_left, 0),
        ("bottom", False, (max_box_width, margin_bottom), margin_left, page_end_y),
        ("left", True, (margin_left, max_box_height), 0, margin_top),
        ("right", True, (margin_right, max_box_height), page_end_x, margin_top),
    ):
        if vertical:
            suffixes = ["top", "middle", "bottom"]
            fixed_outer, variable_outer = containing_block
        else:
            suffixes = ["left", "center", "right"]
            variable_outer, fixed_outer = containing_block
        # LEAN: no box of this side generates anything, so the side would be skipped below after building them.
        if not _generated(context, page, [f"@{prefix}-{suffix}" for suffix in suffixes]):
            continue
        side_boxes = [make_box(f"@{prefix}-{suffix}", containing_block) for suffix in suffixes]
        if not any(box.is_generated for box in side_boxes):
            continue
        # We need the three boxes together for the variable dimension:
        page_layout.compute_variable_dimension(context, side_boxes, vertical, variable_outer)
        for box, offset in zip(side_boxes, [0, 0.5, 1], strict=True):
            if not box.is_generated:
                continue
            box.position_x = position_x
            box.position_y = position_y
            if vertical:
                box.position_y += offset * (variable_outer - box.margin_height())
            else:
                box.position_x += offset * (variable_outer - box.margin_width())
            page_layout.compute_fixed_dimension(context, box, fixed_outer, not vertical, prefix in ("top", "left"))
            generated_boxes.append(box)

    # Corner boxes

    for at_keyword, cb_width, cb_height, position_x, position_y in (
        ("@top-left-corner", margin_left, margin_top, 0, 0),
        ("@top-right-corner", margin_right, margin_top, page_end_x, 0),
        ("@bottom-left-corner", margin_left, margin_bottom, 0, page_end_y),
        ("@bottom-right-corner", margin_right, margin_bottom, page_end_x, page_end_y),
    ):
        # LEAN: a corner that generates nothing is not built.
        if not _generated(context, page, [at_keyword]):
            continue
        box = make_box(at_keyword, (cb_width, cb_height))
        if not box.is_generated:
            continue
        box.position_x = position_x
        box.position_y = position_y
        page_layout.compute_fixed_dimension(context, box, cb_height, True, "top" in at_keyword)
        page_layout.compute_fixed_dimension(context, box, cb_width, False, "left" in at_keyword)
        generated_boxes.append(box)

    for box in generated_boxes:
        yield page_layout.margin_box_content_layout(context, page, box)


# `weasyprint.layout` imported the function by name; its pagination loop calls it through that module.
if PINNED:
    weasyprint.layout.make_margin_boxes = make_margin_boxes
