"""Issue 27, item 3: collectors trained before they start and yearly (cn.collector_training).

A team that requires training keeps a collector without a passed training in the last 12 months off live
contact: the gate refuses their calls on every path, the queue says why with the rule's source, and "next
case" offers nothing. A lead records courses for their own team on the training page.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from huikuan.audit.models import ChangeLog
from huikuan.compliance.actions import ask_gate
from huikuan.compliance.models import ContactDecision, GateSource
from huikuan.org.models import TrainingRecord
from huikuan.org.training import TrainingError, collector_of, record_training
from huikuan.workbench.views_data import next_case_id
from tests.conftest import Personas, client_for
from tests.workbench.fixtures import CaseMaker


@pytest.fixture
def strict(personas: Personas) -> Personas:
    personas.team_a.training_required = True
    personas.team_a.save()
    return personas


def test_an_untrained_collector_of_a_strict_team_is_refused_and_a_recorded_course_lifts_it(
    strict: Personas, make_case: CaseMaker
) -> None:
    case = make_case(12)
    point = case.debtor.contact_points.get(kind="mobile")
    refused = ask_gate(case, point, "call", source=GateSource.WORKBENCH, user=strict.alice)
    assert not refused.allowed and refused.decision.blocking_rule == "cn.collector_training"
    logged = ContactDecision.objects.get(case=case)
    assert logged.rule_ids == ["cn.collector_training"] and logged.user == strict.alice
    record_training(strict.lena, strict.alice, "催收合规年度培训", timezone.localdate() - timedelta(days=3))
    assert ask_gate(case, point, "call", source=GateSource.WORKBENCH, user=strict.alice).allowed


def test_a_course_older_than_twelve_months_does_not_count(strict: Personas, make_case: CaseMaker) -> None:
    case = make_case(12)
    point = case.debtor.contact_points.get(kind="mobile")
    today = timezone.localdate()
    TrainingRecord.objects.create(user=strict.alice, title="入职培训", passed_on=today.replace(year=today.year - 2))
    collector = collector_of(strict.alice)
    assert collector is not None and collector.training_required
    answer = ask_gate(case, point, "call", source=GateSource.WORKBENCH, user=strict.alice)
    assert answer.decision.blocking_rule == "cn.collector_training"


def test_a_team_that_does_not_require_training_is_not_held(personas: Personas, make_case: CaseMaker) -> None:
    case = make_case(12)
    point = case.debtor.contact_points.get(kind="mobile")
    assert ask_gate(case, point, "call", source=GateSource.WORKBENCH, user=personas.alice).allowed


def test_the_queue_says_why_with_the_source_and_next_case_offers_nothing(
    strict: Personas, make_case: CaseMaker
) -> None:
    make_case(12)
    page = client_for(strict.alice).get("/work/").content.decode()
    assert 'data-testid="training-lapsed"' in page and "cn.collector_training" in page
    assert "催收工作指引" in page  # the rule's source
    now = timezone.now()
    assert next_case_id(strict.alice, timezone.localdate(now), now) is None
    record_training(strict.lena, strict.alice, "年度培训", timezone.localdate())
    page = client_for(strict.alice).get("/work/").content.decode()
    assert 'data-testid="training-lapsed"' not in page
    assert next_case_id(strict.alice, timezone.localdate(now), now) is not None


def test_who_may_record_training_and_what_is_refused(strict: Personas) -> None:
    today = timezone.localdate()
    with pytest.raises(PermissionDenied):
        record_training(strict.bob, strict.alice, "自学", today)
    with pytest.raises(PermissionDenied):
        record_training(strict.lena, strict.carol, "另一组的培训", today)  # carol is in team B
    with pytest.raises(TrainingError, match=r"title|名称"):
        record_training(strict.lena, strict.alice, "   ", today)
    with pytest.raises(TrainingError, match=r"future|将来"):
        record_training(strict.lena, strict.alice, "明天的课", today + timedelta(days=1))
    assert not TrainingRecord.objects.exists()
    record = record_training(strict.adam, strict.carol, "管理员登记", today)
    change = ChangeLog.objects.get(action="training:record")
    assert change.user == strict.adam and change.subject_id == str(record.pk)
    assert change.after is not None and change.after["passed_on"] == today.isoformat()


def test_the_training_page_lists_the_team_and_records_a_course(strict: Personas) -> None:
    lead = client_for(strict.lena)
    page = lead.get("/work/team/training/").content.decode()
    assert "alice" in page and "bob" in page and "carol" not in page
    assert f'data-user="{strict.alice.pk}" data-live="refused"' in page
    bad = lead.post("/work/team/training/", {"user": strict.alice.pk, "title": "年度培训", "passed_on": "2026-02-30"})
    assert bad.status_code == 400 and not TrainingRecord.objects.exists()
    foreign = lead.post("/work/team/training/", {"user": strict.carol.pk, "title": "x", "passed_on": "2026-01-05"})
    assert foreign.status_code == 400 and not TrainingRecord.objects.exists()
    done = lead.post(
        "/work/team/training/",
        {"user": strict.alice.pk, "title": "年度培训", "passed_on": timezone.localdate().isoformat(), "kind": "course"},
    )
    assert done.status_code == 302
    page = lead.get("/work/team/training/").content.decode()
    assert f'data-user="{strict.alice.pk}" data-live="allowed"' in page
    assert f'data-user="{strict.bob.pk}" data-live="refused"' in page
    assert TrainingRecord.objects.get().recorded_by == strict.lena
    assert client_for(strict.alice).get("/work/team/training/").status_code == 403


def test_the_command_records_and_lists(strict: Personas, capsys: Any) -> None:
    call_command("training", "record", "alice", "--title", "入职培训", "--passed-on", "2026-01-10")
    call_command("training", "list", "--team", strict.team_a.name)
    out = capsys.readouterr().out
    assert "alice\tA组\t2026-01-10\trequired" in out and "bob\tA组\t-\trequired" in out
    with pytest.raises(CommandError, match="passed-on"):
        call_command("training", "record", "alice", "--title", "x", "--passed-on", "2026-13-01")
