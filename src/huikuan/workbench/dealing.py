"""A team lead's hand with the team's cases: assign chosen cases, or deal the unassigned ones out now.

A case a lead's import opens belongs to the lead's team and to no collector yet: the team lead sees it (case
list, "unassigned"), a collector only once it is theirs. The nightly strategy run deals such a case to a
collector when the policy gives it a call or a visit; ``deal_unassigned_cases`` does the same dealing now, for
every open unassigned case of the team, with the run's rule (``kernel.strategy.queue.deal``: the team's
collectors, else its lead, water-filled so that the cases each holds end as level as possible).
``assign_cases`` moves the cases a lead picked to one collector, each through ``reassign_case`` (the rule
of who may receive a case is there). Both are entry points; every assignment is in the change log.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

import polars as pl
from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from huikuan.audit.models import ChangeLog
from huikuan.audit.records import change_record
from huikuan.cases.access import visible_case_or_404
from huikuan.cases.models import Case, CaseStatus
from huikuan.kernel.strategy.queue import CALL, deal
from huikuan.org.models import User
from huikuan.org.permissions import can_lead_team, require
from huikuan.org.staff import active_staff
from huikuan.workbench.actions import reassign_case

# The statuses in which a case is worked and so needs someone holding it.
WORKED_STATUSES = (CaseStatus.OPEN, CaseStatus.ON_HOLD)


@dataclass(frozen=True)
class Dealt:
    assigned: int  # cases given a holder
    left: int  # cases nobody in the team can hold (no collector and no lead)


def unassigned_cases(lead: Any) -> Any:
    """The open cases of the lead's team that nobody holds."""
    if getattr(lead, "team_id", None) is None:
        return Case.objects.none()
    return Case.objects.filter(team_id=lead.team_id, assignee__isnull=True, status__in=WORKED_STATUSES)


def deal_unassigned_cases(lead: Any) -> Dealt:
    """Deal the team's unassigned open cases to its collectors as the nightly run would (see the module)."""
    require(can_lead_team(lead), _("Only the team's lead may assign its cases."))
    team_id: int | None = getattr(lead, "team_id", None)
    require(team_id is not None, _("You lead no team: there are no team cases to assign."))
    assert team_id is not None
    with transaction.atomic(durable=True):
        cases = list(
            unassigned_cases(lead).select_for_update().order_by("oldest_due_date", "id").values_list("id", flat=True)
        )
        if not cases:
            return Dealt(0, 0)
        held = dict(
            Case.objects.filter(team_id=team_id, status__in=WORKED_STATUSES, assignee__isnull=False)
            .values("assignee_id")
            .annotate(n=Count("id"))
            .values_list("assignee_id", "n")
        )
        staff = [replace(s, workload=held.get(s.user_id, 0)) for s in active_staff() if s.team_id == team_id]
        # Oldest debts first: the water-filling hands out the most urgent cases round the team first.
        items = pl.DataFrame(
            {
                "case_id": cases,
                "action": [CALL] * len(cases),
                "team_id": [team_id] * len(cases),
                "assignee_id": [None] * len(cases),
                "specialist": [False] * len(cases),
                "priority": list(range(len(cases), 0, -1)),
            },
            schema={"case_id": pl.Int64, "action": pl.Utf8, "team_id": pl.Int64, "assignee_id": pl.Int64,
                    "specialist": pl.Boolean, "priority": pl.Int64},
        )  # fmt: skip
        owners = {case_id: owner for case_id, owner in deal(items, staff).owners.iter_rows() if owner is not None}
        by_owner: dict[int, list[int]] = {}
        for case_id, owner in owners.items():
            by_owner.setdefault(owner, []).append(case_id)
        for owner, ids in by_owner.items():
            Case.objects.filter(pk__in=ids).update(assignee_id=owner)
        ChangeLog.objects.bulk_create(
            [
                change_record(lead, Case(pk=case_id), "case:dealt", {"assignee": None}, {"assignee": owner})
                for case_id, owner in owners.items()
            ]
        )
    return Dealt(len(owners), len(cases) - len(owners))


def assign_cases(lead: Any, case_ids: Iterable[int], to: User, reason: str) -> int:
    """Each chosen case to ``to`` through ``reassign_case`` (its checks, its change log); how many moved.

    A case the lead may not see is answered as one that does not exist (404), before anything moves.
    """
    require(can_lead_team(lead), _("Only the team's lead may reassign its cases."))
    cases = [visible_case_or_404(lead, case_id) for case_id in dict.fromkeys(case_ids)]
    if not cases:
        raise ValueError(_("Tick the cases to assign."))
    for case in cases:
        reassign_case(lead, case, to, reason)
    return len(cases)
