"""The nightly run against the database (SQLite by default, PostgreSQL with DATABASE_URL)."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any

import polars as pl
import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import translation

from huikuan.compliance.strategy_gate import compliance_gate
from huikuan.kernel.strategy.arms import arm_for
from huikuan.kernel.strategy.gate import KNOWN_CLOSED, KNOWN_COLUMNS, KNOWN_POINT_KIND, KNOWN_POINT_RELATION, KNOWN_TZ
from huikuan.portfolio.models import ContactPoint
from huikuan.strategy.executors import run_strategy
from huikuan.strategy.models import RunStatus, StrategyRun, WorkItem, WorkStatus
from huikuan.strategy.run import StrategyError, plan, resolve_arms, with_known_facts
from tests.conftest import AS_OF, Personas

from .conftest import ROOT, CaseMaker


def _items(case: Any) -> dict[str, WorkItem]:
    return {w.action: w for w in WorkItem.objects.filter(case=case, as_of=AS_OF)}


def test_without_a_policy_in_force_the_run_says_what_to_do(db: None) -> None:
    with pytest.raises(StrategyError, match="huikuan strategy import"):
        run_strategy(AS_OF)


def test_run_writes_todays_items_with_reason_window_and_assignee(
    champion: Any, make_case: CaseMaker, personas: Personas
) -> None:
    broken = make_case(45, "12400.00", promises=(("broken", -1), ("broken", -10)), assignee=personas.alice)
    report = run_strategy(AS_OF)
    assert report.run is not None and report.run.written == WorkItem.objects.count() > 0
    items = _items(broken)
    call = items["call"]
    assert call.template == "broken_promise_reason"
    assert call.reason == "M2 · 跳票2次 · 余额 12,400 元 → 电话催收"
    assert items["escalate_specialist"].reason == "M2 · 跳票2次 · 余额 12,400 元 → 专员队列"
    assert call.window_start.isoformat() == "2026-11-20T01:00:00+00:00"
    assert call.policy_version == champion and call.arm == ""
    assert call.contact_point is not None and call.contact_point.kind == "mobile"
    # Two broken promises make it a specialist's case; team A has no specialist, so its calls stay with its
    # collector and the hand-over goes to the team's lead, who can close it (issue 16).
    assert call.queue == "specialist" and call.assignee_id == personas.alice.pk
    assert items["escalate_specialist"].assignee_id == personas.lena.pk
    champion.refresh_from_db()
    assert champion.first_used_at is not None


def test_every_worked_item_goes_to_someone_who_can_close_it(
    champion: Any, make_case: CaseMaker, personas: Personas
) -> None:
    """The demo's collectors held 183 hand-overs each that no call could close; "next case" looped."""
    from huikuan.org.staff import closable_by

    alice, bob, lena, lara = personas.alice, personas.bob, personas.lena, personas.lara
    large = make_case(41, "150000.00", assignee=alice)  # a specialist's case by its balance
    old = make_case(120, "30000.00", assignee=bob)  # legal review from 90 days
    run_strategy(AS_OF)
    dealt = {(w.case_id, w.action): w.assignee for w in WorkItem.objects.select_related("assignee")}
    assert dealt[(large.pk, "call")] == alice and dealt[(large.pk, "escalate_specialist")] == lena
    assert dealt[(old.pk, "legal_review")] == lara  # the legal department: no team
    for (_case, action), user in dealt.items():
        if action in ("call", "visit", "escalate_specialist", "legal_review"):
            assert user is not None and action in closable_by(user), (action, user)
    # With a specialist in the team, the case and its hand-over go to her.
    bob.skills = "specialist"
    bob.save(update_fields=["skills"])
    run_strategy(AS_OF)
    assert {w.action: w.assignee for w in WorkItem.objects.filter(case=large)} == {
        "call": bob,
        "escalate_specialist": bob,
    }
    large.refresh_from_db()
    assert large.assignee == bob


