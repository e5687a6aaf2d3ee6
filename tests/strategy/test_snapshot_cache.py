"""The history a run keeps for the day's re-runs (strategy.snapshot_cache; PostgreSQL, real transactions).

Each test runs a real first run (which deals assignees and keeps its history), changes the book the way the
product does, and checks that the re-run's snapshot, built from the kept history and the changed cases read
again, is the snapshot a whole read gives, and that it read only the changed cases.
"""

from __future__ import annotations

import importlib
import random
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from django.conf import settings
from django.db import connection, transaction
from polars.testing import assert_frame_equal

from huikuan.cases.models import Case, Interaction, Outcome, Promise
from huikuan.comms.models import Message, TemplateVersion, VersionStatus
from huikuan.comms.templates import seed_default_templates
from huikuan.org.models import User
from huikuan.payments.models import Instalment, RepaymentPlan
from huikuan.portfolio.models import AccountBalance, ContactPoint, Debtor, LedgerEntry
from huikuan.strategy import run as strategy_run
from huikuan.strategy import snapshot_cache
from huikuan.strategy.executors import run_strategy
from huikuan.strategy.models import WorkItem
from huikuan.strategy.run import AUTOMATIC_ACTIONS
from huikuan.strategy.snapshot import COUNTED_INTERACTIONS, Shard, read_snapshot
from huikuan.strategy.snapshot_cache import compact, keep_history, take_snapshot
from tests.conftest import AS_OF

from .conftest import CaseMaker

# The kept history is PostgreSQL's (SQLite reads the whole snapshot every run): the PostgreSQL pass runs these.
pytestmark = pytest.mark.postgres


@pytest.fixture
def book(transactional_db: None, champion: Any, make_case: CaseMaker) -> list[Case]:
    seed_default_templates()
    cases = [make_case(dpd) for dpd in (2, 5, 13, 31, 45, 60, 95, 120)]
    cases.append(make_case(40, promises=(("pending", 3), ("broken", -4))))
    cases.append(make_case(70, outcomes=("no_answer", "refusal")))
    return cases


def _rerun_snapshot() -> tuple[Any, pl.DataFrame]:
    shard = Shard()
    taken = take_snapshot(AS_OF, shard)
    return taken, read_snapshot(AS_OF, shard)


def _past(days: int) -> datetime:
    return datetime.combine(AS_OF - timedelta(days=days), time(3), tzinfo=UTC)


def _balance(case: Case) -> None:
    AccountBalance.objects.filter(account__debtor=case.debtor).update(total=Decimal("99000.00"))


def _payment(case: Case) -> None:
    account = case.debtor.accounts.get()
    LedgerEntry.objects.create(
        account=account, kind="payment", reference="P-1", effective_date=AS_OF - timedelta(days=1),
        principal=Decimal("-100.00"),
    )  # fmt: skip


def _interaction(case: Case) -> None:
    Interaction.objects.create(case=case, channel="call", outcome="dispute", party="debtor", at=_past(3))


def _promise(case: Case) -> None:
    Promise.objects.filter(case=case, state="pending").update(state="broken")


def _do_not_contact(case: Case) -> None:
    ContactPoint.objects.filter(debtor=case.debtor, kind="mobile").update(do_not_contact=True)


def _hold(case: Case) -> None:
    Case.objects.filter(pk=case.pk).update(status="on_hold", hold_reason="dispute")


def _close(case: Case) -> None:
    Case.objects.filter(pk=case.pk).update(status="closed")


def _zone(case: Case) -> None:
    Debtor.objects.filter(pk=case.debtor_id).update(time_zone="Asia/Urumqi")


def _plan(case: Case) -> None:
    plan = RepaymentPlan.objects.create(
        case=case, kind="instalments", status="active", owed=Decimal("1000.00"), total=Decimal("1000.00")
    )
    Instalment.objects.create(plan=plan, n=1, due_date=AS_OF + timedelta(days=4), amount=Decimal("500.00"))
    Instalment.objects.create(plan=plan, n=2, due_date=AS_OF - timedelta(days=2), amount=Decimal("500.00"))


def _escalated_before(case: Case) -> None:
    item = WorkItem.objects.first()  # any of the run's items, made an escalation of this case three days ago
    assert item is not None
    WorkItem.objects.create(
        **{
            f.attname: getattr(item, f.attname)
            for f in WorkItem._meta.concrete_fields
            if f.attname not in ("id", "as_of", "action", "case_id")
        },
        case_id=case.pk,
        as_of=AS_OF - timedelta(days=3),
        action="escalate_specialist",
    )


