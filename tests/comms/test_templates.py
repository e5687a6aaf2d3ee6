"""Templates: defaults for every purpose, screened before activation, versioned, previewed with a real case."""

from __future__ import annotations

from typing import Any

import pytest

from tests.comms.conftest import owed
from tests.conftest import Personas


def test_defaults_cover_every_purpose_in_both_languages(templates: int) -> None:
    from huikuan.comms.models import Purpose, TemplateVersion, VersionStatus
    from huikuan.comms.templates import load_default_templates_file

    active = TemplateVersion.objects.filter(status=VersionStatus.ACTIVE).select_related("template")
    keys = {(v.template.purpose, v.template.language) for v in active}
    for purpose in Purpose.values:
        for language in ("zh-hans", "en"):
            assert (purpose, language) in keys, (purpose, language)
    assert templates == active.count() == len(load_default_templates_file())
    # Activation went through the screener: nothing flagged, the time recorded.
    assert all(v.screening == [] and v.screened_at is not None for v in active)


def test_abusive_or_threatening_text_is_never_activated(templates: int, personas: Personas) -> None:
    from huikuan.comms.models import Template, VersionStatus
    from huikuan.comms.templates import ActivationRefused, activate_version, create_version

    template = Template.objects.get(channel="sms", purpose="reminder", tone="firm", language="zh-hans")
    bad = create_version(personas.lena, template, body="{{honorific}}，你这个老赖，再不还钱就等着坐牢吧。")
    with pytest.raises(ActivationRefused) as refused:
        activate_version(personas.lena, bad)
    assert {flag["category"] for flag in refused.value.flags} & {"abuse", "threat"}
    bad.refresh_from_db()
    assert bad.status == VersionStatus.DRAFT and bad.screening
    assert template.versions.get(status=VersionStatus.ACTIVE).number == 1


def test_a_new_version_retires_the_old_one(templates: int, personas: Personas) -> None:
    from huikuan.comms.models import Template, VersionStatus
    from huikuan.comms.templates import activate_version, create_version
    from huikuan.kernel.comms.render import TemplateError

    template = Template.objects.get(channel="sms", purpose="reminder", tone="gentle", language="zh-hans")
    with pytest.raises(TemplateError):
        create_version(personas.lena, template, body="{{honorific}}您的工资{{salary}}")
    v2 = create_version(personas.lena, template, body="【{{company}}】{{honorific}}您好，待还{{total}}元。回复TD退订。")
    activate_version(personas.lena, v2)
    assert dict(template.versions.values_list("number", "status")) == {
        1: VersionStatus.RETIRED,
        2: VersionStatus.ACTIVE,
    }


def test_preview_with_a_real_case_shows_exact_values_and_sms_length(zhang: Any) -> None:
    from huikuan.comms.preview import preview
    from huikuan.comms.templates import active_version
    from huikuan.kernel.money import format_yuan

    version = active_version("sms", "reminder", "gentle", "zh-hans")
    assert version is not None
    shown = preview(version, zhang)
    text = shown.composed.body
    assert "张先生您好" in text
    assert f"待还{format_yuan(owed(zhang))}元" in text
    assert "{{" not in text and not shown.composed.missing
    sms = shown.composed.sms
    assert sms is not None and sms.encoding == "ucs2"
    assert sms.segments == -(-len(text) // 67) if len(text) > 70 else sms.segments == 1


def test_letter_preview_is_addressed_like_the_outbox_would_print_it(zhang: Any) -> None:
    from huikuan.comms.preview import preview
    from huikuan.comms.templates import active_version
    from huikuan.portfolio.models import ContactPoint, Debtor

    version = active_version("letter", "demand_letter", "formal", "zh-hans")
    assert version is not None
    own_postal = ContactPoint.objects.filter(debtor_id=zhang.debtor_id, kind="postal", relation="self")
    own_postal.update(value="北京市朝阳区建国路1号")
    assert preview(version, zhang).values["recipient_address"] == "北京市朝阳区建国路1号"
    # Without a usable postal point the registered address stands in, as in the outbox.
    own_postal.update(do_not_contact=True)
    zhang.debtor = Debtor.objects.get(pk=zhang.debtor_id)
    assert preview(version, zhang).values["recipient_address"] == "上海市徐汇区漕溪北路88号5楼"
