"""Who sees the cases an import leaves without a collector: what the import page says after a file is in.

A collector sees only the cases they hold, a team lead their team's, QA, legal and administrators all
(``org.visibility``). A lead's file puts every case it opens in the lead's team, without a collector unless
the file names one: until the case is assigned (by the lead, or dealt by the nightly strategy run when the
policy gives it a call or a visit) only the lead sees it. An administrator's file without a team column
opens cases of no team, which no lead and no collector sees. The page says which of these it is, with the
numbers, so nobody wonders where the cases went.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q

from huikuan.cases.models import Case, CaseStatus
from huikuan.org.permissions import can_lead_team

WORKED = (CaseStatus.OPEN, CaseStatus.ON_HOLD)


@dataclass(frozen=True)
class Audience:
    lead: bool  # the importer leads a team (and so can assign its cases)
    team: str  # the importer's team, for a lead
    team_unassigned: int  # open cases of the lead's team with no collector
    no_team: int  # open cases of no team (an administrator's file without a team column)
    unassigned: int  # open cases with a team and no collector, every team (for an administrator)


def import_audience(user: Any) -> Audience:
    """Where the open cases without a collector stand after an import by ``user`` (one grouped query)."""
    lead = can_lead_team(user) and getattr(user, "team_id", None) is not None
    team_id = user.team_id if lead else None
    counts = Case.objects.filter(status__in=WORKED, assignee__isnull=True).aggregate(
        no_team=Count("id", filter=Q(team__isnull=True)),
        unassigned=Count("id", filter=Q(team__isnull=False)),
        team=Count("id", filter=Q(team_id=team_id)) if team_id is not None else Count("id", filter=Q(pk__in=[])),
    )
    return Audience(
        lead=lead,
        team=str(user.team) if lead else "",
        team_unassigned=counts["team"],
        no_team=counts["no_team"],
        unassigned=counts["unassigned"],
    )