def test_a_case_the_run_gives_to_someone_else_is_in_the_change_log_as_a_reassignment(
    champion: Any, make_case: CaseMaker, personas: Personas
) -> None:
    """The run's new assignees were the only unaudited change of assignee; now each one is logged as a lead's is."""
    from huikuan.audit.models import ChangeLog

    alice, bob = personas.alice, personas.bob
    large = make_case(41, "150000.00", assignee=alice)
    run_strategy(AS_OF)
    assert not ChangeLog.objects.filter(action="case:reassigned").exists()  # alice keeps it: nothing moved
    bob.skills = "specialist"
    bob.save(update_fields=["skills"])
    report = run_strategy(AS_OF)
    assert report.run is not None
    (change,) = ChangeLog.objects.filter(action="case:reassigned")
    assert (change.subject_type, change.subject_id, change.user_id) == ("cases.case", str(large.pk), None)
    assert change.before == {"assignee": alice.pk, "reason": None, "run": None}
    assert change.after == {"assignee": bob.pk, "reason": "strategy run", "run": report.run.pk}
    run_strategy(AS_OF)
    assert ChangeLog.objects.filter(action="case:reassigned").count() == 1  # bob keeps it: nothing new


def test_behaviour_from_history_in_the_database(champion: Any, make_case: CaseMaker) -> None:
    unreachable = make_case(13, outcomes=("no_answer", "switched_off", "no_answer"))
    refuses = make_case(13, outcomes=("refusal",))
    sincere = make_case(14, promises=(("kept", -5),))
    pending = make_case(13, promises=(("pending", 1),))
    dispute = make_case(13, outcomes=("dispute",))
    run_strategy(AS_OF)
    behaviours = {
        name: set(WorkItem.objects.filter(case=case).values_list("behaviour", flat=True))
        for name, case in [("unreachable", unreachable), ("refuses", refuses), ("sincere_payer", sincere),
                           ("promise_pending", pending), ("dispute", dispute)]
    }  # fmt: skip
    assert behaviours == {name: {name} for name in behaviours}
    assert _items(pending)["sms"].template == "promise_reminder"
    assert _items(sincere)["call"].template == "early_call_light"


def test_holds_stop_outbound_contact(champion: Any, make_case: CaseMaker) -> None:
    held = make_case(31, status="on_hold", hold_reason="dispute")
    run_strategy(AS_OF)
    assert set(_items(held)) == {"escalate_specialist"}


def test_rerun_the_same_day_replaces_pending_items_and_never_duplicates(champion: Any, make_case: CaseMaker) -> None:
    cases = [make_case(dpd) for dpd in (1, 4, 13, 31, 45, 95)]
    run_strategy(AS_OF)
    first = sorted(WorkItem.objects.values_list("case_id", "action", "reason"))
    done = WorkItem.objects.filter(case=cases[2], action="call").get()
    done.status = WorkStatus.DONE
    done.save()
    run_strategy(AS_OF)
    second = sorted(WorkItem.objects.values_list("case_id", "action", "reason"))
    assert first == second
    assert WorkItem.objects.get(pk=done.pk).status == WorkStatus.DONE
    assert StrategyRun.objects.filter(dry_run=False).count() == 2


def test_a_rerun_rewrites_only_the_items_of_the_case_that_changed(champion: Any, make_case: CaseMaker) -> None:
    from huikuan.portfolio.models import AccountBalance

    cases = [make_case(dpd) for dpd in (1, 4, 13, 31, 45, 95, 120)]
    first = run_strategy(AS_OF, shards=2).run
    assert first is not None
    before = {(w.case_id, w.action): (w.pk, w.run_id) for w in WorkItem.objects.all()}
    changed = cases[4]
    # A larger balance: the reason chain names it, so each of the case's items reads differently.
    AccountBalance.objects.filter(account__debtor=changed.debtor).update(total=Decimal("99000.00"))
    second = run_strategy(AS_OF, shards=2).run
    assert second is not None
    after = {(w.case_id, w.action): (w.pk, w.run_id) for w in WorkItem.objects.all()}
    assert after.keys() == before.keys()
    rewritten = {key for key in after if after[key] != before[key]}
    assert rewritten == {key for key in after if key[0] == changed.pk} and rewritten
    assert all(after[key][1] == second.pk for key in rewritten)
    assert second.details["inserted"] == second.details["deleted"] == len(rewritten)
    assert second.written == first.written == len(after)
    # And what stands is what a run from nothing plans.
    standing = sorted(WorkItem.objects.values_list("case_id", "action", "reason", "reason_en", "assignee_id"))
    assert any("99,000" in reason for _c, _a, reason, _e, _u in standing)
    WorkItem.objects.all().delete()
    run_strategy(AS_OF, shards=2)
    assert sorted(WorkItem.objects.values_list("case_id", "action", "reason", "reason_en", "assignee_id")) == standing


