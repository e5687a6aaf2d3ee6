"""The snapshot's SQL forms of kernel.lifecycle.in_collection and kernel.contacts.counts_toward_unreachable (failed
calls, and visits that found the address invalid) agree with them."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huikuan.cases.models import Case, Interaction
from huikuan.kernel import contacts, lifecycle
from huikuan.portfolio.models import Debtor
from huikuan.strategy.snapshot import read_snapshot
from tests.conftest import AS_OF

case = st.tuples(
    st.sampled_from(list(lifecycle.CaseStatus)),
    st.none() | st.dates(min_value=AS_OF - timedelta(days=5), max_value=AS_OF + timedelta(days=5)),
    st.lists(
        st.tuples(
            st.sampled_from(["call", "sms", "visit"]),
            st.sampled_from(list(contacts.Outcome)),
            st.integers(min_value=1, max_value=40 * 24),  # hours before the run's day starts
        ),
        max_size=6,
    ),
)


@pytest.mark.django_db
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(case, min_size=1, max_size=6))
def test_the_snapshot_reads_the_kernels_cases_in_collection_and_failed_attempts(
    cases: list[tuple[lifecycle.CaseStatus, date | None, list[tuple[str, contacts.Outcome, int]]]],
) -> None:
    day = datetime.combine(AS_OF, time(0), tzinfo=ZoneInfo(django_settings.TIME_ZONE))
    with transaction.atomic():
        expected: dict[int, int] = {}
        for n, (status, oldest, calls) in enumerate(cases):
            debtor = Debtor.objects.create(customer_no=f"S-{n}", name="王芳")
            row = Case.objects.create(debtor=debtor, status=status, oldest_due_date=oldest)
            failed = 0
            for channel, outcome, hours in calls:
                at = day - timedelta(hours=hours)
                Interaction.objects.create(case=row, channel=channel, outcome=outcome, at=at)
                if contacts.counts_toward_unreachable(channel, outcome) and at >= day - timedelta(days=30):
                    failed += 1
            if lifecycle.in_collection(status, oldest, AS_OF):
                expected[row.pk] = failed
        snapshot = read_snapshot(AS_OF)
        assert dict(snapshot.select("case_id", "failed_attempts_30d").iter_rows()) == expected
        transaction.set_rollback(True)
