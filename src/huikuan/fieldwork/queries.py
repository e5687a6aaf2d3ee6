"""Reading visits: a case's visits (for the evidence pack and the API) and a collector's day of visits.

``visits_of_case`` is the query the layers above call (the legal app's evidence pack): it returns the
visits with their attachments, oldest first, each attachment with its SHA-256 and its stored file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from itertools import groupby
from typing import Any

from django.db.models import Prefetch, Sum

from huikuan.cases.models import Case
from huikuan.compliance.facts import gate_facts
from huikuan.fieldwork.actions import VISIT, visit_address
from huikuan.fieldwork.models import Visit, VisitAttachment
from huikuan.kernel.compliance import gate
from huikuan.kernel.visits import district_of
from huikuan.org.training import collector_of
from huikuan.portfolio.models import AccountBalance, ContactPoint
from huikuan.strategy.models import WorkItem, WorkStatus
from huikuan.workbench.views_data import VISIT_PARTY, preview, reason_text


def visits_of_case(case_id: int) -> list[Visit]:
    """Every visit of the case, oldest first, with both collectors, the interaction and the attachments."""
    return list(
        Visit.objects.filter(case_id=case_id)
        .select_related("collector", "second_collector", "interaction", "address", "promise", "plan")
        .prefetch_related(Prefetch("attachments", queryset=VisitAttachment.objects.order_by("pk")))
        .order_by("arrived_at", "pk")
    )


@dataclass
class VisitRow:
    item: WorkItem
    case: Case
    address: ContactPoint | None
    district: str
    amount: Decimal
    done: bool
    allowed: bool
    next_at: datetime | None
    gate_reason: str


@dataclass
class District:
    name: str
    rows: list[VisitRow] = field(default_factory=list)


def visit_day(user: Any, day: date, now: datetime, lang: str) -> list[District]:
    """The user's planned visits of ``day`` grouped by district (the address's city and district), the
    districts in name order and, within one, the highest priority first; "" is the group of addresses that
    name no district. Done visits stay on the list, marked."""
    items = list(
        WorkItem.objects.filter(assignee_id=user.pk, as_of=day, action=VISIT)
        .exclude(status=WorkStatus.CANCELLED)
        .select_related("case__debtor")
        .order_by("-priority", "pk")
    )
    cases = [i.case for i in items]
    facts = gate_facts(cases, now)
    balances = case_balances_of(cases)
    collector = collector_of(user)
    rows = []
    for item in items:
        address = visit_address(item.case, item)
        decision = preview(item.case, address, gate.Channel.VISIT, facts, now, collector, collectors=VISIT_PARTY)
        rows.append(
            VisitRow(
                item=item,
                case=item.case,
                address=address,
                district=district_of(address.value) if address is not None else "",
                amount=balances.get(item.case.pk, Decimal("0")),
                done=item.status == WorkStatus.DONE,
                allowed=decision.allowed,
                next_at=decision.next_allowed_at,
                gate_reason=reason_text(decision, lang),
            )
        )
    rows.sort(key=lambda r: (r.district == "", r.district))
    return [District(name, list(group)) for name, group in groupby(rows, key=lambda r: r.district)]


def case_balances_of(cases: Sequence[Case]) -> dict[int, Decimal]:
    """What each case's debtor owes, in one query."""
    case_of = {case.debtor_id: case.pk for case in cases}
    rows = (
        AccountBalance.objects.filter(account__debtor_id__in=list(case_of))
        .values("account__debtor_id")
        .annotate(total=Sum("total"))
    )
    return {case_of[row["account__debtor_id"]]: row["total"] for row in rows}
