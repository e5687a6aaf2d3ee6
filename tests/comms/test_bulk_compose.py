"""Composing from a rendered skeleton gives exactly what ``compose`` gives, or steps aside for it."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huikuan.comms import bulk_compose
from huikuan.comms import compose as compose_module
from huikuan.comms.bulk_compose import BulkComposer
from huikuan.comms.compose import compose
from huikuan.comms.templates import load_default_templates_file
from huikuan.kernel.comms.render import VARIABLES

TEMPLATES = load_default_templates_file()
# Characters that HTML escaping, the paragraph split and linebreaksbr act on, among ordinary text.
TEXT = st.text(alphabet=st.sampled_from([*"张伟元,.0123 ab<>&\"'\n\r\t", "\x00", "\u3000"]), max_size=12)
VALUES = st.fixed_dictionaries({}, optional={name: TEXT for name in VARIABLES})


def fake_url(key: str) -> str:
    # The real link is signed with a timestamp; a fixed one lets both paths be compared byte for byte.
    return f"http://127.0.0.1:8000/comms/opt-out/{key}/?a=1&b=<2>"


real_opt_out_url = compose_module.opt_out_url


@pytest.fixture(autouse=True)
def fixed_opt_out_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compose_module, "opt_out_url", fake_url)
    monkeypatch.setattr(bulk_compose, "opt_out_url", fake_url)


def ordinary_values() -> dict[str, str]:
    return {name: f"值{i} <{name}> & 'x'" for i, name in enumerate(VARIABLES)}


@pytest.mark.parametrize("raw", TEMPLATES, ids=lambda r: f"{r['channel']}-{r['purpose']}-{r['tone']}-{r['language']}")
def test_every_default_template_composes_alike_with_ordinary_values(raw: dict[str, Any]) -> None:
    channel, language, subject, body = raw["channel"], raw["language"], raw.get("subject", ""), raw["body"]
    composer = BulkComposer(channel, language, subject, body)
    values = ordinary_values()
    fast = composer.compose_one(values, "work:2026-11-20:7:" + channel)
    assert fast is not None, "ordinary values take the fast path"
    expected = compose(channel, language, subject, body, values, "work:2026-11-20:7:" + channel)
    assert fast == replace(expected, sms=None)
    assert composer.missing(values) == ()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(index=st.integers(0, len(TEMPLATES) - 1), values=VALUES)
def test_skeleton_composition_matches_compose_or_declines(index: int, values: dict[str, str]) -> None:
    raw = TEMPLATES[index]
    channel, language, subject, body = raw["channel"], raw["language"], raw.get("subject", ""), raw["body"]
    composer = BulkComposer(channel, language, subject, body)
    expected = compose(channel, language, subject, body, values, "work:k")
    assert composer.missing(values) == expected.missing
    fast = composer.compose_one(values, "work:k")
    if fast is not None:
        assert fast == replace(expected, sms=None)


def test_opt_out_links_resolved_once_are_the_links_compose_makes() -> None:
    from django.core import signing

    from huikuan.comms.bulk_compose import OptOutLinks

    links = OptOutLinks()
    for key in ("work:2026-11-20:7:email", "pending:payment:12", "work:x/y?z"):
        made = links(key)
        prefix, _, token = made.rstrip("/").rpartition("/")
        assert made == prefix + "/" + token + "/"
        assert signing.loads(token, salt=compose_module.OPT_OUT_SALT) == key
        # The same URL the per-message path builds, token aside (it carries the signing second).
        assert made.replace(token, "T") == real_opt_out_url(key).replace(
            real_opt_out_url(key).rstrip("/").rpartition("/")[2], "T"
        )


@settings(max_examples=100, deadline=None)
@given(
    language=st.sampled_from(["zh-hans", "en"]),
    subject=TEXT,
    paragraphs=st.lists(TEXT, max_size=3),
    company=TEXT,
    url=st.sampled_from(["", "http://127.0.0.1:8000/comms/opt-out/k/?a=1&b=<2>"]),
)
def test_the_email_engine_renders_what_the_project_engine_renders(
    language: str, subject: str, paragraphs: list[str], company: str, url: str
) -> None:
    # The e-mails have an engine of their own (it does not import every app's template tags): same output.
    page: dict[str, object] = {"subject": subject, "paragraphs": paragraphs, "opt_out_url": url, "company": company}
    text: dict[str, object] = {"body": subject, "opt_out_url": url}
    with translation.override(language):
        for name, context in (("comms/email/message.html", page), ("comms/email/message.txt", text)):
            assert compose_module.render_email(name, context) == render_to_string(name, context)
