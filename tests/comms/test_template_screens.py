"""The message-template screens through Django's test client: who may do what, drafts that never touch the
version in force, previews with visible cases only, activation through the screener, the SMS counter."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from huikuan.audit.models import ChangeLog
from huikuan.cases.models import Case
from huikuan.comms.models import Template, TemplateVersion, VersionStatus
from huikuan.kernel.money import format_yuan
from huikuan.portfolio.models import Account, AccountBalance
from tests.comms.conftest import owed
from tests.conftest import Personas, client_for

THREAT = "{{honorific}}，再不还钱就等着坐牢吧，我们会去你单位找你。"
CLEAN = "【{{company}}】{{honorific}}您好，您尾号{{account}}的账户待还{{total}}元，请尽快还款。回复TD退订"


def sms_reminder() -> Template:
    return Template.objects.get(channel="sms", purpose="reminder", tone="gentle", language="zh-hans")


def owing_case(team: Any) -> Case:
    debtors = AccountBalance.objects.filter(total__gt=0).values_list("account__debtor_id", flat=True)
    case = Case.objects.filter(team=team, debtor_id__in=debtors).order_by("id").first()
    assert case is not None
    return case


@pytest.fixture
def screens(small_portfolio: Personas, templates: int) -> Personas:
    return small_portfolio


def test_collectors_are_refused_every_template_screen(screens: Personas) -> None:
    template = sms_reminder()
    client = client_for(screens.alice)
    urls = [
        "/comms/templates/",
        f"/comms/templates/{template.pk}/",
        f"/comms/templates/{template.pk}/new/",
        f"/comms/templates/{template.pk}/v1/",
        f"/comms/templates/{template.pk}/v1/preview/?case=1",
    ]
    for url in urls:
        assert client.get(url).status_code == 403, url
    assert client.post(f"/comms/templates/{template.pk}/new/", {"body": CLEAN}).status_code == 403
    assert client.post(f"/comms/templates/{template.pk}/v1/activate/").status_code == 403
    assert client.post("/comms/templates/sms-length/", {"body": "还款"}).status_code == 403
    assert template.versions.count() == 1
    assert Client().get("/comms/templates/").status_code == 302  # anonymous: to the login page
    assert "/comms/templates/" not in client.get("/work/").content.decode()  # no link in the navigation


def test_qa_reads_but_cannot_write_or_activate(screens: Personas) -> None:
    from huikuan.comms.templates import create_version

    template = sms_reminder()
    draft = create_version(screens.lena, template, body=CLEAN)
    client = client_for(screens.quinn)
    assert client.get("/comms/templates/").status_code == 200
    page = client.get(f"/comms/templates/{template.pk}/v{draft.number}/").content.decode()
    assert 'data-testid="screening-clean"' in page and 'data-testid="activate"' not in page
    assert 'data-testid="new-version"' not in client.get(f"/comms/templates/{template.pk}/").content.decode()
    assert client.get(f"/comms/templates/{template.pk}/new/").status_code == 403
    assert client.post(f"/comms/templates/{template.pk}/new/", {"body": CLEAN}).status_code == 403
    assert client.post(f"/comms/templates/{template.pk}/v{draft.number}/activate/").status_code == 403
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT
    assert template.versions.count() == 2
    assert "/comms/templates/" in client.get("/comms/templates/").content.decode()  # navigation link for QA


def test_list_filters_and_shows_active_version_and_drafts(
    screens: Personas, django_assert_max_num_queries: Any
) -> None:
    from huikuan.comms.templates import create_version

    template = sms_reminder()
    create_version(screens.lena, template, body=CLEAN)
    create_version(screens.lena, template, body=CLEAN + "。")
    client = client_for(screens.lena)
    with django_assert_max_num_queries(4):
        page = client.get("/comms/templates/", {"channel": "sms", "language": "zh-hans"}).content.decode()
    rows = re.findall(r'<tr data-template="(\d+)">(.*?)</tr>', page, re.S)
    expected = set(Template.objects.filter(channel="sms", language="zh-hans").values_list("pk", flat=True))
    assert {int(pk) for pk, _ in rows} == expected and len(expected) > 1
    row = dict((int(pk), html) for pk, html in rows)[template.pk]
    assert re.search(r'data-testid="active-number">v1<', row) and re.search(r'data-testid="drafts">2<', row)
    # The whole catalogue costs the same number of queries as a filtered page.
    with django_assert_max_num_queries(4):
        everything = client.get("/comms/templates/").content.decode()
    assert everything.count("<tr data-template=") == Template.objects.count()


def test_new_version_is_a_draft_and_never_changes_the_version_in_force(screens: Personas) -> None:
    template = sms_reminder()
    active = template.versions.get(status=VersionStatus.ACTIVE)
    before = (active.body, active.subject, active.status, active.activated_at)
    client = client_for(screens.lena)
    form = client.get(f"/comms/templates/{template.pk}/new/").content.decode()
    assert f">{active.body}</textarea>" in form  # prefilled with the text in force

    response = client.post(f"/comms/templates/{template.pk}/new/", {"body": CLEAN})
    draft = template.versions.get(number=2)
    assert response.status_code == 302 and response["Location"] == f"/comms/templates/{template.pk}/v2/"
    assert (draft.status, draft.body, draft.created_by) == (VersionStatus.DRAFT, CLEAN, screens.lena)
    active.refresh_from_db()
    assert (active.body, active.subject, active.status, active.activated_at) == before
    assert ChangeLog.objects.filter(action="template:version_created", subject_id=str(draft.pk)).exists()

    # Correcting a draft starts from that draft's text; the version in force still prefills by default.
    assert f">{CLEAN}</textarea>" in client.get(f"/comms/templates/{template.pk}/new/", {"from": "2"}).content.decode()
    assert f">{active.body}</textarea>" in client.get(f"/comms/templates/{template.pk}/new/").content.decode()

    refused = client.post(f"/comms/templates/{template.pk}/new/", {"body": "{{honorific}}您的工资{{salary}}"})
    assert refused.status_code == 400 and "salary" in refused.content.decode()
    empty = client.post(f"/comms/templates/{template.pk}/new/", {"body": "   "})
    assert empty.status_code == 400
    assert template.versions.count() == 2


def test_preview_uses_only_a_case_the_user_may_see(screens: Personas) -> None:
    template = sms_reminder()
    mine, other = owing_case(screens.team_a), owing_case(screens.team_b)
    url = f"/comms/templates/{template.pk}/v1/preview/"
    lena = client_for(screens.lena)

    shown = lena.get(url, {"case": str(mine.pk)})
    assert shown.status_code == 200
    assert f"{format_yuan(owed(mine))}元" in shown.content.decode()

    assert lena.get(url, {"case": str(other.pk)}).status_code == 404
    other_contract = Account.objects.filter(debtor_id=other.debtor_id).values_list("contract_no", flat=True)[0]
    assert lena.get(url, {"case": other_contract}).status_code == 404
    assert lena.get(url, {"case": "999999999"}).status_code == 404
    # QA sees every case, so the same case previews for them.
    assert client_for(screens.quinn).get(url, {"case": str(other.pk)}).status_code == 200


def test_letter_preview_masks_the_recipient_and_the_contract_number(screens: Personas) -> None:
    from huikuan.portfolio.models import Debtor

    template = Template.objects.get(channel="letter", purpose="demand_letter", language="zh-hans")
    case = owing_case(screens.team_a)
    Debtor.objects.filter(pk=case.debtor_id).update(name="张伟", address="上海市徐汇区漕溪北路88号5楼")
    contract = Account.objects.filter(debtor_id=case.debtor_id).values_list("contract_no", flat=True)[0]
    assert contract
    page = (
        client_for(screens.lena)
        .get(f"/comms/templates/{template.pk}/v1/preview/", {"case": str(case.pk)})
        .content.decode()
    )
    assert 'data-testid="preview-letter"' in page
    assert "张伟" not in page and "漕溪北路" not in page and contract not in page
    assert f"****{contract[-4:]}" in page and format_yuan(owed(case)) in page


def test_activation_is_refused_with_the_flags_and_allowed_when_clean(screens: Personas) -> None:
    from huikuan.comms.templates import create_version

    template = sms_reminder()
    client = client_for(screens.lena)
    bad = create_version(screens.lena, template, body=THREAT)
    page = client.post(f"/comms/templates/{template.pk}/v{bad.number}/activate/").content.decode()
    assert 'data-testid="activation-refused"' in page
    assert 'data-category="threat"' in page or 'data-category="false_authority"' in page
    assert "<mark>坐牢</mark>" in page
    bad.refresh_from_db()
    assert bad.status == VersionStatus.DRAFT and bad.screening and bad.screened_at is not None
    assert template.versions.get(status=VersionStatus.ACTIVE).number == 1
    assert ChangeLog.objects.filter(action="template:activation_refused", subject_id=str(bad.pk)).exists()

    good = create_version(screens.lena, template, body=CLEAN)
    response = client.post(f"/comms/templates/{template.pk}/v{good.number}/activate/")
    assert response.status_code == 302
    statuses = dict(template.versions.values_list("number", "status"))
    assert statuses == {1: VersionStatus.RETIRED, bad.number: VersionStatus.DRAFT, good.number: VersionStatus.ACTIVE}
    good.refresh_from_db()
    assert good.activated_by == screens.lena
    assert ChangeLog.objects.filter(action="template:activated", subject_id=str(good.pk)).exists()


def test_template_page_shows_versions_and_a_readable_diff(screens: Personas) -> None:
    from huikuan.comms.templates import create_version

    template = sms_reminder()
    v1 = template.versions.get(number=1)
    create_version(screens.lena, template, body=v1.body.replace("您好", "你好"))
    page = client_for(screens.lena).get(f"/comms/templates/{template.pk}/", {"a": "1", "b": "2"}).content.decode()
    assert 'data-version="1"' in page and 'data-version="2"' in page
    assert "<del>您</del>" in page and "<ins>你</ins>" in page


@pytest.mark.parametrize("length", [70, 71, 134, 135])
def test_sms_counter_counts_chinese_like_carriers(screens: Personas, length: int) -> None:
    # The carrier rule: a Chinese SMS carries 70 characters alone; a longer text is split into parts of 67.
    expected_segments = 1 if length <= 70 else -(-length // 67)
    text = ("您好请还款" * 30)[:length]
    html = client_for(screens.lena).post("/comms/templates/sms-length/", {"body": text}).content.decode()
    assert f'data-units="{length}"' in html
    assert f'data-segments="{expected_segments}"' in html
    assert 'data-encoding="ucs2"' in html


def test_version_ids_of_another_template_are_not_reachable(screens: Personas) -> None:
    template = sms_reminder()
    assert client_for(screens.lena).get(f"/comms/templates/{template.pk}/v99/").status_code == 404
    assert TemplateVersion.objects.filter(template=template).count() == 1


def test_screens_speak_chinese_by_default_and_english_on_request(screens: Personas) -> None:
    client = client_for(screens.lena)
    template = sms_reminder()
    chinese = client.get(f"/comms/templates/{template.pk}/").content.decode()
    assert "消息模板" in chinese and "当前生效版本：v1" in chinese
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    english = client.get(f"/comms/templates/{template.pk}/").content.decode()
    assert "Message templates" in english and "Version in force: v1" in english and "消息模板" not in english


def test_the_admin_cannot_activate_a_flagged_draft_nor_rewrite_an_active_version(screens: Personas) -> None:
    """Activation goes through the screener only; an activated version is evidence and stays as it was."""
    from huikuan.comms.templates import create_version

    admin = client_for(screens.adam)
    template = sms_reminder()
    active = template.versions.get(status=VersionStatus.ACTIVE)
    url = f"/admin/comms/templateversion/{active.pk}/change/"
    page = admin.get(url).content.decode()
    assert 'name="body"' not in page and 'name="status"' not in page
    admin.post(url, {"template": template.pk, "number": active.number, "body": THREAT, "status": "active"})
    active.refresh_from_db()
    assert THREAT not in active.body and active.status == VersionStatus.ACTIVE
    assert admin.post(f"/admin/comms/templateversion/{active.pk}/delete/", {"post": "yes"}).status_code == 403

    draft = create_version(screens.adam, template, body=THREAT)
    url = f"/admin/comms/templateversion/{draft.pk}/change/"
    page = admin.get(url).content.decode()
    assert 'name="body"' in page and 'name="status"' not in page  # a draft's words may change, not its status
    response = admin.post(url, {"template": template.pk, "number": draft.number, "body": THREAT, "subject": "",
                                "html": "", "status": "active"})  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    draft.refresh_from_db()
    active.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT and active.status == VersionStatus.ACTIVE
