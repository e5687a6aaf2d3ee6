"""zh-Hans is the default language and every UI string has its translation; English is complete too."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from huikuan.cases.models import Case
from tests.conftest import Personas, client_for

CATALOGUE = Path(__file__).resolve().parents[2] / "src/huikuan/locale/zh_Hans/LC_MESSAGES/django.po"


def test_catalogue_has_no_untranslated_or_fuzzy_entry() -> None:
    text = CATALOGUE.read_text(encoding="utf-8")
    body = text.split("\n\n", 1)[1]
    assert "#, fuzzy" not in text
    empty = re.findall(r'msgid "(.+)"\n(?:msgid_plural ".*"\n)?msgstr(?:\[0\])? ""\n', body)
    assert empty == []


@pytest.mark.django_db
def test_case_page_speaks_chinese_by_default_and_english_on_request(small_portfolio: Personas) -> None:
    client = client_for(small_portfolio.quinn)
    case = Case.objects.first()
    assert case is not None
    chinese = client.get(f"/cases/{case.pk}/").content.decode()
    assert "欠款总额" in chinese and "逾期天数" in chinese
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    english = client.get(f"/cases/{case.pk}/").content.decode()
    assert "Total owed" in english and "欠款总额" not in english


def test_risk_bands_read_in_the_users_language() -> None:
    from django.utils import translation

    from huikuan.web.templatetags.huikuan import risk_label

    with translation.override("zh-hans"):
        assert risk_label("medium") == "中"
    with translation.override("en"):
        assert risk_label("high") == "High"
    assert risk_label("vip") == "vip"  # a band a team's own policy names is shown as written
    assert risk_label(None) == "—"
