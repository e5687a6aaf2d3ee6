"""Issue 17, item 1: a field visit recorded by two collectors, and every way it is refused.

Alice holds today's visit of a late case; Bob goes with her. Lena leads team A. Through Django's test client
(the form and the API) and the actions; on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from huikuan.audit.models import AccessLog, ChangeLog
from huikuan.cases.models import Interaction, Promise
from huikuan.compliance.models import ContactDecision, TextFlag
from huikuan.fieldwork.evidence import AttachmentChanged
from huikuan.fieldwork.models import Visit, VisitAttachment
from huikuan.fieldwork.queries import visits_of_case
from huikuan.kernel.legal import check_manifest
from huikuan.kernel.strategy.evaluate import classify
from huikuan.kernel.visits import UPLOAD_LIMIT
from huikuan.legal.evidence import build_pack
from huikuan.org.models import Team
from huikuan.portfolio.models import ContactPoint
from huikuan.strategy.models import PolicyVersion, WorkItem
from huikuan.strategy.snapshot import read_snapshot
from tests.conftest import Personas, client_for
from tests.fieldwork.fixtures import JPEG, PDF, VisitCase


def wall(instant: datetime) -> str:
    """What a datetime-local input sends: the site's wall clock."""
    return timezone.localtime(instant).strftime("%Y-%m-%dT%H:%M")


def form(**fields: Any) -> dict[str, Any]:
    now = timezone.now()
    data: dict[str, Any] = {
        "arrived_at": wall(now - timedelta(hours=1)),
        "left_at": wall(now - timedelta(minutes=20)),
        "outcome": "met_debtor",
        "persons_met": ["debtor"],
        "notes": "债务人在家，表示月底前处理。",
    }
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def post_visit(client: Client, case_id: int, **fields: Any) -> Any:
    return client.post(f"/visits/cases/{case_id}/", form(**fields))


def nothing_recorded(case: Any, item: WorkItem) -> bool:
    item.refresh_from_db()
    return (
        not Visit.objects.filter(case=case).exists()
        and not Interaction.objects.filter(case=case, channel="visit").exists()
        and item.status == "pending"
        and not VisitAttachment.objects.exists()
    )


# --- a visit by two collectors -------------------------------------------------------------------------------


def test_two_collectors_record_a_visit_that_closes_the_item_and_confirms_the_address(
    personas: Personas, visit_case: VisitCase
) -> None:
    case, item = visit_case()
    photo = SimpleUploadedFile("门牌.jpg", JPEG, content_type="image/jpeg")
    response = post_visit(client_for(personas.alice), case.pk, second_collector=personas.bob.pk, files=[photo])
    assert response.status_code == 302 and response["Location"].startswith("/visits/?saved=")
    visit = Visit.objects.get(case=case)
    assert (visit.collector, visit.second_collector) == (personas.alice, personas.bob)
    assert visit.outcome == "met_debtor" and visit.persons_met == ["debtor"] and visit.work_item == item
    assert (visit.interaction.channel, visit.interaction.outcome, visit.interaction.party) == (
        "visit",
        "right_party",
        "debtor",
    )
    item.refresh_from_db()
    assert item.status == "done"
    assert ContactPoint.objects.get(pk=item.contact_point_id or 0).validity == "valid"
    (attachment,) = visit.attachments.all()
    assert attachment.sha256 == hashlib.sha256(JPEG).hexdigest() and attachment.media_type == "image/jpeg"
    assert attachment.file.read() == JPEG
    log = ChangeLog.objects.get(action="visit:recorded", subject_id=str(visit.pk))
    assert log.after is not None and log.after["second_collector"] == personas.bob.pk
    assert log.after["attachments"] == [attachment.sha256]
    day = client_for(personas.alice).get(response["Location"]).content.decode()
    assert 'data-testid="visit-saved"' in day and 'data-testid="visit-done"' in day


