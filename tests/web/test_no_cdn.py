"""Every script, style sheet, font and image comes from the project: no page loads anything from another host.

Collectors work behind firewalls that may not reach a CDN (the API docs were a white page for that reason),
and the Content-Security-Policy allows only 'self'. Templates and static files are scanned here; the browser
tests check the rendered pages under the policy.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import Personas, client_for

SRC = Path(__file__).resolve().parents[2] / "src" / "huikuan"
# A URL a browser would fetch by itself: src/href/srcset/action of an element, url() in CSS, @import.
EXTERNAL = re.compile(
    r"""(?:\b(?:src|href|srcset|action|data)\s*=\s*["']?\s*(?:https?:)?//)"""
    r"""|(?:url\(\s*["']?\s*(?:https?:)?//)|(?:@import\s+["'](?:https?:)?//)""",
    re.IGNORECASE,
)
# Letters are documents, not pages: their links are text the debtor reads, never fetched by a browser here.
TEXT_ONLY = ("comms/templates/comms/email/", "comms/templates/comms/letter/")


def _page_sources() -> list[Path]:
    files = [*SRC.rglob("templates/**/*.html"), *SRC.rglob("static/**/*.css"), *SRC.rglob("static/**/*.js")]
    return [f for f in files if not any(part in f.as_posix() for part in TEXT_ONLY)]


def test_the_scan_finds_an_external_url_when_there_is_one() -> None:
    assert EXTERNAL.search('<script src="https://cdn.example.com/x.js">')
    assert EXTERNAL.search("<link href='//unpkg.com/a.css'>")
    assert EXTERNAL.search("body { background: url(https://x.example/bg.png) }")
    assert not EXTERNAL.search('<a href="/api/docs">') and not EXTERNAL.search("see https://example.com")


def test_no_template_or_static_file_loads_from_another_host() -> None:
    sources = _page_sources()
    assert len(sources) > 20
    offenders = [f"{f.relative_to(SRC)}: {m.group(0)}" for f in sources for m in EXTERNAL.finditer(f.read_text())]
    assert offenders == []


@pytest.mark.django_db
def test_no_rendered_page_nor_the_api_docs_loads_from_another_host(small_portfolio: Personas) -> None:
    from huikuan.cases.models import Case

    client = client_for(small_portfolio.adam)
    case = Case.objects.first()
    assert case is not None
    for url in ("/", "/work/", f"/cases/{case.pk}/", "/strategy/", "/qa/", "/api/docs", "/no-such-page/"):
        html = client.get(url).content.decode()
        assert not EXTERNAL.search(html), url
    docs = client.get("/api/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in docs
