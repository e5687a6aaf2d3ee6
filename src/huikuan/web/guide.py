"""The user guide (操作手册): one Markdown file per role and language under ``web/guide/``, served at /help/.

A file is a role's guide: a title line ``# …``, an introduction, then one section per task::

    ## 处理今日队列 {#queue}
    <!-- pages: workbench:queue workbench:next -->
    text…

The anchor names the section in links; ``pages`` lists the URL names whose "?" opens it. The text may use
references that are checked against the product (tests/web/test_guide.py) and rendered from it, so the guide
cannot silently name something that no longer exists:

- ``{url:NAME}``: a page without parameters, linked by its URL name (``{url:workbench:team}``);
- ``{menu:MSGID}``: a menu entry of the header, by its English message id, shown in the reader's language;
- ``{key:K}``: a key of the workbench (an outcome key, ``Ctrl+Enter``, ``←``/``→``, ``b``, ``n``);
- ``{shot:NAME}``: a screenshot the browser tests take of the demo data (``static/web/guide/LANG/NAME.png``);
- ``{table:NAME}``: a table made from the product itself (the outcome keys, the rule pack in force, the import's
  fields and error codes, the roles and what they may do).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.templatetags.static import static
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext as _
from markdown_it import MarkdownIt

from huikuan.web.guide_tables import TABLES

GUIDE_DIR = Path(__file__).parent / "guide"
SHOT_DIR = Path(__file__).parent / "static" / "web" / "guide"
ROLES = ("collector", "lead", "qa", "legal", "admin")
# The user's role (org.models.Role) -> the guide written for it.
GUIDE_OF_ROLE = {"collector": "collector", "team_lead": "lead", "qa": "qa", "legal": "legal", "admin": "admin"}
LANGS = ("zh-hans", "en")

# The keys of the case page besides the outcome keys (workbench.js: Ctrl+Enter saves, arrows move between the
# script's steps, b opens the bill; the queue's "next case" has the access key n).
OTHER_KEYS = frozenset({"Ctrl+Enter", "←", "→", "b", "n"})

_HEADING = re.compile(r"^## (?P<title>.+?)\s*\{#(?P<anchor>[a-z0-9-]+)\}\s*$")
_PAGES = re.compile(r"^<!--\s*pages:(?P<names>[^>]*)-->\s*$")
REFERENCE = re.compile(r"\{(?P<kind>url|menu|key|shot|table):(?P<value>[^{}]+)\}")


class GuideError(ValueError):
    """A guide file that does not follow the format: the message names the file and the line."""


@dataclass(frozen=True, slots=True)
class Section:
    role: str
    anchor: str
    title: str
    source: str  # the Markdown with its references unrendered
    pages: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RoleGuide:
    role: str
    title: str
    intro: str
    sections: tuple[Section, ...]


def parse_guide(text: str, role: str, origin: str) -> RoleGuide:
    """A role's guide from its file's text."""
    lines = text.splitlines()
    if not lines or not lines[0].startswith("# "):
        raise GuideError(f"{origin}:1: the file starts with its title, '# …'")
    title = lines[0][2:].strip()
    intro: list[str] = []
    sections: list[Section] = []
    current: tuple[str, str, int] | None = None
    body: list[str] = []
    pages: tuple[str, ...] = ()

    def close() -> None:
        if current is not None:
            sections.append(Section(role, current[1], current[0], "\n".join(body).strip(), pages))

    for number, line in enumerate(lines[1:], start=2):
        if line.startswith("## "):
            match = _HEADING.match(line)
            if match is None:
                raise GuideError(f"{origin}:{number}: a section heading is '## Title {{#anchor}}'")
            close()
            current, body, pages = (match["title"], match["anchor"], number), [], ()
            continue
        found = _PAGES.match(line)
        if found is not None and current is not None and not body:
            pages = tuple(found["names"].split())
            continue
        (body if current is not None else intro).append(line)
    close()
    anchors = [s.anchor for s in sections]
    twice = sorted({a for a in anchors if anchors.count(a) > 1})
    if twice:
        raise GuideError(f"{origin}: anchors used twice: {', '.join(twice)}")
    return RoleGuide(role, title, "\n".join(intro).strip(), tuple(sections))


def guide_language(lang: str | None) -> str:
    return "en" if (lang or "").startswith("en") else "zh-hans"


@cache
def role_guide(role: str, lang: str) -> RoleGuide:
    path = GUIDE_DIR / guide_language(lang) / f"{role}.md"
    return parse_guide(path.read_text(encoding="utf-8"), role, str(path.relative_to(GUIDE_DIR.parent)))


def all_guides(lang: str) -> list[RoleGuide]:
    return [role_guide(role, lang) for role in ROLES]


def guide_for_user(user: object) -> str:
    return GUIDE_OF_ROLE.get(str(getattr(user, "role", "")), "collector")


def section_for_page(view_name: str, lang: str, first_role: str) -> tuple[str, str] | None:
    """(role, anchor) of the section that explains the page ``view_name``: the reader's role's first, then any."""
    order = [first_role, *(r for r in ROLES if r != first_role)]
    for role in order:
        for section in role_guide(role, lang).sections:
            if view_name in section.pages:
                return role, section.anchor
    return None


# Rendering ------------------------------------------------------------------------------------------------------


def _url(value: str) -> str:
    try:
        path = reverse(value)
    except NoReverseMatch as exc:
        raise GuideError(f"{{url:{value}}}: no page of that name without parameters") from exc
    return f'<a href="{escape(path)}"><code>{escape(path)}</code></a>'


def _menu(value: str) -> str:
    return f'<span class="menu-item">「{escape(_(value))}」</span>'


def _key(value: str) -> str:
    return f"<kbd>{escape(value)}</kbd>"


def _shot(value: str) -> str:
    lang = guide_language(translation.get_language())
    src = static(f"web/guide/{lang}/{value}.png")
    alt = _("Screenshot")
    return f'<figure class="shot"><img src="{escape(src)}" alt="{escape(alt)}" loading="lazy"></figure>'


def _table(value: str) -> str:
    make = TABLES.get(value)
    if make is None:
        raise GuideError(f"{{table:{value}}}: no such table; known: {', '.join(sorted(TABLES))}")
    return "\n\n" + make() + "\n\n"


_RENDER: dict[str, Callable[[str], str]] = {"url": _url, "menu": _menu, "key": _key, "shot": _shot, "table": _table}
_MARKDOWN = MarkdownIt("commonmark", {"html": True}).enable("table")


def render_markdown(source: str) -> str:
    """The section's Markdown with its references filled in, as HTML (the guide files are the project's own)."""
    filled = REFERENCE.sub(lambda m: _RENDER[m["kind"]](m["value"].strip()), source)
    return _MARKDOWN.render(filled)


def references(sections: Iterable[Section]) -> list[tuple[Section, str, str]]:
    """Every (section, kind, value) reference the sections make, for the checks."""
    return [(s, m["kind"], m["value"].strip()) for s in sections for m in REFERENCE.finditer(s.source)]


# Search -----------------------------------------------------------------------------------------------------------

_TAGS = re.compile(r"<[^>]+>")


def plain_text(source: str) -> str:
    """The section as a reader sees it, without Markdown marks and with references in words."""
    text = REFERENCE.sub(lambda m: m["value"] if m["kind"] in ("menu", "key", "url") else " ", source)
    return re.sub(r"[#*`|>\-]+", " ", _TAGS.sub(" ", text))


@dataclass(frozen=True, slots=True)
class Hit:
    section: Section
    score: int
    snippet: str


def search(query: str, lang: str, limit: int = 20) -> list[Hit]:
    """Sections holding every word of ``query`` (a Chinese phrase is one word), titles counting more."""
    words = [w.casefold() for w in query.split() if w.strip()][:10]
    if not words:
        return []
    hits = []
    for guide in all_guides(lang):
        for section in guide.sections:
            title = section.title.casefold()
            text = plain_text(section.source)
            folded = text.casefold()
            if not all(w in title or w in folded for w in words):
                continue
            score = sum(10 * title.count(w) + folded.count(w) for w in words)
            at = min((folded.find(w) for w in words if w in folded), default=0)
            start = max(0, at - 30)
            snippet = " ".join(text[start : start + 120].split())
            hits.append(Hit(section, score, snippet))
    hits.sort(key=lambda h: (-h.score, ROLES.index(h.section.role), h.section.anchor))
    return hits[:limit]