def test_visits_of_case_gives_the_evidence_pack_every_visit_oldest_first_with_its_files(
    personas: Personas, visit_case: VisitCase
) -> None:
    case, _ = visit_case()
    now = timezone.now()
    alice = client_for(personas.alice)
    post_visit(
        alice, case.pk, second_collector=personas.bob.pk, outcome="not_home", persons_met=[],
        arrived_at=wall(now - timedelta(hours=5)), left_at=wall(now - timedelta(hours=4, minutes=50)),
        files=[SimpleUploadedFile("收据.pdf", PDF)],
    )  # fmt: skip
    post_visit(alice, case.pk, second_collector=personas.bob.pk)
    first, second = visits_of_case(case.pk)
    assert (first.outcome, second.outcome) == ("not_home", "met_debtor")
    assert [(a.name, a.media_type, a.sha256) for a in first.attachments.all()] == [
        ("收据.pdf", "application/pdf", hashlib.sha256(PDF).hexdigest())
    ]
    assert first.interaction.outcome == "no_answer" and second.work_item is None  # the first closed the item


# --- refused: one collector, quiet hours, uploads ----------------------------------------------------------


def test_one_collector_is_refused_with_the_rule_and_its_source_and_nothing_is_recorded(
    personas: Personas, visit_case: VisitCase
) -> None:
    case, item = visit_case()
    response = post_visit(client_for(personas.alice), case.pk, files=[SimpleUploadedFile("a.jpg", JPEG)])
    page = response.content.decode()
    assert response.status_code == 400
    assert "cn.visit_collectors" in page and "金融机构个人消费类贷款催收工作指引" in page and "外访须至少2名" in page
    assert nothing_recorded(case, item)
    # The refusal is evidence for QA, kept though the visit was not recorded.
    refusal = ContactDecision.objects.get(case=case, channel="visit")
    assert not refusal.allowed and "cn.visit_collectors" in refusal.rule_ids


def test_a_visit_in_the_debtors_quiet_hours_is_refused(personas: Personas, visit_case: VisitCase) -> None:
    case, item = visit_case()
    zone = ZoneInfo(case.debtor.time_zone)
    local_now = timezone.now().astimezone(zone)
    late = (local_now - timedelta(days=1)).replace(hour=22, minute=30, second=0, microsecond=0)
    response = post_visit(
        client_for(personas.alice), case.pk, second_collector=personas.bob.pk,
        arrived_at=wall(late), left_at=wall(late + timedelta(minutes=30)),
    )  # fmt: skip
    assert response.status_code == 400 and "cn.quiet_hours" in response.content.decode()
    assert nothing_recorded(case, item)


def test_a_visit_that_runs_into_quiet_hours_is_refused_by_its_departure(
    personas: Personas, visit_case: VisitCase
) -> None:
    case, item = visit_case()
    zone = ZoneInfo(case.debtor.time_zone)
    evening = (timezone.now().astimezone(zone) - timedelta(days=1)).replace(hour=21, minute=30, second=0, microsecond=0)
    response = post_visit(
        client_for(personas.alice), case.pk, second_collector=personas.bob.pk,
        arrived_at=wall(evening), left_at=wall(evening + timedelta(minutes=45)),
    )  # fmt: skip
    assert response.status_code == 400 and "cn.quiet_hours" in response.content.decode()
    assert nothing_recorded(case, item)


def test_a_companion_without_current_training_is_refused_like_the_collector(
    personas: Personas, visit_case: VisitCase
) -> None:
    case, item = visit_case()
    Team.objects.filter(pk=personas.team_b.pk).update(training_required=True)
    response = post_visit(client_for(personas.alice), case.pk, second_collector=personas.carol.pk)
    assert response.status_code == 400 and "cn.collector_training" in response.content.decode()
    assert nothing_recorded(case, item)


def test_an_upload_that_is_not_an_image_or_a_pdf_is_refused_whatever_its_name(
    personas: Personas, visit_case: VisitCase
) -> None:
    case, item = visit_case()
    fake = SimpleUploadedFile("照片.jpg", b"MZ\x90\x00\x03 this is a program", content_type="image/jpeg")
    response = post_visit(client_for(personas.alice), case.pk, second_collector=personas.bob.pk, files=[fake])
    page = response.content.decode()
    assert response.status_code == 400 and 'data-testid="error-files"' in page and "照片.jpg" in page
    assert nothing_recorded(case, item)