def _reassigned(case: Case) -> None:
    holder = Case.objects.get(pk=case.pk).assignee_id
    other = next(user for user in User.objects.filter(is_active=True).order_by("pk") if user.pk != holder)
    Case.objects.filter(pk=case.pk).update(assignee=other)


CHANGES: dict[str, Callable[[Case], None]] = {
    "balance": _balance,
    "payment": _payment,
    "interaction": _interaction,
    "promise": _promise,
    "do_not_contact": _do_not_contact,
    "hold": _hold,
    "close": _close,
    "time_zone": _zone,
    "plan": _plan,
    "earlier_escalation": _escalated_before,
    "reassigned": _reassigned,
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_rerun_reads_only_the_changed_case_and_sees_what_a_whole_read_sees(book: list[Case], change: str) -> None:
    run_strategy(AS_OF, shards=1)
    unchanged, whole = _rerun_snapshot()
    assert unchanged.cached and unchanged.reread == 0
    # The run dealt assignees to the cases: the kept history has them, as the database does.
    assert_frame_equal(unchanged.frame, whole)
    assert whole.get_column("assignee_id").null_count() < whole.height

    CHANGES[change](book[8])
    taken, whole = _rerun_snapshot()
    assert taken.cached and taken.reread == 1
    assert_frame_equal(taken.frame, whole)
    assert not taken.frame.equals(unchanged.frame), "the change is one the snapshot shows"


def test_an_interaction_the_snapshot_does_not_count_is_not_journaled(book: list[Case]) -> None:
    """Every sent message leaves an interaction (an SMS that reached nobody): the journal skips the kinds the
    snapshot counts in no column (migration strategy 0014), so a day of sending reads nothing again. Every such
    combination, written after the kept read, leaves the whole read equal to the kept history."""
    run_strategy(AS_OF, shards=1)
    counted = {"refusal", "hardship", "dispute", "ended_abusive"}
    case = book[8]
    for channel in ("sms", "email", "letter"):
        for party in ("nobody", "third_party"):
            for said in Outcome.values:
                if said not in counted:
                    Interaction.objects.create(case=case, channel=channel, party=party, outcome=said, at=_past(3))
    taken, whole = _rerun_snapshot()
    assert taken.cached and taken.reread == 0
    assert_frame_equal(taken.frame, whole)
    # Nor does the next night read the case again for them: they are not among the interactions it counts.
    tomorrow = take_snapshot(AS_OF + timedelta(days=1), Shard())
    assert tomorrow.cached and case.pk not in tomorrow.changed
    assert_frame_equal(tomorrow.frame, read_snapshot(AS_OF + timedelta(days=1), Shard()))
    # The journal's triggers keep the rows the snapshot counts, in the migration's frozen copy of the text.
    assert importlib.import_module("huikuan.strategy.migrations.0014_journal_interactions_read").READ == (
        COUNTED_INTERACTIONS
    )
    # The same channels reaching the debtor, or with an outcome the snapshot counts, are journaled.
    for party, outcome in (("debtor", "sent"), ("nobody", "refusal")):
        Interaction.objects.create(case=case, channel="sms", party=party, outcome=outcome, at=_past(3))
        taken, whole = _rerun_snapshot()
        assert taken.reread == 1
        assert_frame_equal(taken.frame, whole)


def test_a_new_case_comes_in_and_a_rerun_plans_what_a_run_from_nothing_plans(
    book: list[Case], make_case: CaseMaker
) -> None:
    run_strategy(AS_OF, shards=2)
    make_case(33)
    _balance(book[3])
    second = run_strategy(AS_OF, shards=2).run
    assert second is not None
    assert second.details["snapshot"] == {"cached_shards": 2, "reread": 2}
    standing = sorted(WorkItem.objects.values_list("case_id", "action", "reason", "assignee_id", "window_start"))
    # The same day planned from a whole read: no kept history (another shard count), nothing pending.
    WorkItem.objects.all().delete()
    third = run_strategy(AS_OF, shards=1).run
    assert third is not None and third.details["snapshot"] == {"cached_shards": 0, "reread": 0}
    assert sorted(WorkItem.objects.values_list("case_id", "action", "reason", "assignee_id", "window_start")) == (
        standing
    )


def test_a_rerun_from_the_kept_history_rewrites_only_the_items_of_the_changed_case(book: list[Case]) -> None:
    first = run_strategy(AS_OF, shards=2).run
    assert first is not None
    before = {(w.case_id, w.action): (w.pk, w.run_id) for w in WorkItem.objects.all()}
    changed = book[4]
    _balance(changed)  # the reason chain names the balance: each of the case's items reads differently
    second = run_strategy(AS_OF, shards=2).run
    assert second is not None and second.details["snapshot"] == {"cached_shards": 2, "reread": 1}
    after = {(w.case_id, w.action): (w.pk, w.run_id) for w in WorkItem.objects.all()}
    assert after.keys() == before.keys()
    rewritten = {key for key in after if after[key] != before[key]}
    assert rewritten == {key for key in after if key[0] == changed.pk} and rewritten
    assert second.details["inserted"] == second.details["deleted"] == len(rewritten)
    # A collector finishes an item: the journal names its case, the re-run leaves the item done.
    done = WorkItem.objects.exclude(case=changed).filter(status="pending").first()
    assert done is not None
    WorkItem.objects.filter(pk=done.pk).update(status="done")
    third = run_strategy(AS_OF, shards=2).run
    assert third is not None and third.details["snapshot"]["reread"] == 1
    assert WorkItem.objects.get(pk=done.pk).status == "done"
    assert third.details["inserted"] == third.details["deleted"] == 0
    assert WorkItem.objects.count() == len(after)


def test_a_deleted_case_leaves_the_kept_history(book: list[Case]) -> None:
    run_strategy(AS_OF, shards=1)
    gone = next(case for case in book if not Promise.objects.filter(case=case).exists())
    WorkItem.objects.filter(case=gone).delete()
    Case.objects.filter(pk=gone.pk).delete()
    taken, whole = _rerun_snapshot()
    assert taken.cached and taken.reread == 1
    assert gone.pk not in taken.frame.get_column("case_id").to_list()
    assert_frame_equal(taken.frame, whole)


def test_a_truncate_leaves_nothing_to_rerun_from(book: list[Case]) -> None:
    run_strategy(AS_OF, shards=1)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE strategy_workitem")
    taken, whole = _rerun_snapshot()
    assert not taken.cached
    assert_frame_equal(taken.frame, whole)


def test_a_change_committed_after_the_read_began_is_read_again(book: list[Case]) -> None:
    """A transaction that started before the first run's read and commits after it: its change is in no
    kept row, whatever the order of the transaction ids, so the re-run reads its case again."""
    started, release, done = threading.Event(), threading.Event(), threading.Event()

    def writer() -> None:
        try:
            with transaction.atomic():
                _balance(book[2])
                started.set()
                release.wait(60)
        finally:
            connection.close()
            done.set()

    thread = threading.Thread(target=writer)
    thread.start()
    assert started.wait(60)
    run_strategy(AS_OF, shards=1)  # reads while the writer's transaction is open
    release.set()
    assert done.wait(60)
    thread.join()
    taken, whole = _rerun_snapshot()
    assert taken.cached and taken.reread == 1
    assert_frame_equal(taken.frame, whole)


def test_a_history_read_before_a_compaction_is_not_kept(book: list[Case]) -> None:
    run_strategy(AS_OF, shards=1)
    taken = take_snapshot(AS_OF, Shard())
    assert taken.cached
    compact(AS_OF + timedelta(days=1), 1)  # the next day's run: the epoch moves on
    with transaction.atomic():
        nobody = pl.DataFrame({"case_id": [], "chosen": []})
        assert not keep_history(AS_OF, Shard(), taken, nobody, pl.DataFrame({"case_id": []}))
    assert not take_snapshot(AS_OF, Shard()).cached


# The outbox's hand-over on a re-run -------------------------------------------------------------------------------


def _messages() -> list[tuple[str, int | None, str]]:
    return sorted(Message.objects.values_list("idempotency_key", "case_id", "body"))


def _automatic_cases() -> set[int]:
    return set(WorkItem.objects.filter(action__in=AUTOMATIC_ACTIONS).values_list("case_id", flat=True))


def test_a_rerun_after_a_completed_hand_over_hands_over_only_the_changed_cases(book: list[Case]) -> None:
    first = run_strategy(AS_OF, shards=2).run
    assert first is not None and first.details["handed_over"] == WorkItem.objects.count()
    queued = _messages()
    assert queued, "the book has messages to queue"
    changed = next(case for case in book if case.pk in _automatic_cases())
    _balance(changed)
    second = run_strategy(AS_OF, shards=2).run
    assert second is not None and second.details["snapshot"]["reread"] == 1
    # Only the changed case's items were offered; everything else was queued by the first run.
    assert second.details["handed_over"] == WorkItem.objects.filter(case=changed).count() > 0
    assert _messages() == queued
    # Nothing changed since: nothing is offered, and a hand-over of everything would add nothing either.
    third = run_strategy(AS_OF, shards=2).run
    assert third is not None and third.details["handed_over"] == 0
    assert _messages() == queued


def test_a_message_left_out_for_want_of_a_contact_point_comes_in_when_the_point_does(
    book: list[Case], make_case: CaseMaker
) -> None:
    run_strategy(AS_OF, shards=1)
    texted = Case.objects.get(pk=WorkItem.objects.filter(action="sms").values_list("case_id", flat=True)[0])
    # A case at the same stage as one the policy texts, with no phone to text.
    assert texted.oldest_due_date is not None
    mute = make_case((AS_OF - texted.oldest_due_date).days, mobile=False)
    run_strategy(AS_OF, shards=1)
    assert not Message.objects.filter(case=mute).exists()
    queued = _messages()
    ContactPoint.objects.create(debtor=mute.debtor, kind="mobile", value="+8613900000001", validity="valid")
    second = run_strategy(AS_OF, shards=1).run
    assert second is not None and 0 < second.details["handed_over"] < WorkItem.objects.count()
    fresh = [m for m in _messages() if m not in queued]
    assert fresh and {case for _key, case, _body in fresh} == {mute.pk}


def test_a_template_activated_since_the_last_hand_over_gets_its_messages_queued(book: list[Case]) -> None:
    active = list(TemplateVersion.objects.filter(status=VersionStatus.ACTIVE, template__channel="sms"))
    TemplateVersion.objects.filter(pk__in=[v.pk for v in active]).update(status=VersionStatus.RETIRED)
    run_strategy(AS_OF, shards=1)
    assert not Message.objects.filter(channel="sms").exists()
    # Nothing the journal sees changes: only the templates in force.
    TemplateVersion.objects.filter(pk__in=[v.pk for v in active]).update(status=VersionStatus.ACTIVE)
    second = run_strategy(AS_OF, shards=1).run
    assert second is not None and second.details["snapshot"]["reread"] == 0
    assert second.details["handed_over"] == WorkItem.objects.count()
    assert Message.objects.filter(channel="sms").exists()


def test_a_hand_over_that_failed_is_done_whole_by_the_next_run(
    book: list[Case], monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("the outbox is down")

    with monkeypatch.context() as patched:
        patched.setattr(strategy_run, "enqueue_for_work_items", refuse)
        with pytest.raises(RuntimeError):
            run_strategy(AS_OF, shards=1)
    assert not Message.objects.exists() and WorkItem.objects.exists()
    second = run_strategy(AS_OF, shards=1).run
    assert second is not None and second.details["snapshot"]["cached_shards"] == 1
    assert second.details["handed_over"] == WorkItem.objects.count()
    queued = _messages()
    # The same messages as a day whose first run handed over everything.
    Message.objects.all().delete()
    WorkItem.objects.all().delete()
    run_strategy(AS_OF, shards=2)
    assert [(key, case) for key, case, _ in _messages()] == [(key, case) for key, case, _ in queued]


# The next night: an earlier day's history brought forward -------------------------------------------------------


def _local(day: date, hour: int = 10) -> datetime:
    """A time on ``day`` in the zone the runs' days are counted in."""
    return datetime.combine(day, time(hour), tzinfo=ZoneInfo(settings.TIME_ZONE))


def _plan_due(case: Case, due: date) -> None:
    plan = RepaymentPlan.objects.create(
        case=case, kind="instalments", status="active", owed=Decimal("1000.00"), total=Decimal("1000.00")
    )
    Instalment.objects.create(plan=plan, n=1, due_date=due, amount=Decimal("500.00"))
    Instalment.objects.create(plan=plan, n=2, due_date=due + timedelta(days=30), amount=Decimal("500.00"))


def _at_a_moving_bound(case: Case, kind: str) -> None:
    """A row that counts for the run of AS_OF and not for the next day's, or the other way round."""
    if kind == "refusal_leaves_30_days":
        Interaction.objects.create(
            case=case, channel="call", outcome="refusal", party="debtor", at=_local(AS_OF - timedelta(days=30))
        )
    elif kind == "hardship_leaves_90_days":
        Interaction.objects.create(
            case=case, channel="call", outcome="hardship", party="debtor", at=_local(AS_OF - timedelta(days=90))
        )
    elif kind == "dispute_of_the_day":
        Interaction.objects.create(case=case, channel="call", outcome="dispute", party="debtor", at=_local(AS_OF, 20))
    elif kind == "promise_given_in_the_day":
        Promise.objects.create(
            case=case,
            amount=Decimal("500.00"),
            due_date=AS_OF + timedelta(days=4),
            state="pending",
            created_at=_local(AS_OF, 15),
        )
    elif kind == "promise_due_yesterday":
        Promise.objects.create(
            case=case,
            amount=Decimal("500.00"),
            due_date=AS_OF - timedelta(days=1),
            state="pending",
            created_at=_local(AS_OF - timedelta(days=9)),
        )
    elif kind == "payment_of_the_day":
        LedgerEntry.objects.create(
            account=case.debtor.accounts.get(),
            kind="payment",
            reference="P-D",
            effective_date=AS_OF,
            principal=Decimal("-100.00"),
        )
    elif kind == "instalment_due_today":
        _plan_due(case, AS_OF)
    else:
        raise AssertionError(kind)


MOVING = (
    "refusal_leaves_30_days", "hardship_leaves_90_days", "dispute_of_the_day", "promise_given_in_the_day",
    "promise_due_yesterday", "payment_of_the_day", "instalment_due_today",
)  # fmt: skip


def _next_day_snapshot(day: date) -> tuple[Any, pl.DataFrame]:
    return take_snapshot(day, Shard()), read_snapshot(day, Shard())


@pytest.mark.parametrize("kind", MOVING)
def test_the_next_night_reads_again_the_case_a_moving_bound_changes(book: list[Case], kind: str) -> None:
    # Written before the first night: nothing the journal names since; only the day's move changes the case.
    _at_a_moving_bound(book[6], kind)
    run_strategy(AS_OF, shards=1)
    today, _ = _rerun_snapshot()
    taken, whole = _next_day_snapshot(AS_OF + timedelta(days=1))
    assert taken.cached and not taken.same_day and taken.items is None and taken.handed_over is None
    assert book[6].pk in taken.changed
    assert_frame_equal(taken.frame, whole)
    moved = whole.filter(pl.col("case_id") == book[6].pk).drop("oldest_due_date")
    assert not moved.equals(today.frame.filter(pl.col("case_id") == book[6].pk).drop("oldest_due_date")), (
        "the row reads differently the next day"
    )


def test_the_next_night_takes_in_a_case_that_falls_due_and_the_first_nights_escalations(
    book: list[Case], make_case: CaseMaker
) -> None:
    falling_due = make_case(0)  # due today: overdue from tomorrow
    run_strategy(AS_OF, shards=1)
    escalated = set(
        WorkItem.objects.filter(action__in=("escalate_specialist", "legal_review")).values_list("case_id", flat=True)
    )
    assert escalated, "the book's late cases are escalated on the first night"
    taken, whole = _next_day_snapshot(AS_OF + timedelta(days=1))
    assert_frame_equal(taken.frame, whole)
    assert falling_due.pk in taken.changed and falling_due.pk in whole.get_column("case_id").to_list()
    # The first night's escalations are carried into the kept history, not read again.
    assert not escalated & set(taken.changed)
    flagged = whole.filter(pl.col("escalated_before") | pl.col("legal_review_before")).get_column("case_id")
    assert set(flagged.to_list()) == escalated


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_history_brought_forward_one_or_several_days_is_a_whole_read(
    transactional_db: None, champion: Any, make_case: CaseMaker, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A random book whose rows lie on every side of every moving bound, read whole a day and four days later
    and brought forward from the first night's history: the same snapshot."""
    # A small book crowded with rows at the bounds reads most of its cases again; past the limit it would be
    # read whole, which would prove nothing here.
    monkeypatch.setattr(snapshot_cache, "REREAD_LIMIT", float("inf"))
    seed_default_templates()
    rng = random.Random(seed)
    outcomes = ("refusal", "hardship", "dispute", "no_answer", "right_party", "ended_abusive", "callback")
    for n in range(24):
        case = make_case(rng.choice((-3, -1, 0, 1, 2, 5, 29, 31, 60, 89, 91, 120)), balance=f"{1000 + 37 * n}.00")
        for _ in range(rng.randrange(5)):
            outcome = rng.choice(outcomes)
            Interaction.objects.create(
                case=case, channel=rng.choice(("call", "visit")), outcome=outcome,
                party="nobody" if outcome == "no_answer" else "debtor",
                at=_local(AS_OF - timedelta(days=rng.randint(-4, 95)), rng.randrange(24)),
            )  # fmt: skip
        for _ in range(rng.randrange(3)):
            Promise.objects.create(
                case=case, amount=Decimal("100.00"), due_date=AS_OF + timedelta(days=rng.randint(-6, 6)),
                state=rng.choice(("pending", "broken", "kept")),
                created_at=_local(AS_OF - timedelta(days=rng.randint(-4, 40)), rng.randrange(24)),
            )  # fmt: skip
        if rng.random() < 0.4:
            LedgerEntry.objects.create(
                account=case.debtor.accounts.get(), kind="payment", reference=f"P-{n}",
                effective_date=AS_OF + timedelta(days=rng.randint(-4, 4)), principal=Decimal("-10.00"),
            )  # fmt: skip
        if rng.random() < 0.3:
            _plan_due(case, AS_OF + timedelta(days=rng.randint(-3, 4)))
    run_strategy(AS_OF, shards=1)
    today, _ = _rerun_snapshot()
    assert today.cached and today.reread == 0, "nothing changed since the first night: only the days move"
    for days in (1, 4):
        taken, whole = _next_day_snapshot(AS_OF + timedelta(days=days))
        assert taken.cached and not taken.same_day
        assert set(whole.get_column("case_id")) - set(taken.changed), "some cases are carried, not read again"
        assert_frame_equal(taken.frame, whole)
        assert not whole.equals(today.frame)


def test_the_next_night_from_the_kept_history_plans_what_a_whole_read_plans(
    book: list[Case], make_case: CaseMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A small book changes more than a fifth; one shard, so the run is in this process and sees the limit.
    monkeypatch.setattr(snapshot_cache, "REREAD_LIMIT", float("inf"))
    run_strategy(AS_OF, shards=1)
    make_case(0)
    _at_a_moving_bound(book[2], "refusal_leaves_30_days")
    _balance(book[3])
    tomorrow = AS_OF + timedelta(days=1)
    night = run_strategy(tomorrow, shards=1).run
    assert night is not None and night.details["snapshot"]["cached_shards"] == 1
    standing = sorted(
        WorkItem.objects.filter(as_of=tomorrow).values_list(
            "case_id", "action", "reason", "assignee_id", "window_start"
        )
    )
    messages = sorted(Message.objects.values_list("idempotency_key", "body"))
    # The same night from a whole read: no kept history.
    WorkItem.objects.filter(as_of=tomorrow).delete()
    Message.objects.filter(idempotency_key__contains=str(tomorrow)).delete()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM strategy_snapshotcache")
    again = run_strategy(tomorrow, shards=1).run
    assert again is not None and again.details["snapshot"] == {"cached_shards": 0, "reread": 0}
    assert (
        sorted(
            WorkItem.objects.filter(as_of=tomorrow).values_list(
                "case_id", "action", "reason", "assignee_id", "window_start"
            )
        )
        == standing
    )
    assert sorted(Message.objects.values_list("idempotency_key", "body")) == messages


def test_a_run_for_a_past_day_does_not_start_from_a_later_days_history(book: list[Case]) -> None:
    run_strategy(AS_OF, shards=1)
    yesterday = AS_OF - timedelta(days=1)
    taken, whole = _next_day_snapshot(yesterday)
    assert not taken.cached
    assert_frame_equal(taken.frame, whole)
    compact(yesterday, 1)  # and its compaction drops the later day's history
    assert not take_snapshot(AS_OF, Shard()).cached
