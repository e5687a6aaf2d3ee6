"""A case with a postal address and today's planned visit, held by Alice (as the nightly run leaves it).

Shared with the browser test. The debtor lives where it is early afternoon now (tests/workbench/fixtures.py),
so quiet hours decide only the test that places the visit in them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from huikuan.cases.models import Case
    from huikuan.strategy.models import WorkItem

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + bytes(range(256)) * 4
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

VisitCase = Callable[..., tuple["Case", "WorkItem"]]


@pytest.fixture
def visit_case(make_case: Callable[..., Case]) -> VisitCase:
    from huikuan.portfolio.models import ContactPoint
    from huikuan.strategy.models import WorkItem

    def make(address: str = "上海市浦东新区张江路1号", *, assignee: Any = None, **kwargs: Any) -> tuple[Case, WorkItem]:
        case = make_case(120, assignee=assignee, **kwargs)
        postal = ContactPoint.objects.create(debtor=case.debtor, kind="postal", value=address)
        call = WorkItem.objects.get(case=case, action="call")
        item = WorkItem.objects.create(
            run=call.run, as_of=call.as_of, case=case, action="visit", channel="visit", template="late_visit",
            rule="late_visit", contact_point=postal, party="debtor", window_start=call.window_start,
            window_end=call.window_end + timedelta(hours=4), priority=70, stage="late", behaviour=call.behaviour,
            segment=call.segment, queue="collector", policy_version=call.policy_version,
            reason="M4+ · 失联 → 上门外访", reason_en="unreachable → visit", assignee=case.assignee,
            created_at=call.created_at,
        )  # fmt: skip
        return case, item

    return make