def test_an_upload_over_the_size_limit_is_refused(personas: Personas, visit_case: VisitCase) -> None:
    case, item = visit_case()
    big = SimpleUploadedFile("big.jpg", JPEG + bytes(UPLOAD_LIMIT), content_type="image/jpeg")
    response = post_visit(client_for(personas.alice), case.pk, second_collector=personas.bob.pk, files=[big])
    assert response.status_code == 400 and "10 MB" in response.content.decode()
    assert nothing_recorded(case, item)


def test_the_form_names_each_wrong_field(personas: Personas, visit_case: VisitCase) -> None:
    case, item = visit_case()
    now = timezone.now()
    response = post_visit(
        client_for(personas.alice), case.pk, second_collector=personas.alice.pk, outcome="promise",
        persons_met=["family"], arrived_at=wall(now), left_at=wall(now - timedelta(hours=1)),
    )  # fmt: skip
    page = response.content.decode()
    assert response.status_code == 400
    errors = page[page.index('data-testid="visit-errors"') :]
    errors = errors[: errors.index("</div>")]
    assert errors.count('<li class="error">') == 3  # the companion, whom the outcome needs, the times
    assert 'data-testid="error-left_at"' in page and 'aria-invalid="true"' in page
    assert nothing_recorded(case, item)


# --- what a visit changes ----------------------------------------------------------------------------------


def test_an_invalid_address_makes_the_point_invalid_and_counts_toward_unreachable(
    personas: Personas, visit_case: VisitCase
) -> None:
    case, item = visit_case()
    now = timezone.now()
    for hours in (30, 28):  # two failed calls yesterday
        Interaction.objects.create(
            case=case, channel="call", outcome="no_answer", at=now - timedelta(hours=hours), user=personas.alice
        )
    response = post_visit(
        client_for(personas.alice), case.pk, second_collector=personas.bob.pk, outcome="address_invalid",
        persons_met=["other"], notes="物业称无此人。",
    )  # fmt: skip
    assert response.status_code == 302
    assert ContactPoint.objects.get(pk=item.contact_point_id or 0).validity == "invalid"
    # The case's timeline says what the door showed, not a phone's "wrong number".
    timeline = client_for(personas.alice).get(f"/cases/{case.pk}/").content.decode()
    assert "外访 · 地址无效或已搬离" in timeline
    tomorrow = timezone.localdate() + timedelta(days=1)
    snapshot = read_snapshot(tomorrow)
    row = snapshot.filter(snapshot["case_id"] == case.pk)
    assert row["failed_attempts_30d"].to_list() == [3]  # two calls and the visit
    policy = PolicyVersion.objects.get(in_force=True).policy()
    classified = classify(row, policy, tomorrow)
    assert classified["behaviour"].to_list() == ["unreachable"]


def test_a_family_member_at_the_door_is_a_third_party_and_the_notes_are_screened(
    personas: Personas, visit_case: VisitCase
) -> None:
    case, _item = visit_case()
    response = post_visit(
        client_for(personas.alice), case.pk, second_collector=personas.bob.pk, outcome="not_home",
        persons_met=["family"], notes="家属骂我们是傻逼，不开门。",
    )  # fmt: skip
    assert response.status_code == 302
    visit = Visit.objects.get(case=case)
    assert (visit.interaction.outcome, visit.interaction.party) == ("third_party", "third_party")
    flag = TextFlag.objects.get(subject=f"interaction:{visit.interaction_id}")
    assert flag.category == "abuse" and flag.source == "note"


def test_a_promise_at_the_door_goes_through_the_promise_action(personas: Personas, visit_case: VisitCase) -> None:
    case, item = visit_case()
    alice = client_for(personas.alice)
    promised_on = (timezone.localdate() + timedelta(days=5)).isoformat()
    too_much = post_visit(
        alice, case.pk, second_collector=personas.bob.pk, outcome="promise", promise_amount="999999.00",
        promise_date=promised_on,
    )  # fmt: skip
    # The same refusal as on the phone: more than the debtor owes.
    assert too_much.status_code == 400 and "12,400.00" in too_much.content.decode()
    assert nothing_recorded(case, item) and not Promise.objects.filter(case=case).exists()
    kept = post_visit(
        alice, case.pk, second_collector=personas.bob.pk, outcome="promise", promise_amount="3000.00",
        promise_date=promised_on,
    )  # fmt: skip
    assert kept.status_code == 302
    visit = Visit.objects.get(case=case)
    assert visit.promise is not None and visit.promise.interaction_id == visit.interaction_id
    assert visit.promise.amount == Decimal("3000.00") and visit.promise.due_date.isoformat() == promised_on


