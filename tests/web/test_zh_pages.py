"""Every page, as each role sees it on the demo, reads in Chinese: no internal code, no English sentence.

The crawl starts from each role's menu and follows the links and htmx fragments it finds (a few of each kind
of page), so a page added later is checked without a list to keep. What counts as English: any internal code
of the product (stage, action, behaviour, hold, outcome, state, channel, screener category…), anything with an
underscore, and any run of Latin letters that is not an allowed acronym or a datum (contract numbers, e-mail
addresses, the brand). Text that is English by design is excluded by its element: the English message
templates' own text, code samples, the language menu's "English".
"""

from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser

import pytest
from django.test import Client

from huikuan.cases.models import CaseStatus, Channel, Outcome, PromiseState
from huikuan.kernel.compliance.screening import CATEGORIES
from huikuan.kernel.holds import HOLD_LABELS
from huikuan.kernel.strategy.policy import ACTION_CHANNELS, BEHAVIOURS
from huikuan.org.models import User
from huikuan.portfolio.models import Debtor
from tests.conftest import client_for
from tests.workbench.fixtures import daytime_zone

# Every code the product stores and might print raw.
INTERNAL_CODES = frozenset(
    {
        *ACTION_CHANNELS,
        *BEHAVIOURS,
        *HOLD_LABELS,
        *CATEGORIES,
        *Outcome.values,
        *PromiseState.values,
        *CaseStatus.values,
        *Channel.values,
        "reminder", "early", "middle", "late", "gentle", "firm", "legal", "formal", "warn", "block",
        "pending", "done", "specialist", "collector", "team_lead", "promise",
    }
)  # fmt: skip
# Latin letters a Chinese page may show: acronyms, units, keys, the brand.
ALLOWED_WORDS = frozenset(
    {"huikuan", "API", "CSV", "XLSX", "YAML", "HTML", "SMS", "PDF", "ID", "MB", "CNY", "GSM", "UCS", "TD",
     "Ctrl", "Enter", "QA", "PII", "OK", "v", "M", "h", "c", "u", "YYYY", "MM", "DD"}
)  # fmt: skip
# Data, not wording: e-mail addresses, contract/customer/ledger references, policy labels (name@version),
# a value the user is told to type, in Chinese quotes (the skill “specialist” on the team page).
DATA = re.compile(
    r"“[a-z_]+”|[\w.*+-]+@[\w-]+(\.[\w-]+)+|\b[A-Z]{1,3}\d[\w-]*|\bgen:[\w]+|\b[\w-]+@\d+\b|\bv\d+\b|\bM[1-3]\+?"
)
WORD = re.compile(r"[A-Za-z][A-Za-z_]*")
# Elements whose content is not wording: English template text, code, keys, the language menu.
SKIPPED_TAGS = frozenset({"script", "style", "code", "kbd", "pre", "textarea"})
SKIPPED_CLASSES = ("tpl-text", "diff", "lang")
VOID = frozenset({"input", "br", "img", "meta", "link", "hr", "wbr", "source", "col", "area", "base"})


class VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.skipping: list[list[object]] = []
        self.texts: list[str] = []
        self.links: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        for key in ("href", "hx-get"):
            if a.get(key, "").startswith("/"):
                self.links.add(a[key])
        if tag in VOID:
            if not self.skipping:
                self.texts.extend(a[k] for k in ("title", "placeholder", "aria-label", "alt") if a.get(k))
            return
        if self.skipping and self.skipping[-1][0] == tag:
            self.skipping[-1][1] += 1  # type: ignore[operator]
        elif (
            tag in SKIPPED_TAGS
            or a.get("lang", "").startswith("en")
            or any(c in a.get("class", "").split() for c in SKIPPED_CLASSES)
        ):
            self.skipping.append([tag, 1])
        if not self.skipping:
            self.texts.extend(a[k] for k in ("title", "placeholder", "aria-label", "alt") if a.get(k))

    def handle_endtag(self, tag: str) -> None:
        if self.skipping and self.skipping[-1][0] == tag:
            self.skipping[-1][1] -= 1  # type: ignore[operator]
            if self.skipping[-1][1] == 0:
                self.skipping.pop()

    def handle_data(self, data: str) -> None:
        if not self.skipping and data.strip():
            self.texts.append(data.strip())


def english_in(text: str) -> list[str]:
    """The words of ``text`` a Chinese reader should not meet."""
    words = WORD.findall(DATA.sub(" ", text))
    return [w for w in words if w not in ALLOWED_WORDS and ("_" in w or w in INTERNAL_CODES or len(w) >= 2)]


def test_the_detector_finds_codes_and_english_and_lets_data_through() -> None:
    assert english_in("M3+ · 异议 · 余额 130,714 元 · 暂停 dispute → 专员队列") == ["dispute"]
    assert english_in("逾期天数 31–90 · 语气 firm") == ["firm"]
    assert english_in("2026-11-28 电话 · 承诺还款 promise 1") == ["promise"]
    assert english_in("The requested resource was not found on this server.")
    assert english_in("broken_promise_call") == ["broken_promise_call"]
    assert english_in("合同 HT2025000000180 · u123@qq.com · gen:15 · 生效策略: default@1 · 快捷键 Ctrl+Enter") == []
    assert english_in("支持 CSV 或 XLSX · M3+ · v2 · 1 2 3 h c u") == []


