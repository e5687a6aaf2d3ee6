"""The official holiday table: imported all or nothing, read by the gate, warned about on the team page."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from huikuan import clock
from huikuan.audit.models import ChangeLog
from huikuan.clock import FixedClock
from huikuan.compliance.actions import ask_gate
from huikuan.compliance.models import GateSource
from huikuan.compliance.pack import current_pack
from huikuan.holidays.models import OfficialDay
from huikuan.kernel.holidays import day_info
from huikuan.strategy.executors import run_strategy
from huikuan.strategy.models import WorkItem
from tests.conftest import Personas, client_for
from tests.followup.plans import plan_on
from tests.strategy.conftest import CaseMaker

ARRANGEMENT_2027 = """calendar,date,kind,name
cn,2027-10-01,holiday,国庆节
cn,2027-10-02,holiday,国庆节
cn,2027-10-03,holiday,国庆节
cn,2027-10-04,holiday,国庆节
cn,2027-10-05,holiday,国庆节
cn,2027-10-06,holiday,国庆节
cn,2027-10-07,holiday,国庆节
cn,2027-09-26,workday,国庆节调休
cn,2027-10-09,workday,国庆节调休
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "holidays.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_import_command_replaces_the_years_in_the_file_and_the_gate_reads_them(
    db: None, tmp_path: Path, make_case: CaseMaker
) -> None:
    case = make_case(dpd=40)
    point = case.debtor.contact_points.get(kind="mobile")
    fifth = datetime(2027, 10, 5, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, a holiday the library cannot know
    assert ask_gate(case, point, "sms", source=GateSource.OUTBOX, at=fifth, automated=True).allowed

    OfficialDay.objects.create(calendar="cn", day="2027-05-03", kind="holiday", name="旧的")
    call_command("holidays_import", str(write(tmp_path, ARRANGEMENT_2027)))
    assert OfficialDay.objects.filter(calendar="cn", day__year=2027).count() == 9
    assert not OfficialDay.objects.filter(name="旧的").exists()  # the year is replaced whole
    assert ChangeLog.objects.filter(action="holidays:imported").count() == 1

    answer = ask_gate(case, point, "sms", source=GateSource.OUTBOX, at=fifth, automated=True)
    assert not answer.allowed
    assert [r.rule_id for r in answer.decision.reasons] == ["cn.automated_holiday"]
    assert (
        answer.decision.next_allowed_at is not None
        and answer.decision.next_allowed_at.date().isoformat() == "2027-10-08"
    )


def test_the_table_overrides_the_library_for_a_make_up_working_day(db: None, tmp_path: Path) -> None:
    saturday = datetime(2027, 10, 9).date()
    assert not day_info(current_pack().calendar, saturday).working_day
    call_command("holidays_import", str(write(tmp_path, ARRANGEMENT_2027)))
    assert day_info(current_pack().calendar, saturday).working_day


def test_a_file_with_errors_imports_nothing_and_names_each_error(db: None, tmp_path: Path) -> None:
    bad = ARRANGEMENT_2027 + "cn,2027-10-08,workday,周五调休\ncn,2027-02-30,holiday,春节\n"
    with pytest.raises(CommandError) as raised:
        call_command("holidays_import", str(write(tmp_path, bad)))
    text = str(raised.value)
    assert "row 11, column kind" in text and "row 12, column date" in text
    assert not OfficialDay.objects.exists()


def test_the_team_page_warns_from_november_when_next_year_is_missing(personas: Personas, tmp_path: Path) -> None:
    lead = client_for(personas.lena)
    with clock.use(FixedClock(datetime(2026, 10, 31, 4, 0, tzinfo=UTC))):
        assert 'data-testid="holidays-missing"' not in lead.get("/work/team/").content.decode()
    with clock.use(FixedClock(datetime(2026, 11, 1, 4, 0, tzinfo=UTC))):
        page = lead.get("/work/team/").content.decode()
        assert 'data-testid="holidays-missing"' in page and "2027" in page
        # The admin's table of official days is a link only for whoever may open it: a lead (staff, for the
        # admin's other pages) would be answered 403 there.
        table = reverse("admin:holidays_officialday_changelist")
        assert table not in page and lead.get(table).status_code == 403
        admin = client_for(personas.adam)
        assert table in admin.get("/work/team/").content.decode() and admin.get(table).status_code == 200
        call_command("holidays_import", str(write(tmp_path, ARRANGEMENT_2027)))
        assert 'data-testid="holidays-missing"' not in lead.get("/work/team/").content.decode()


def test_a_make_up_saturday_in_the_table_is_a_working_day_for_the_strategy(
    champion: Any, tmp_path: Path, make_case: CaseMaker
) -> None:
    """The library thinks Saturday 9 October 2027 a weekend; the imported arrangement makes it a working day: the
    missed instalment of Friday the 8th is called that Saturday, in the weekday morning window."""
    saturday = date(2027, 10, 9)
    case = make_case(dpd=40)
    plan_on(case, [date(2027, 10, 8)])
    run_strategy(saturday)
    assert not WorkItem.objects.filter(case=case, as_of=saturday, action="call").exists()
    call_command("holidays_import", str(write(tmp_path, ARRANGEMENT_2027)))
    run_strategy(saturday)
    call = WorkItem.objects.get(case=case, as_of=saturday, action="call")
    assert call.rule == "instalment_missed_call"
    assert call.window_start == datetime(2027, 10, 9, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai, the weekday window


def test_the_shipped_2026_example_imports_and_agrees_with_the_library_on_every_day(db: None) -> None:
    """examples/holidays-cn-2026.csv is the 2026 arrangement written from the library: imported, the table must
    answer every day of 2026 as the library does (the format and the override lose nothing)."""
    from datetime import timedelta

    from tests.strategy.conftest import ROOT

    call_command("holidays_import", str(ROOT / "examples" / "holidays-cn-2026.csv"))
    table = current_pack().calendar
    day = date(2026, 1, 1)
    while day.year == 2026:
        ours, library = day_info(table, day), day_info("cn", day)
        assert (ours.public_holiday, ours.working_day) == (library.public_holiday, library.working_day), day
        day += timedelta(days=1)
