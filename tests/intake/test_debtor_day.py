"""The import dates a debtor's balances and opens their case by the debtor's day, not the server's."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from huikuan.cases.models import Case
from huikuan.intake.importer import import_accounts
from huikuan.portfolio.models import Debtor, LedgerEntry
from tests.intake.test_import import HEADER, row, write

# 23:30 on 3 November in Shanghai (the server's zone) is 00:30 on 4 November in Tokyo.
LATE_EVENING = datetime(2025, 11, 3, 23, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.mark.django_db
def test_a_tokyo_debtor_imported_after_their_midnight_is_dated_and_delinquent_by_their_day(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: object
) -> None:
    monkeypatch.setattr("django.utils.timezone.now", lambda: LATE_EVENING.astimezone(UTC))
    rows = [
        row(customer_no="C-T", contract_no="HT-T", due_date="2025-11-03", time_zone="Asia/Tokyo"),
        row(customer_no="C-S", contract_no="HT-S", due_date="2025-11-03", time_zone="", mobile="13700002222"),
    ]
    report = import_accounts(write(tmp_path / "zones.csv", rows, [*HEADER, "time_zone"]))
    assert report.ok, report.error_lines()
    tokyo, shanghai = Debtor.objects.get(customer_no="C-T"), Debtor.objects.get(customer_no="C-S")
    assert shanghai.time_zone == "Asia/Shanghai"  # none given: the DEFAULT_DEBTOR_TIME_ZONE setting
    days = dict(LedgerEntry.objects.values_list("account__debtor_id", "effective_date").distinct())
    assert days == {tokyo.pk: date(2025, 11, 4), shanghai.pk: date(2025, 11, 3)}
    # Due on the 3rd: late on the 4th in Tokyo, due today in Shanghai.
    assert list(Case.objects.values_list("debtor_id", flat=True)) == [tokyo.pk]


@pytest.mark.django_db
def test_a_row_without_a_zone_takes_the_setting(tmp_path: Path, settings: object) -> None:
    settings.DEFAULT_DEBTOR_TIME_ZONE = "Europe/London"  # type: ignore[attr-defined]
    report = import_accounts(write(tmp_path / "one.csv", [row()]))
    assert report.ok, report.error_lines()
    assert Debtor.objects.get().time_zone == "Europe/London"