def test_dry_run_writes_nothing(champion: Any, make_case: CaseMaker, capsys: pytest.CaptureFixture[str]) -> None:
    make_case(45, promises=(("broken", -1), ("broken", -10)))
    make_case(13)
    assignees = sorted(
        __import__("huikuan.cases.models", fromlist=["Case"]).Case.objects.values_list("id", "assignee_id")
    )
    call_command("strategy_run", "--as-of", AS_OF.isoformat(), "--dry-run")
    out = capsys.readouterr().out
    assert "M2 · 跳票2次 · 余额 12,400 元" in out
    assert "middle     call" in out
    assert WorkItem.objects.count() == 0 and StrategyRun.objects.count() == 0
    from huikuan.cases.models import Case

    assert sorted(Case.objects.values_list("id", "assignee_id")) == assignees
    run_strategy(AS_OF)
    call_command("strategy_run", "--as-of", AS_OF.isoformat(), "--dry-run")
    assert "无差异" in capsys.readouterr().out  # zh-Hans is the default language
    with translation.override("en"):
        call_command("strategy_run", "--as-of", AS_OF.isoformat(), "--dry-run")
    assert "no difference" in capsys.readouterr().out


def test_policy_version_is_immutable_once_used(champion: Any, make_case: CaseMaker) -> None:
    from huikuan.strategy.actions import import_policy, version_diff

    make_case(13)
    run_strategy(AS_OF)
    champion.refresh_from_db()
    edited = champion.source.replace("legal_review_dpd: 90", "legal_review_dpd: 120")
    champion.source = edited
    with pytest.raises(ValidationError):
        champion.save()
    newer, created = import_policy(edited)
    assert created and newer.number == 2
    champion.refresh_from_db()
    assert "+  legal_review_dpd: 120" in version_diff(champion, newer)
    again, created = import_policy(edited)
    assert (again, created) == (newer, False)


def test_experiment_arms_are_recorded_and_stable(champion: Any, make_case: CaseMaker) -> None:
    from huikuan.strategy.actions import import_policy, start_experiment

    challenger, _ = import_policy((ROOT / "examples" / "policy-challenger.yaml").read_text(encoding="utf-8"))
    cases = [make_case(2) for _ in range(40)]
    start_experiment("exp1", "calls earlier", [("champion", champion, Decimal("0.5")),
                                                ("challenger", challenger, Decimal("0.5"))])  # fmt: skip
    run_strategy(AS_OF)
    # The circle is cut in arm-name order, whatever order the arms were given in.
    shares = [("challenger", Decimal("0.5")), ("champion", Decimal("0.5"))]
    expected = {case.pk: arm_for(case.pk, "exp1", shares) for case in cases}
    assert set(expected.values()) == {"champion", "challenger"}
    # Only the challenger calls on day 2; the champion sends an e-mail, and these debtors have none.
    callers = set(WorkItem.objects.filter(action="call").values_list("case_id", flat=True))
    assert callers == {pk for pk, arm in expected.items() if arm == "challenger"}
    assert all(w.arm == expected[w.case_id] and w.policy_version_id == challenger.pk for w in WorkItem.objects.all())
    run_strategy(AS_OF)
    assert set(WorkItem.objects.filter(action="call").values_list("case_id", flat=True)) == callers


def test_sharded_run_plans_the_same_items(champion: Any, small_portfolio: Personas) -> None:
    run_strategy(AS_OF)
    whole = sorted(WorkItem.objects.values_list("case_id", "action", "reason", "priority", "window_start"))
    WorkItem.objects.all().delete()
    run_strategy(AS_OF, shards=3)
    assert sorted(WorkItem.objects.values_list("case_id", "action", "reason", "priority", "window_start")) == whole
    # Workload is balanced within each shard, so who gets a new case may differ from the unsharded run;
    # it is always someone from the case's own team, or the legal department for a legal review.
    for item in WorkItem.objects.filter(assignee__isnull=False).select_related("assignee", "case"):
        assert item.assignee is not None
        if item.action == "legal_review" and item.assignee.team_id is None:
            assert item.assignee.role == "legal"
        else:
            assert item.assignee.team_id == item.case.team_id


