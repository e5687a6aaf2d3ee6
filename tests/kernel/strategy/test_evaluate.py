"""Policy evaluation on hand-made snapshots: no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huikuan.kernel.strategy.evaluate import classify, evaluate

from .frames import AS_OF, default_policy, row, snapshot


def _classified(**overrides: Any) -> dict[str, Any]:
    return classify(snapshot(row(**overrides)), default_policy(), AS_OF).row(0, named=True)


def _planned(*rows: dict[str, object]) -> pl.DataFrame:
    return evaluate(snapshot(*rows), default_policy(), AS_OF).planned


@pytest.mark.parametrize(
    ("dpd", "stage", "bucket"),
    [(1, "reminder", "M1"), (3, "reminder", "M1"), (4, "early", "M1"), (30, "early", "M1"),
     (31, "middle", "M2"),
     (60, "middle", "M2"), (61, "middle", "M3"), (90, "middle", "M3"), (91, "late", "M3+")],
)  # fmt: skip
def test_stage_boundaries(dpd: int, stage: str, bucket: str) -> None:
    got = _classified(dpd=dpd)
    assert (got["dpd"], got["stage"], got["bucket"]) == (dpd, stage, bucket)


@pytest.mark.parametrize(
    ("history", "behaviour"),
    [
        ({}, "first_time_late"),
        ({"payments_since_due": 1}, "sincere_payer"),
        ({"kept_promises": 1}, "sincere_payer"),
        ({"cured_episodes": 1}, "sincere_payer"),
        ({"cured_episodes": 2, "broken_promises": 1, "last_broken_due": AS_OF - timedelta(days=5)}, "broken_promise"),
        ({"broken_promises": 1, "last_broken_due": AS_OF - timedelta(days=5)}, "broken_promise"),
        ({"broken_promises": 1, "next_promise_due": AS_OF + timedelta(days=2)}, "promise_pending"),
        ({"next_promise_due": AS_OF + timedelta(days=9)}, "first_time_late"),
        ({"failed_attempts_30d": 3, "rpc_30d": 0}, "unreachable"),
        ({"failed_attempts_30d": 3, "rpc_30d": 1}, "first_time_late"),
        ({"failed_attempts_30d": 2, "rpc_30d": 0}, "first_time_late"),
        ({"mobile_id": None}, "unreachable"),
        ({"mobile_id": None, "dnc_phones": 1}, "first_time_late"),
        ({"refusals_30d": 1, "broken_promises": 2}, "refuses"),
        ({"hardship_90d": 1, "refusals_30d": 1}, "hardship"),
        ({"status": "on_hold", "hold_reason": "hardship_review"}, "hardship"),
        ({"disputes_90d": 1, "hardship_90d": 1}, "dispute"),
        ({"status": "on_hold", "hold_reason": "dispute"}, "dispute"),
    ],
)
def test_behaviour_type_from_history(history: dict[str, object], behaviour: str) -> None:
    assert _classified(**history)["behaviour"] == behaviour


def test_reason_chain_in_chinese_and_english() -> None:
    planned = _planned(row(dpd=45, balance_fen=1_240_000, broken_promises=2))
    escalation = planned.filter(pl.col("action") == "escalate_specialist").row(0, named=True)
    assert escalation["reason_zh"] == "M2 · 跳票2次 · 余额 12,400 元 → 专员队列"
    assert escalation["reason_en"] == "M2 · 2 broken promise(s) · balance 12,400 CNY → specialist queue"
    big = _planned(row(dpd=45, balance_fen=123_456_789_050)).row(0, named=True)
    assert "余额 1,234,567,891 元" in big["reason_zh"]


def test_escalation_rules() -> None:
    def escalated(**overrides: Any) -> bool:
        planned = _planned(row(**overrides))
        return "escalate_specialist" in planned.get_column("action").to_list()

    assert not escalated(balance_fen=9_999_999)
    assert escalated(balance_fen=10_000_000)
    assert not escalated(broken_promises=1)
    assert escalated(broken_promises=2)
    assert escalated(disputes_90d=1)
    assert escalated(status="on_hold", hold_reason="complaint")
    # Once escalated a case stays with the specialists; no new hand-over every night.
    assert not escalated(broken_promises=2, escalated_before=True)


def test_legal_review_from_day_90_once() -> None:
    def reviewed(dpd: int, before: bool = False) -> bool:
        return "legal_review" in _planned(row(dpd=dpd, legal_review_before=before)).get_column("action").to_list()

    assert not reviewed(89)
    assert reviewed(90)
    assert reviewed(91)
    assert not reviewed(120, before=True)


def test_escalated_calls_go_to_the_specialist_queue() -> None:
    planned = _planned(row(dpd=33, broken_promises=2))
    queues = dict(planned.select("action", "queue").iter_rows())
    assert queues == {"call": "specialist", "escalate_specialist": "specialist"}


def test_hold_allows_only_what_it_names() -> None:
    planned = _planned(row(dpd=31, status="on_hold", hold_reason="dispute"))
    assert planned.get_column("action").to_list() == ["escalate_specialist"]
    held = evaluate(snapshot(row(dpd=31, status="on_hold", hold_reason="dispute")), default_policy(), AS_OF).held
    assert held == 2  # the middle-stage call and SMS of day 31
    deceased = _planned(row(dpd=95, status="on_hold", hold_reason="deceased", balance_fen=100))
    assert deceased.get_column("action").to_list() == ["legal_review"]


def test_broken_promise_gets_a_call_next_morning_with_higher_priority() -> None:
    planned = _planned(
        row(1, dpd=12, broken_promises=1, last_broken_due=AS_OF - timedelta(days=1)),
        row(2, dpd=13),  # an ordinary early-stage call day (4, 7, 10, 13, ...)
    )
    calls = planned.filter(pl.col("action") == "call").select("case_id", "template", "priority", "window_start")
    broken, ordinary = calls.row(0, named=True), calls.row(1, named=True)
    assert broken["template"] == "broken_promise_reason"
    assert broken["priority"] > ordinary["priority"]
    # 09:00 in Shanghai is 01:00 UTC: the morning window.
    assert broken["window_start"] == datetime(2026, 11, 20, 1, 0, tzinfo=UTC)


def test_pending_promise_reminder_the_day_before_and_check_the_day_after() -> None:
    before = _planned(row(dpd=12, next_promise_due=AS_OF + timedelta(days=1)))
    assert before.filter(pl.col("action") == "sms").get_column("template").to_list() == ["promise_reminder"]
    after = _planned(row(dpd=12, next_promise_due=AS_OF - timedelta(days=1)))
    assert after.filter(pl.col("action") == "call").get_column("template").to_list() == ["promise_check"]


def test_sincere_payer_gets_light_touch() -> None:
    sincere = _planned(row(dpd=13, payments_since_due=1)).get_column("action").to_list()
    assert "call" not in sincere
    assert "call" in _planned(row(dpd=13)).get_column("action").to_list()


def test_contact_order_and_third_parties_only_when_unreachable() -> None:
    home_only = _planned(row(dpd=13, mobile_id=None, home_id=77))
    call = home_only.filter(pl.col("action") == "call").row(0, named=True)
    assert (call["contact_point_id"], call["party"]) == (77, "debtor")
    no_phone = _planned(row(dpd=13, mobile_id=None, third_party_id=99))
    call = no_phone.filter(pl.col("action") == "call").row(0, named=True)
    assert (call["contact_point_id"], call["party"], call["unreachable"]) == (99, "third_party", True)
    # Reachable debtors' third parties are never called, even with a number on file.
    reachable = _planned(row(dpd=13, third_party_id=99))
    assert reachable.filter(pl.col("action") == "call").get_column("contact_point_id").to_list() == [11]


def test_a_debtor_whose_only_phone_is_do_not_contact_is_not_called_and_not_unreachable() -> None:
    """Do-not-contact is a wish about that number: the debtor is not 失联, so the spouse is not called either."""
    dnc_only = _planned(row(dpd=13, mobile_id=None, dnc_phones=1, third_party_id=99))
    assert dnc_only.filter(pl.col("action") == "call").is_empty()
    assert not _classified(mobile_id=None, dnc_phones=1)["unreachable"]


@settings(max_examples=200, deadline=None)
@given(
    phones=st.fixed_dictionaries({k: st.sampled_from([None, 1, 2]) for k in ("mobile_id", "home_id", "work_id")}),
    marked=st.sets(st.sampled_from(["mobile_id", "home_id", "work_id"])),
    failed=st.integers(0, 5),
    rpc=st.integers(0, 2),
    third=st.sampled_from([None, 99]),
)
def test_marking_own_phones_do_not_contact_never_makes_the_debtor_unreachable(
    phones: dict[str, Any], marked: set[str], failed: int, rpc: int, third: int | None
) -> None:
    base = row(dpd=13, failed_attempts_30d=failed, rpc_30d=rpc, third_party_id=third, **phones)
    dnc = {k: None for k in marked if phones[k] is not None}
    after = {**base, **dnc, "dnc_phones": len(dnc)}
    assert _classified(**after)["unreachable"] == _classified(**base)["unreachable"]
    calls = _planned(after).filter(pl.col("action") == "call")
    if not _classified(**base)["unreachable"]:
        assert calls.filter(pl.col("party") == "third_party").is_empty()


def test_windows_in_the_debtors_time_zone_and_evenings_at_weekends() -> None:
    urumqi = _planned(row(dpd=13, time_zone="Asia/Urumqi")).filter(pl.col("action") == "call").row(0, named=True)
    assert urumqi["window_start"] == datetime(2026, 11, 20, 3, 0, tzinfo=UTC)  # 09:00 at UTC+6
    saturday = AS_OF + timedelta(days=1)
    planned = evaluate(snapshot(row(dpd=12)), default_policy(), saturday).planned
    call = planned.filter(pl.col("action") == "call").row(0, named=True)
    assert call["window_start"] == datetime(2026, 11, 21, 10, 30, tzinfo=UTC)  # 18:30 in Shanghai
    assert (call["window_start_local"], call["window_end_local"]) == (18 * 60 + 30, 20 * 60 + 30)


def test_missing_contact_point_is_counted_not_planned() -> None:
    evaluation = evaluate(snapshot(row(dpd=13, mobile_id=None)), default_policy(), AS_OF)
    assert "call" not in evaluation.planned.get_column("action").to_list()
    assert evaluation.unplanned["no_contact_point"] == 1


def test_same_snapshot_same_plan_whatever_the_row_order() -> None:
    rows = [row(i, dpd=(i * 7) % 120 + 1, broken_promises=i % 3) for i in range(1, 200)]
    first = _planned(*rows)
    second = _planned(*reversed(rows))
    assert first.equals(second)


@pytest.mark.parametrize(
    ("weights", "winner"),
    [((5, 9, 7), "b_heavy"), ((9, 5, 9), "a_first"), ((5, 5, 5), "a_first"), ((1, 2, 3), "c_last")],
)
def test_one_item_per_case_and_action_the_heaviest_rule_then_the_first_key(
    weights: tuple[int, int, int], winner: str
) -> None:
    from dataclasses import replace

    from huikuan.kernel.strategy.policy import CadenceRule, Trigger

    policy = default_policy()
    # Listed out of key order: the choice must not depend on the order rules are written in.
    rules = [
        CadenceRule(key, "call", key, weight, ("early",), Trigger(days=(10,)))
        for key, weight in zip(("c_last", "a_first", "b_heavy"), (weights[2], weights[0], weights[1]), strict=True)
    ]
    planned = evaluate(snapshot(row(dpd=10), row(case_id=2, dpd=11)), replace(policy, cadence=tuple(rules)), AS_OF)
    calls = planned.planned.filter(pl.col("action") == "call")
    assert calls.get_column("case_id").to_list() == [1]
    assert calls.get_column("rule").to_list() == [winner]