def _key(url: str) -> str:
    path, _, query = url.partition("?")
    return re.sub(r"\d+", "N", path) + "?" + ",".join(sorted(p.split("=")[0] for p in query.split("&") if p))


SKIP_URLS = ("/admin/", "/logout/", "/i18n/", "/reveal/", "/api/", ".csv", ".xlsx", "/webhooks/", "/next/")
START = ("/", "/work/", "/work/team/", "/qa/", "/qa/?kind=flags", "/strategy/", "/comms/templates/",
         "/comms/uncertain/", "/import/", "/no-such-page/", "/cases/999999/")  # fmt: skip


def crawl(client: Client, per_kind: int = 2) -> tuple[dict[str, list[str]], int]:
    seen: Counter[str] = Counter()
    todo = list(START)
    visited: set[str] = set()
    found: dict[str, list[str]] = {}
    while todo:
        url = todo.pop(0)
        if url in visited or any(s in url for s in SKIP_URLS) or seen[_key(url)] >= per_kind:
            continue
        visited.add(url)
        seen[_key(url)] += 1
        response = client.get(url)
        if "text/html" not in response.get("Content-Type", ""):
            continue
        parser = VisibleText()
        parser.feed(response.content.decode())
        todo.extend(sorted(parser.links))
        for text in parser.texts:
            bad = english_in(text)
            if bad:
                found.setdefault(url, []).append(f"{bad} in {text[:100]!r}")
    return found, len(visited)


@pytest.mark.django_db
@pytest.mark.slow
@pytest.mark.parametrize("username", ["collector1", "lead1", "qa1", "legal1", "admin"])
def test_every_page_reads_in_chinese(demo: None, username: str) -> None:
    client = client_for(User.objects.get(username=username))
    found, pages = crawl(client)
    assert pages >= 10
    assert found == {}


@pytest.mark.django_db
def test_refusals_of_the_save_form_read_in_chinese(demo: None) -> None:
    from huikuan.strategy.models import WorkItem

    # A case still in collection (the simulated history closes some): the form's own refusals are the subject.
    item = (
        WorkItem.objects.filter(assignee__username="collector1", action="call")
        .exclude(case__status="closed")
        .select_related("case")
        .first()
    )
    assert item is not None and item.contact_point_id is not None
    # Daytime for the debtor whenever the suite runs: the gate's quiet hours would otherwise answer first.
    Debtor.objects.filter(pk=item.case.debtor_id).update(time_zone=daytime_zone())
    client = client_for(User.objects.get(username="collector1"))
    attempts = [
        {"outcome": "promise", "promise_amount": "100", "promise_date": "2020-01-01"},  # the kernel's refusal
        {"outcome": "promise", "promise_amount": "abc", "promise_date": "2026-13-45"},  # the parsers'
        {"outcome": ""},
        {"outcome": "promise", "promise_amount": "99999999", "promise_date": "2099-01-01"},
    ]
    for data in attempts:
        response = client.post(
            f"/work/cases/{item.case_id}/save/", {**data, "point": item.contact_point_id}, HTTP_HX_REQUEST="true"
        )
        parser = VisibleText()
        parser.feed(response.content.decode())
        texts = [t for t in parser.texts if t]
        assert texts, data
        assert [english_in(t) for t in texts if english_in(t)] == [], (data, texts)


@pytest.mark.django_db
def test_the_notes_screeners_flags_read_in_chinese(demo: None) -> None:
    from huikuan.strategy.models import WorkItem

    case_id = WorkItem.objects.filter(assignee__username="collector1").values_list("case_id", flat=True).first()
    client = client_for(User.objects.get(username="collector1"))
    response = client.post(f"/work/cases/{case_id}/notes/preview/", {"notes": "再不还钱就发到你们公司群里曝光"})
    parser = VisibleText()
    parser.feed(response.content.decode())
    text = " ".join(parser.texts)
    assert "向第三方泄露" in text or "泄露" in text, text
    assert english_in(text) == [], text


@pytest.mark.django_db
def test_the_qa_registers_flags_and_the_team_pages_flags_read_in_chinese(demo: None) -> None:
    from huikuan.cases.models import Case
    from huikuan.compliance.actions import screen_and_register

    collector = User.objects.get(username="collector1")
    case = Case.objects.filter(assignee=collector).first()
    assert case is not None
    screen_and_register("再不还钱就发到你们公司群里曝光", source="note", case=case, user=collector)
    for username, url in (("qa1", "/qa/?kind=flags"), ("lead1", "/work/team/")):
        parser = VisibleText()
        parser.feed(client_for(User.objects.get(username=username)).get(url).content.decode())
        assert "泄露" in " ".join(parser.texts), url
        assert [english_in(t) for t in parser.texts if english_in(t)] == [], url