def _fingerprint() -> tuple[int, str]:
    """Work items in database-independent terms: customer numbers and contact kinds, not row ids."""
    rows = sorted(
        (w.case.debtor.customer_no, w.action, w.channel, w.template,
         f"{w.contact_point.kind}/{w.contact_point.relation}" if w.contact_point else "",
         w.party, w.window_start.isoformat(), w.window_end.isoformat(), w.priority, w.stage, w.behaviour,
         w.segment, w.queue, w.reason, w.reason_en, w.assignee.username if w.assignee else "")
        for w in WorkItem.objects.select_related("case__debtor", "contact_point", "assignee")
    )  # fmt: skip
    return len(rows), hashlib.sha256(repr(rows).encode()).hexdigest()


def test_same_work_items_on_sqlite_and_postgresql(champion: Any, small_portfolio: Personas) -> None:
    """The suite runs on both databases; both must arrive at this one fingerprint."""
    run_strategy(AS_OF)
    # Recomputed when the generated portfolio became consistent (promises settled with their payments) and the
    # specialist queue became 专员队列 in the reasons: the same on both databases.
    assert _fingerprint() == (27, "7d8141aba391015bf8ced1ffc3d4f587dd6b8296e1e74186648f11891344fb52")


def test_a_shard_deals_by_the_workload_of_its_own_cases(
    champion: Any, make_case: CaseMaker, personas: Personas
) -> None:
    """Shards that run at once cannot see each other's new items; so each levels its own part of the cases,
    and a shard deals the same whether the others ran before it or not (nor do earlier nights' items weigh)."""
    from collections import Counter
    from datetime import UTC, datetime, timedelta

    from huikuan.cases.models import Case
    from huikuan.strategy.run import Shard, run_shard

    alice, bob = personas.alice, personas.bob
    new_cases = [make_case(13) for _ in range(24)]
    # Yesterday's unfinished calls, all on cases of shard 0: dead, they change no shard's deal.
    busy = [c for c in (make_case(40, assignee=alice) for _ in range(24)) if c.pk % 3 == 0][:6]
    yesterday = StrategyRun.objects.create(as_of=AS_OF - timedelta(days=1))
    at = datetime(2026, 11, 19, 2, tzinfo=UTC)
    for case in busy:
        WorkItem.objects.create(
            run=yesterday, as_of=yesterday.as_of, case=case, action="call", channel="call", template="t", rule="r",
            window_start=at, window_end=at, priority=1, stage="middle", behaviour="first_time_late", segment="s",
            queue="collector", policy_version=champion, reason="r", reason_en="r", assignee=alice, created_at=at,
        )  # fmt: skip
    in_shard_1 = {c.pk for c in new_cases if c.pk % 3 == 1}
    initial = dict(Case.objects.values_list("id", "assignee_id"))

    def shard_1_deal(before: tuple[int, ...]) -> dict[int, int]:
        WorkItem.objects.filter(as_of=AS_OF).delete()
        for case_id, assignee_id in initial.items():
            Case.objects.filter(pk=case_id).update(assignee_id=assignee_id)
        run = StrategyRun.objects.create(as_of=AS_OF, shards=3)
        for index in (*before, 1):
            run_shard(run.pk, Shard(index, 3))
        run.status = RunStatus.DONE  # only one run of a day may be running
        run.save(update_fields=["status"])
        return dict(WorkItem.objects.filter(as_of=AS_OF, case_id__in=in_shard_1).values_list("case_id", "assignee_id"))

    alone = shard_1_deal(())
    assert shard_1_deal((0, 2)) == alone
    assert set(Counter(alone.values())) == {alice.pk, bob.pk}
    # The day's queue is level: every shard levelled its part.
    pending = Counter(
        WorkItem.objects.filter(as_of=AS_OF, status=WorkStatus.PENDING, queue="collector").values_list(
            "assignee_id", flat=True
        )
    )
    assert abs(pending[alice.pk] - pending[bob.pk]) <= 3