# --- the day's list and the address ------------------------------------------------------------------------


def test_the_days_visits_are_grouped_by_district_with_addresses_masked(
    personas: Personas, visit_case: VisitCase
) -> None:
    pudong, _ = visit_case("上海市浦东新区张江路1号")
    chaoyang, _ = visit_case("北京市朝阳区建国路88号", name="李娜", gender="female")
    nowhere, _ = visit_case("12 Baker Street", name="赵强")
    page = client_for(personas.alice).get("/visits/").content.decode()
    order = [page.index(f'data-district="{d}"') for d in ("上海市浦东新区", "北京市朝阳区")]
    # By name: 上 (U+4E0A) before 北 (U+5317); addresses without a district last.
    assert order == sorted(order) and page.index('data-district=""') > max(order)
    assert "张江路1号" not in page and "建国路88号" not in page
    for case in (pudong, chaoyang, nowhere):
        assert f'data-case="{case.pk}"' in page
    assert client_for(personas.bob).get("/visits/").content.decode().count('data-testid="district"') == 0


def test_the_address_is_revealed_for_the_visit_only_to_its_holder_and_audited(
    personas: Personas, visit_case: VisitCase
) -> None:
    case, item = visit_case()
    shown = client_for(personas.alice).post(f"/visits/items/{item.pk}/reveal/")
    assert shown.status_code == 200 and "上海市浦东新区张江路1号" in shown.content.decode()
    look = AccessLog.objects.get(subject_id=str(item.contact_point_id))
    assert (look.user, look.field, look.channel) == (personas.alice, "value", "visit")
    assert client_for(personas.bob).post(f"/visits/items/{item.pk}/reveal/").status_code == 404
    post_visit(client_for(personas.alice), case.pk, second_collector=personas.bob.pk)
    # Once the visit is recorded, the address is masked again for everyone.
    assert client_for(personas.alice).post(f"/visits/items/{item.pk}/reveal/").status_code == 404
    assert AccessLog.objects.count() == 1


def test_the_case_page_and_the_queue_lead_to_the_visit_form(personas: Personas, visit_case: VisitCase) -> None:
    case, _ = visit_case()
    alice = client_for(personas.alice)
    assert f'href="/visits/cases/{case.pk}/"' in alice.get(f"/cases/{case.pk}/").content.decode()
    assert f'href="/visits/cases/{case.pk}/"' in alice.get("/work/").content.decode()
    assert alice.get(f"/visits/cases/{case.pk}/").status_code == 200
    assert client_for(personas.quinn).get(f"/visits/cases/{case.pk}/").status_code == 403


# --- the API -----------------------------------------------------------------------------------------------


def api_visit(client: Client, case_id: int, **fields: Any) -> Any:
    now = timezone.now()
    data: dict[str, Any] = {
        "outcome": "met_debtor",
        "persons_met": "debtor",
        "arrived_at": (now - timedelta(hours=1)).isoformat(),
        "left_at": (now - timedelta(minutes=10)).isoformat(),
    }
    data.update(fields)
    return client.post(f"/api/cases/{case_id}/visits", data)


def test_the_api_refuses_one_collector_with_409_naming_the_rule_and_source(
    personas: Personas, visit_case: VisitCase
) -> None:
    case, item = visit_case()
    response = api_visit(client_for(personas.alice), case.pk)
    body = response.json()
    assert response.status_code == 409 and body["blocking_rule"] == "cn.visit_collectors"
    rule = next(r for r in body["rules"] if r["rule_id"] == "cn.visit_collectors")
    assert "指引" in rule["source"] and rule["severity"] == "block"
    assert nothing_recorded(case, item)


