"""One number, one contact point: every spelling of a number folds to one ASCII E.164 value, a debtor cannot
hold two points for it (whatever kind each is filed under), and the migration merges the duplicates stored
before, keeping their history."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from huikuan.audit.models import ChangeLog
from huikuan.cases.models import Case, Interaction
from huikuan.intake.importer import import_accounts
from huikuan.portfolio.models import PHONE_KINDS, ContactPoint, Debtor
from tests.conftest import Personas

NUMBER = "+8613800138000"
HEADER = ["customer_no", "name", "contract_no", "product", "original_amount", "open_date", "due_date", "principal",
          "mobile", "home_phone", "work_phone", "contact1_name", "contact1_relation", "contact1_phone",
          "time_zone"]  # fmt: skip


def account_file(path: Path, mobile: str, home: str = "", work: str = "", contact: str = "") -> Path:
    """One debtor, one account; the debtor's time zone is one where it is about noon now (no quiet hours)."""
    offset = 12 - datetime.now(UTC).hour
    zone = f"Etc/GMT{-offset:+d}" if offset else "Etc/GMT"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        third = ("李娜", "配偶", contact) if contact else ("", "", "")
        account = ["C-1", "张伟", "HT-1", "信用卡", "5000", "2025-01-15", "2026-09-30", "5000"]
        writer.writerow([*account, mobile, home, work, *third, zone])
    return path


@pytest.mark.django_db
def test_a_debtor_cannot_hold_two_points_for_one_number(personas: Personas) -> None:
    debtor = Debtor.objects.create(customer_no="C-9", name="王芳")
    ContactPoint.objects.create(debtor=debtor, kind="mobile", value=NUMBER)
    with pytest.raises(IntegrityError), transaction.atomic():
        ContactPoint.objects.create(debtor=debtor, kind="home", value=NUMBER)
    # Across debtors a number may be shared: spouses who both owe, one home line.
    other = Debtor.objects.create(customer_no="C-10", name="王强")
    ContactPoint.objects.create(debtor=other, kind="home", value=NUMBER)


@pytest.mark.django_db
def test_every_spelling_in_a_file_is_one_contact_point(tmp_path: Path) -> None:
    spellings = {"home": "١٣٨-٠٠١٣-٨٠٠٠", "work": "１３８ ００１３ ８０００", "contact": "(138) 0013-8000"}
    report = import_accounts(account_file(tmp_path / "a.csv", "13８00138000", **spellings))
    assert report.ok, report.error_lines()
    debtor = Debtor.objects.get(customer_no="C-1")
    assert list(debtor.contact_points.values_list("kind", "value", "relation")) == [("mobile", NUMBER, "self")]
    again = import_accounts(account_file(tmp_path / "b.csv", "+86 138 0013 8000", home="13800138000"))
    assert again.ok, again.error_lines()
    assert debtor.contact_points.count() == 1


@pytest.mark.django_db
def test_the_six_calls_a_day_cap_cannot_be_doubled_by_spelling_the_number_twice(
    tmp_path: Path, personas: Personas
) -> None:
    """The attack of issue 25: the number as mobile and again, with a full-width digit, as work phone.

    Before folding, the two spellings were two contact points and each had its own cap of 6: 12 calls went
    through in one day. Every phone point the debtor has for the number is tried until the gate says no.
    """
    report = import_accounts(account_file(tmp_path / "a.csv", "13800138000", work="13８00138000"))
    assert report.ok, report.error_lines()
    case = Case.objects.get(debtor__customer_no="C-1")
    case.assignee = personas.alice
    case.save()
    points = list(ContactPoint.objects.filter(debtor_id=case.debtor_id, kind__in=PHONE_KINDS))
    assert [p.value for p in points] == [NUMBER]
    client = Client()
    client.force_login(personas.alice)
    allowed = 0
    for point in points:
        for _attempt in range(10):
            response = client.post(
                f"/api/cases/{case.pk}/contacts",
                {"contact_point_id": point.pk, "channel": "call", "outcome": "no_answer"},
                content_type="application/json",
            )
            if response.status_code == 409:
                assert response.json()["blocking_rule"] == "cn.point_daily_attempts"
                break
            assert response.status_code == 201, response.content
            allowed += 1
    assert allowed == 6


@pytest.mark.django_db(transaction=True)
def test_the_migration_folds_stored_numbers_and_merges_a_debtors_duplicates_keeping_their_history(
    small_portfolio: Personas,
) -> None:
    case = Case.objects.select_related("debtor").order_by("id").first()
    assert case is not None
    executor = MigrationExecutor(connection)
    before = [("portfolio", "0007_debtor_time_zone_setting")]
    executor.migrate(before)
    try:
        # The state of what is applied now: migrating portfolio back also unapplied the apps that depend on
        # its later migrations (self-service's access codes point at contact points), so their tables are gone.
        executor.loader.build_graph()
        apps = executor.loader.project_state(sorted(executor.loader.applied_migrations)).apps
        point = apps.get_model("portfolio", "ContactPoint")
        interaction = apps.get_model("cases", "Interaction")
        point.objects.filter(debtor_id=case.debtor_id).delete()
        own = point.objects.create(debtor_id=case.debtor_id, kind="mobile", value=NUMBER, relation="self")
        wide = point.objects.create(debtor_id=case.debtor_id, kind="mobile", value="13８00138000", relation="self")
        home = point.objects.create(debtor_id=case.debtor_id, kind="home", value=NUMBER, relation="self",
                                    do_not_contact=True, dnc_reason="asked", validity="invalid")  # fmt: skip
        spouse = point.objects.create(debtor_id=case.debtor_id, kind="mobile", value="١٣٨٠٠١٣٨٠٠٠",
                                      relation="spouse", contact_name="李娜")  # fmt: skip
        point.objects.create(debtor_id=case.debtor_id, kind="email", value="ZW＠Example.com", relation="self")
        now = datetime.now(UTC)
        for n, p in enumerate((own, wide, home, spouse)):
            interaction.objects.create(
                case_id=case.pk, contact_point_id=p.pk, channel="call", outcome="no_answer",
                at=now - timedelta(minutes=n),
            )  # fmt: skip
        executor.loader.build_graph()
        executor.migrate([("portfolio", "0009_contact_point_one_per_number")])
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    points = ContactPoint.objects.filter(debtor_id=case.debtor_id)
    assert sorted(points.values_list("kind", "value")) == [("email", "zw@example.com"), ("mobile", NUMBER)]
    kept = points.get(kind="mobile")
    assert kept.pk == own.pk and kept.relation == "self"
    assert kept.do_not_contact and kept.dnc_reason == "asked" and kept.validity == "invalid"  # the strictest wins
    assert Interaction.objects.filter(case=case, contact_point_id=kept.pk).count() == 4  # history repointed
    merged = ChangeLog.objects.filter(action="contact:merged")
    assert sorted(int(c.subject_id) for c in merged) == sorted([wide.pk, home.pk, spouse.pk])
    assert {(c.after or {}).get("into") for c in merged} == {own.pk}