def test_earlier_nights_unworked_items_weigh_nothing_in_dealing(
    champion: Any, make_case: CaseMaker, personas: Personas
) -> None:
    """The queue shows the day's items only: yesterday's pending calls are dead, not a load for ever."""
    from collections import Counter
    from datetime import UTC, datetime, timedelta

    alice, bob = personas.alice, personas.bob
    busy = [make_case(41, assignee=alice) for _ in range(6)]  # middle stage: a call every other day
    new_cases = [make_case(41) for _ in range(12)]
    at = datetime(2026, 11, 19, 2, tzinfo=UTC)
    for days_ago in (1, 2, 30):
        run = StrategyRun.objects.create(as_of=AS_OF - timedelta(days=days_ago), status=RunStatus.DONE)
        for case in busy:
            WorkItem.objects.create(
                run=run, as_of=run.as_of, case=case, action="call", channel="call", template="t", rule="r",
                window_start=at, window_end=at, priority=1, stage="middle", behaviour="first_time_late", segment="s",
                queue="collector", policy_version=champion, reason="r", reason_en="r", assignee=alice, created_at=at,
            )  # fmt: skip
    run_strategy(AS_OF, shards=1)  # one shard: level exactly, not within a case per shard
    today = Counter(
        WorkItem.objects.filter(as_of=AS_OF, action="call", case__in=[*busy, *new_cases]).values_list(
            "assignee_id", flat=True
        )
    )
    assert today == {alice.pk: 9, bob.pk: 9}


def test_a_debtor_who_paid_off_an_earlier_delinquency_is_no_first_time_late(
    champion: Any, make_case: CaseMaker
) -> None:
    from huikuan.cases.models import Case
    from huikuan.kernel.strategy.evaluate import classify
    from huikuan.strategy.snapshot import read_snapshot

    first, again = make_case(13), make_case(13)
    Case.objects.filter(pk=again.pk).update(cured_episodes=2)
    classified = classify(read_snapshot(AS_OF), champion.policy(), AS_OF)
    behaviour = dict(zip(classified["case_id"], classified["behaviour"], strict=True))
    assert (behaviour[first.pk], behaviour[again.pk]) == ("first_time_late", "sincere_payer")


def test_the_snapshot_looks_back_on_earlier_hand_overs_only(champion: Any, make_case: CaseMaker) -> None:
    """Earlier escalations and legal reviews count, today's and cancelled ones do not, and a shard sees
    those of its own cases (the look-back is served by the partial index work_item_escalations)."""
    from datetime import UTC, datetime, timedelta

    from huikuan.strategy.snapshot import Shard, read_snapshot

    escalated, reviewed, cancelled, today, plain = (make_case(40) for _ in range(5))
    at = datetime(2026, 11, 1, 2, tzinfo=UTC)
    earlier = StrategyRun.objects.create(as_of=AS_OF - timedelta(days=5))

    def item(case: Any, action: str, as_of: Any, status: str = WorkStatus.DONE) -> None:
        WorkItem.objects.create(
            run=earlier, as_of=as_of, case=case, action=action, channel="queue", template="t", rule="r",
            window_start=at, window_end=at, priority=1, stage="late", behaviour="b", segment="s",
            queue="specialist", policy_version=champion, reason="r", reason_en="r", status=status, created_at=at,
        )  # fmt: skip

    item(escalated, "escalate_specialist", earlier.as_of)
    item(reviewed, "legal_review", earlier.as_of)
    item(cancelled, "escalate_specialist", earlier.as_of, WorkStatus.CANCELLED)
    item(today, "legal_review", AS_OF)
    item(plain, "call", earlier.as_of)

    def looked_back(frame: Any) -> dict[int, tuple[bool, bool]]:
        return {
            case_id: (escalation, review)
            for case_id, escalation, review in frame.select(
                "case_id", "escalated_before", "legal_review_before"
            ).iter_rows()
        }

    whole = looked_back(read_snapshot(AS_OF))
    assert whole[escalated.pk] == (True, False)
    assert whole[reviewed.pk] == (False, True)
    assert whole[cancelled.pk] == whole[today.pk] == whole[plain.pk] == (False, False)
    shards = {**looked_back(read_snapshot(AS_OF, Shard(0, 2))), **looked_back(read_snapshot(AS_OF, Shard(1, 2)))}
    assert shards == whole


