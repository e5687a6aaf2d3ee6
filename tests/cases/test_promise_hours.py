"""The promises-per-hour counts the database keeps equal the promises counted, whatever wrote the promises.

The dashboard's self-service share over the whole portfolio reads them (cases.counts.promises_created)
instead of counting every promise of its period; the triggers that keep them (migration cases 0010) must
follow one promise and many at once, a creation time moved, a deleted promise and a deleted case, and a
period of a zone's whole days must sum whole hours only.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from huikuan.cases.counts import compact_promise_hours, promises_created
from huikuan.cases.models import Case, Promise, PromiseHour
from huikuan.portfolio.models import Debtor
from tests.conftest import Personas

SHANGHAI = ZoneInfo("Asia/Shanghai")
BASE = datetime(2026, 11, 10, 15, 59, 59, 999999, tzinfo=UTC)  # one microsecond before a Shanghai midnight


def _case(n: int) -> Case:
    debtor = Debtor.objects.create(customer_no=f"P-{n}", name="王芳")
    return Case.objects.create(debtor=debtor, oldest_due_date=date(2026, 1, 1))


def _promise(case: Case, at: datetime) -> Promise:
    return Promise.objects.create(case=case, amount=Decimal("50.00"), due_date=date(2026, 12, 1), created_at=at)


def _periods() -> list[tuple[datetime, datetime]]:
    """Shanghai days and weeks around the promises, UTC hours, and a window that is not whole hours."""
    midnight = datetime(2026, 11, 9, tzinfo=SHANGHAI)
    days = [(midnight + timedelta(days=d), midnight + timedelta(days=d + 1)) for d in range(4)]
    hours = [(BASE.replace(minute=0, second=0, microsecond=0) + timedelta(hours=h),) * 2 for h in range(-2, 3)]
    return [
        *days,
        (midnight, midnight + timedelta(days=7)),
        *((start, start + timedelta(hours=1)) for start, _end in hours),
        (BASE - timedelta(minutes=30), BASE + timedelta(minutes=30)),
    ]


def _agree() -> None:
    for start, end in _periods():
        counted = Promise.objects.filter(created_at__gte=start, created_at__lt=end).count()
        assert promises_created(start, end) == counted, (start, end)


def test_the_kept_hours_follow_every_write_and_sum_to_each_period(personas: Personas) -> None:
    first, second, third = _case(1), _case(2), _case(3)
    moved = _promise(first, BASE)  # the last instant of a Shanghai day
    _promise(first, BASE + timedelta(microseconds=1))  # the first of the next
    _promise(second, BASE + timedelta(hours=5))
    Promise.objects.bulk_create(  # one statement, several hours
        [
            Promise(
                case=third, amount=Decimal("10.00"), due_date=date(2026, 12, 1), created_at=BASE + timedelta(hours=h)
            )
            for h in (-30, -1, 0, 0, 2, 49)
        ]
    )
    assert Promise.objects.filter(created_at__gte=BASE - timedelta(days=2)).count() == 9
    _agree()
    assert promises_created(datetime(2026, 11, 11, tzinfo=SHANGHAI), datetime(2026, 11, 12, tzinfo=SHANGHAI)) == 3

    rows = PromiseHour.objects.count()
    Promise.objects.filter(case=second).update(state="kept")  # a change the counts do not see
    assert PromiseHour.objects.count() == rows
    Promise.objects.filter(pk=moved.pk).update(created_at=BASE + timedelta(days=1))  # a creation time moved
    _agree()
    Promise.objects.filter(pk=moved.pk).delete()
    _agree()
    third.delete()  # its promises go with it
    _agree()


def test_folding_keeps_each_hour(personas: Personas) -> None:
    case = _case(9)
    for minutes in (0, 10, 20, 70, 130):
        _promise(case, BASE + timedelta(minutes=minutes))
    Promise.objects.filter(created_at__gte=BASE + timedelta(minutes=100)).delete()
    before = [promises_created(start, end) for start, end in _periods()]
    compact_promise_hours()
    assert [promises_created(start, end) for start, end in _periods()] == before
    _agree()
    assert PromiseHour.objects.exclude(n=0).count() == PromiseHour.objects.count() == 3  # one row an hour
    assert compact_promise_hours() == 0
