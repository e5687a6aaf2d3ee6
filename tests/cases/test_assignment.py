"""Moving many cases at once: the same trace in the change log as a lead's reassignment of one case."""

from __future__ import annotations

from datetime import date

from django.utils import timezone

from huikuan.audit.models import ChangeLog
from huikuan.cases.assignment import reassign_cases
from huikuan.cases.models import Case
from huikuan.portfolio.models import Debtor
from huikuan.workbench.actions import reassign_case
from tests.conftest import Personas


def _cases(count: int, assignee_id: int | None) -> list[Case]:
    debtors = [Debtor.objects.create(customer_no=f"C-{n}", name="王芳") for n in range(count)]
    return [Case.objects.create(debtor=d, assignee_id=assignee_id, oldest_due_date=date(2026, 1, 1)) for d in debtors]


def test_each_moved_case_is_logged_once_and_a_case_already_held_is_left_alone(personas: Personas) -> None:
    alice, bob = personas.alice, personas.bob
    first, second, third = _cases(3, alice.pk)
    Case.objects.filter(pk=third.pk).update(assignee_id=bob.pk)
    moved = reassign_cases(
        [(first.pk, bob.pk), (second.pk, bob.pk), (third.pk, bob.pk)], detail={"reason": "strategy run", "run": 7}
    )
    assert moved == 2
    assert set(Case.objects.values_list("assignee_id", flat=True)) == {bob.pk}
    logged = {c.subject_id: c for c in ChangeLog.objects.filter(action="case:reassigned")}
    assert set(logged) == {str(first.pk), str(second.pk)}
    change = logged[str(first.pk)]
    assert (change.subject_type, change.user_id) == ("cases.case", None)
    assert change.before == {"assignee": alice.pk, "reason": None, "run": None}
    assert change.after == {"assignee": bob.pk, "reason": "strategy run", "run": 7}
    assert abs((timezone.now() - change.at).total_seconds()) < 60
    assert reassign_cases([(first.pk, bob.pk)], detail={"reason": "again"}) == 0
    assert ChangeLog.objects.filter(action="case:reassigned").count() == 2


def test_a_case_without_an_assignee_gets_one_and_the_log_says_it_had_none(personas: Personas) -> None:
    (case,) = _cases(1, None)
    assert reassign_cases([(case.pk, personas.alice.pk)], user=personas.lena, detail={"reason": "x"}) == 1
    change = ChangeLog.objects.get(action="case:reassigned")
    assert (change.before, change.user_id) == ({"assignee": None, "reason": None}, personas.lena.pk)


def test_the_bulk_form_logs_what_a_leads_reassignment_logs(personas: Personas) -> None:
    """Same action, same subject, same keys: whoever reads a case's history reads both alike."""
    one, other = _cases(2, personas.alice.pk)
    Case.objects.filter(pk__in=[one.pk, other.pk]).update(team_id=personas.team_a.pk)
    lead = personas.lena
    reassign_case(lead, one, personas.bob, "holiday cover")
    reassign_cases([(other.pk, personas.bob.pk)], user=lead, detail={"reason": "holiday cover"})
    manual, bulk = (ChangeLog.objects.get(action="case:reassigned", subject_id=str(c.pk)) for c in (one, other))
    assert (manual.subject_type, manual.user_id) == (bulk.subject_type, bulk.user_id)
    assert manual.after and bulk.after and manual.before and bulk.before
    assert manual.after["assignee"] == bulk.after["assignee"] and manual.after["reason"] == bulk.after["reason"]
    assert manual.before["assignee"] == bulk.before["assignee"] == personas.alice.pk