def test_a_do_not_contact_phone_keeps_the_debtor_reachable_in_the_snapshot(champion: Any, make_case: CaseMaker) -> None:
    """The number is not called, and the debtor is not 失联 for it: no call goes to a third party either."""
    from huikuan.kernel.strategy.evaluate import classify, evaluate
    from huikuan.portfolio.models import ContactPoint
    from huikuan.strategy.snapshot import read_snapshot

    dnc, lost = make_case(13), make_case(13)
    ContactPoint.objects.filter(debtor=dnc.debtor, kind="mobile").update(do_not_contact=True)
    ContactPoint.objects.filter(debtor=lost.debtor, kind="mobile").update(validity="invalid")
    for case in (dnc, lost):
        ContactPoint.objects.create(
            debtor=case.debtor, kind="mobile", value=f"+8613911{case.pk:06d}", relation="spouse"
        )
    snapshot = read_snapshot(AS_OF)
    classified = classify(snapshot, champion.policy(), AS_OF)
    unreachable = dict(zip(classified["case_id"], classified["unreachable"], strict=True))
    assert (unreachable[dnc.pk], unreachable[lost.pk]) == (False, True)
    calls = evaluate(snapshot, champion.policy(), AS_OF).planned.filter(pl.col("action") == "call")
    parties = dict(zip(calls["case_id"], calls["party"], strict=True))
    assert dnc.pk not in parties and parties.get(lost.pk) == "third_party"


def test_the_gate_decides_the_same_with_the_snapshots_facts_as_when_it_reads_them(
    champion: Any, small_portfolio: Personas
) -> None:
    """The run hands the gate the zones and own points' kinds it read with the snapshot (KNOWN_COLUMNS); the
    gate must then decide exactly as when it reads them itself, and it must have been given them."""
    seen: list[pl.DataFrame] = []

    def with_facts(frame: pl.DataFrame) -> pl.DataFrame:
        seen.append(frame)
        return compliance_gate(frame)

    def reading(frame: pl.DataFrame) -> pl.DataFrame:
        return compliance_gate(frame.drop(KNOWN_COLUMNS, strict=False))

    arms, experiment = resolve_arms()
    given, _ = plan(AS_OF, arms, experiment, gate=with_facts)
    read, _ = plan(AS_OF, arms, experiment, gate=reading)
    assert given.height > 0
    assert given.columns == read.columns and not set(KNOWN_COLUMNS) & set(given.columns)
    assert given.sort("case_id", "action").equals(read.sort("case_id", "action"))
    facts = seen[0].filter(pl.col("channel") != "queue")
    assert facts.get_column(KNOWN_TZ).null_count() == 0
    own = facts.filter(pl.col("party") == "debtor")
    assert own.get_column(KNOWN_POINT_KIND).null_count() == 0
    # Each kind the snapshot names is the point's stored kind, and the debtor's own.
    stored = dict(ContactPoint.objects.values_list("id", "kind"))
    relations = dict(ContactPoint.objects.values_list("id", "relation"))
    for point, kind, relation in own.select("contact_point_id", KNOWN_POINT_KIND, KNOWN_POINT_RELATION).iter_rows():
        assert (stored[point], relations[point]) == (kind, relation)


def test_known_facts_name_only_the_debtors_own_points() -> None:
    snapshot = pl.DataFrame(
        {
            "case_id": [1, 2],
            "time_zone": ["Asia/Shanghai", "Asia/Urumqi"],
            "mobile_id": [10, None],
            "home_id": [11, 20],
            "work_id": [None, None],
            "email_id": [12, None],
            "postal_id": [13, 21],
        },
        schema_overrides={"work_id": pl.Int64, "mobile_id": pl.Int64},
    )
    planned = pl.DataFrame(
        {"case_id": [1, 1, 1, 1, 2, 2, 2], "contact_point_id": [10, 11, 12, 13, 20, 99, None]},
        schema={"case_id": pl.Int64, "contact_point_id": pl.Int64},
    )
    out = with_known_facts(planned, snapshot)
    assert out.get_column(KNOWN_POINT_KIND).to_list() == ["mobile", "home", "email", "postal", "home", None, None]
    assert out.get_column(KNOWN_POINT_RELATION).to_list() == ["self"] * 5 + [None, None]
    assert out.get_column(KNOWN_TZ).to_list() == ["Asia/Shanghai"] * 4 + ["Asia/Urumqi"] * 3
    assert out.get_column(KNOWN_CLOSED).to_list() == [False] * 7
    assert out.columns == ["case_id", "contact_point_id", *KNOWN_COLUMNS]
