"""Issue 26: the user guide in the product. The guide's references are held to the product (a page, a menu
entry, a key, a screenshot or a table that no longer exists fails here), every page of the product is
explained by a section, both languages have the same sections, and /help/ serves, searches and answers the
"?" of every page; the first-login tour shows once and is remembered."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import translation

from huikuan.kernel import intake
from huikuan.org.models import User
from huikuan.org.permissions import CAPABILITIES
from huikuan.web import guide
from huikuan.web.guide_tables import TABLES, capability_labels, field_descriptions
from huikuan.workbench.views import SHORTCUTS
from tests.conftest import Personas, client_for

BASE_TEMPLATE = Path(guide.__file__).parent / "templates" / "web" / "base.html"
# URL names that are not pages a person reads (machine endpoints, the login itself, the guide's own).
NOT_PAGES = frozenset(
    {
        "web:favicon", "web:login", "web:logout", "web:help", "web:help-role", "web:help-for",
        "web:help-tour-done", "comms:delivery_receipt", "comms:inbound_sms", "comms:opt_out", "set_language",
        # The debtor's own pages (self-service, reached by a link, not by staff) and the payment providers' calls.
        "selfservice:notify-wechat", "selfservice:notify-alipay", "selfservice:open", "selfservice:send-code",
        "selfservice:code", "selfservice:plan", "selfservice:promise", "selfservice:dispute", "selfservice:callback",
        "selfservice:opt-out", "selfservice:pay", "selfservice:checkout", "selfservice:paid",
    }
)  # fmt: skip
# The apps whose pages the guide must cover (the admin's pages are Django's, covered by one section).
GUIDED_NAMESPACES = (
    "web", "workbench", "compliance", "strategy", "comms", "legal", "qa", "fieldwork", "selfservice", "scoring",
    "analytics", "training",
)  # fmt: skip


def _sections() -> list[guide.Section]:
    return [s for lang in guide.LANGS for g in guide.all_guides(lang) for s in g.sections]


def url_names() -> set[str]:
    names: set[str] = set()

    def walk(patterns: Sequence[object], prefix: str) -> None:
        for item in patterns:
            if isinstance(item, URLResolver):
                walk(item.url_patterns, f"{prefix}{item.namespace}:" if item.namespace else prefix)
            elif isinstance(item, URLPattern) and item.name:
                names.add(prefix + item.name)

    walk(get_resolver().url_patterns, "")
    return names


def test_both_languages_have_the_same_guides_and_sections() -> None:
    for role in guide.ROLES:
        zh, en = guide.role_guide(role, "zh-hans"), guide.role_guide(role, "en")
        assert [s.anchor for s in zh.sections] == [s.anchor for s in en.sections], role
        assert [s.pages for s in zh.sections] == [s.pages for s in en.sections], role
        for a, b in zip(zh.sections, en.sections, strict=True):
            assert sorted(guide.REFERENCE.findall(a.source)) == sorted(guide.REFERENCE.findall(b.source)), a.anchor
        assert re.search(r"[\u4e00-\u9fff]", zh.title) and not re.search(r"[\u4e00-\u9fff]", en.title)


def test_every_page_named_by_the_guide_exists() -> None:
    known = url_names()
    for section in _sections():
        for name in section.pages:
            assert name in known, f"{section.role}#{section.anchor} names the page {name!r}, which does not exist"
    for _section, kind, value in guide.references(_sections()):
        if kind == "url":
            reverse(value)  # a page without parameters, which exists


def test_every_page_of_the_product_has_its_section() -> None:
    explained = {name for s in _sections() for name in s.pages}
    pages = {n for n in url_names() if n.split(":")[0] in GUIDED_NAMESPACES and ":" in n} - NOT_PAGES
    assert sorted(pages - explained) == [], "pages the guide does not explain (add them to a section's pages)"


def test_every_menu_entry_key_shot_and_table_the_guide_names_exists() -> None:
    menu = BASE_TEMPLATE.read_text(encoding="utf-8")
    keys = {key for key, _ in SHORTCUTS} | guide.OTHER_KEYS
    for section, kind, value in guide.references(_sections()):
        where = f"{section.role}#{section.anchor}"
        if kind == "menu":
            assert f'{{% translate "{value}" %}}' in menu, f"{where}: no menu entry {value!r}"
        elif kind == "key":
            assert value in keys, f"{where}: no key {value!r} on the case page"
        elif kind == "table":
            assert value in TABLES, f"{where}: no table {value!r}"
        elif kind == "shot":
            from tests.browser.test_guide_ui import SHOTS

            assert value in SHOTS, f"{where}: no browser test takes the screenshot {value!r}"


def test_the_tables_describe_every_field_and_capability() -> None:
    assert set(field_descriptions()) == set(intake.FIELDS)
    assert set(capability_labels()) == set(CAPABILITIES)


def test_a_bad_guide_file_names_file_and_line() -> None:
    with pytest.raises(guide.GuideError, match=r"x\.md:1"):
        guide.parse_guide("no title", "collector", "x.md")
    with pytest.raises(guide.GuideError, match=r"x\.md:3"):
        guide.parse_guide("# T\n\n## No anchor\n", "collector", "x.md")
    with pytest.raises(guide.GuideError, match="used twice: a"):
        guide.parse_guide("# T\n## One {#a}\n## Two {#a}\n", "collector", "x.md")
    parsed = guide.parse_guide("# T\nintro\n## One {#a}\n<!-- pages: x:y z:w -->\ntext\n", "lead", "x.md")
    assert (parsed.title, parsed.intro, parsed.sections[0].pages) == ("T", "intro", ("x:y", "z:w"))


@pytest.mark.django_db
@pytest.mark.parametrize("lang", guide.LANGS)
def test_every_section_renders_with_its_references_filled(lang: str) -> None:
    with translation.override(lang):
        for g in guide.all_guides(lang):
            for section in g.sections:
                html = guide.render_markdown(section.source)
                assert "{" + "url:" not in html and "{table:" not in html and "{menu:" not in html
    with translation.override("zh-hans"):
        outcomes = guide.render_markdown("{table:outcomes}")
    assert "<table>" in outcomes and "<code>7</code>" in outcomes and "承诺还款" in outcomes
    with translation.override("en"):
        rules = guide.render_markdown("{table:rules}")
    assert "cn.quiet_hours" in rules and "refused" in rules


@pytest.mark.django_db
def test_the_roles_table_is_what_each_role_may_do() -> None:
    with translation.override("en"):
        html = guide.render_markdown("{table:roles}")
    row = next(line for line in html.split("<tr>") if "import accounts" in line)
    cells = re.findall(r"<td>(.*?)</td>", row)
    # Collector, team lead, QA, legal, administrator: leads and admins import (org.permissions.can_import).
    assert cells[1:] == ["", "✓", "", "", "✓"]


def test_search_finds_sections_in_both_languages() -> None:
    zh = guide.search("承诺", "zh-hans")
    assert zh and zh[0].section.anchor == "promise"
    en = guide.search("approving waivers", "en")
    assert any(h.section.anchor == "approvals" for h in en)
    assert guide.search("没有这个词语啊", "zh-hans") == []
    assert guide.search("   ", "en") == []


def test_help_pages_for_each_role(personas: Personas) -> None:
    client = client_for(personas.alice)
    index = client.get("/help/")
    assert index.status_code == 200
    text = index.content.decode()
    assert "催收员操作手册" in text and text.index("催收员操作手册") < text.index("组长操作手册")
    for role in guide.ROLES:
        page = client.get(f"/help/{role}/")
        assert page.status_code == 200
        assert page.content.decode().count('data-testid="help-section"') == len(guide.role_guide(role, "zh").sections)
    assert client.get("/help/nobody/").status_code == 404
    lead_index = client_for(personas.lena).get("/help/").content.decode()
    assert lead_index.index("组长操作手册") < lead_index.index("催收员操作手册")  # the reader's role first
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get("/help/lead/").content.decode()
    assert "Team lead&#x27;s guide" in english and "组长操作手册" not in english


def test_help_search_and_its_bad_input(personas: Personas) -> None:
    client = client_for(personas.alice)
    found = client.get("/help/", {"q": "承诺"})
    assert found.status_code == 200 and "#promise" in found.content.decode()
    assert client.get("/help/", {"q": "承诺\x00"}).status_code == 400  # refused before any view
    long = client.get("/help/", {"q": "字" * 101})
    assert long.status_code == 400 and 'data-testid="help-problem"' in long.content.decode()


def test_the_question_mark_opens_the_section_of_the_page(personas: Personas) -> None:
    collector, lead = client_for(personas.alice), client_for(personas.lena)
    queue = collector.get("/work/")
    assert 'href="/help/for/workbench:queue/"' in queue.content.decode()
    assert collector.get("/help/for/workbench:queue/")["Location"] == "/help/collector/#queue"
    assert lead.get("/help/for/workbench:team/")["Location"] == "/help/lead/#team"
    # A page explained only in another role's guide opens that guide.
    assert collector.get("/help/for/web:import/")["Location"] == "/help/lead/#import"
    assert collector.get("/help/for/nothing:here/")["Location"] == "/help/"
    assert client_for(personas.adam).get("/help/for/admin:index/")["Location"] == "/help/admin/#users"


def test_the_tour_shows_once_for_a_new_collector_and_is_remembered(personas: Personas) -> None:
    alice = client_for(personas.alice)
    assert 'data-testid="tour"' in alice.get("/work/").content.decode()
    assert 'data-testid="tour"' not in client_for(personas.lena).get("/work/").content.decode()
    done = alice.post("/help/tour/done/", {"next": "/work/"})
    assert done.status_code == 302 and done["Location"] == "/work/"
    assert User.objects.get(pk=personas.alice.pk).tour_done_at is not None
    assert 'data-testid="tour"' not in alice.get("/work/").content.decode()
    # Remembered on the user, not the session: a new login does not bring it back.
    assert 'data-testid="tour"' not in client_for(personas.alice).get("/work/").content.decode()
    # An outside address is not followed.
    assert client_for(personas.bob).post("/help/tour/done/", {"next": "https://evil.example/"})["Location"] == "/work/"
    assert client_for(personas.bob).get("/help/tour/done/").status_code == 405