def test_the_api_records_a_visit_with_two_collectors_and_lists_it(personas: Personas, visit_case: VisitCase) -> None:
    case, item = visit_case()
    alice = client_for(personas.alice)
    created = api_visit(alice, case.pk, second_collector_id=personas.bob.pk, files=[SimpleUploadedFile("r.pdf", PDF)])
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["second_collector_id"] == personas.bob.pk and body["work_item_id"] == item.pk
    assert body["attachments"][0]["sha256"] == hashlib.sha256(PDF).hexdigest()
    listed = alice.get(f"/api/cases/{case.pk}/visits").json()
    assert [v["id"] for v in listed] == [body["id"]]
    assert alice.get("/api/visits").json()[0]["done"] is True


def test_the_api_refuses_a_bad_upload_and_unknown_persons_with_400(personas: Personas, visit_case: VisitCase) -> None:
    case, item = visit_case()
    alice = client_for(personas.alice)
    bad = api_visit(alice, case.pk, second_collector_id=personas.bob.pk, files=[SimpleUploadedFile("x.pdf", b"hi")])
    assert bad.status_code == 400 and "files" in bad.json()["fields"]
    unknown = api_visit(alice, case.pk, second_collector_id=personas.bob.pk, persons_met="debtor,cat")
    assert unknown.status_code == 400 and "cat" in unknown.json()["detail"]
    assert nothing_recorded(case, item)


def test_the_contacts_api_sends_a_visit_to_the_visits_endpoint(personas: Personas, visit_case: VisitCase) -> None:
    case, item = visit_case()
    response = client_for(personas.alice).post(
        f"/api/cases/{case.pk}/contacts",
        {"channel": "visit", "outcome": "right_party"},
        content_type="application/json",
    )
    assert response.status_code == 400 and f"/api/cases/{case.pk}/visits" in response.json()["detail"]
    assert nothing_recorded(case, item)


def test_the_api_reveals_the_address_of_todays_visit_with_an_audit_row(
    personas: Personas, visit_case: VisitCase
) -> None:
    _case, item = visit_case()
    response = client_for(personas.alice).post(f"/api/visits/items/{item.pk}/reveal")
    assert response.status_code == 200 and response.json()["address"] == "上海市浦东新区张江路1号"
    assert AccessLog.objects.filter(user=personas.alice, channel="visit").count() == 1
    assert client_for(personas.bob).post(f"/api/visits/items/{item.pk}/reveal").status_code == 404


def test_the_admin_shows_visits_with_their_files_digests_and_adds_none_by_hand(
    personas: Personas, visit_case: VisitCase
) -> None:
    case, _item = visit_case()
    post_visit(
        client_for(personas.alice), case.pk, second_collector=personas.bob.pk, files=[SimpleUploadedFile("a.jpg", JPEG)]
    )
    visit = Visit.objects.get(case=case)
    adam = client_for(personas.adam)
    assert adam.get("/admin/fieldwork/visit/").status_code == 200
    page = adam.get(f"/admin/fieldwork/visit/{visit.pk}/change/").content.decode()
    assert hashlib.sha256(JPEG).hexdigest() in page
    assert adam.get("/admin/fieldwork/visit/add/").status_code == 403


def test_a_visit_and_its_photo_are_in_the_legal_evidence_pack(
    personas: Personas, visit_case: VisitCase, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    case, _ = visit_case()
    photo = SimpleUploadedFile("门牌.jpg", JPEG, content_type="image/jpeg")
    post_visit(client_for(personas.alice), case.pk, second_collector=personas.bob.pk, files=[photo], notes="本人在家")
    visit = Visit.objects.get(case=case)
    (attachment,) = visit.attachments.all()
    pack = build_pack(personas.lara, case)
    with zipfile.ZipFile(io.BytesIO(pack.data)) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    name = f"field-visits/visit-{visit.pk}-{attachment.pk}-门牌.jpg"
    assert files[name] == JPEG
    manifest = json.loads(files.pop("manifest.json"))
    assert check_manifest(manifest, files) == []
    assert name in {f["name"] for f in manifest["files"]}
    # The same records build the same pack: the source is deterministic.
    assert build_pack(personas.lara, case).data == pack.data
    # A stored photo changed behind the record's back is not evidence: the pack refuses to build.
    with attachment.file.open("wb") as handle:
        handle.write(JPEG + b"edited")
    with pytest.raises(AttachmentChanged):
        build_pack(personas.lara, case)
