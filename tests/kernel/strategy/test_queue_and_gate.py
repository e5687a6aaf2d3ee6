from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from huikuan.kernel.strategy.evaluate import PLANNED_SCHEMA
from huikuan.kernel.strategy.gate import minimal_gate
from huikuan.kernel.strategy.queue import Staff, _fill, deal


def _items(rows: list[tuple[int, str, int | None, int | None, bool, int]]) -> pl.DataFrame:
    """(case_id, action, team_id, assignee_id, specialist, priority) rows."""
    return pl.DataFrame(
        rows,
        schema={"case_id": pl.Int64, "action": pl.Utf8, "team_id": pl.Int64, "assignee_id": pl.Int64,
                "specialist": pl.Boolean, "priority": pl.Int64},
        orient="row",
    )  # fmt: skip


def _cases(rows: list[tuple[int, int, int | None, bool, int]]) -> pl.DataFrame:
    """One call per case: (case_id, team_id, assignee_id, specialist, priority)."""
    return _items([(case_id, "call", team, assignee, spec, prio) for case_id, team, assignee, spec, prio in rows])


def _owners(items: pl.DataFrame, staff: list[Staff]) -> dict[int, int | None]:
    return dict(deal(items, staff).owners.iter_rows())


ALICE, BOB, SAM, CAROL = (Staff(1, 10, "collector", workload=5), Staff(2, 10, "collector"),
                          Staff(3, 10, "collector", frozenset({"specialist"})), Staff(4, 20, "collector"))  # fmt: skip
LENA, LARA = Staff(5, 10, "team_lead"), Staff(6, None, "legal")


def test_fill_levels_loads() -> None:
    assert _fill([5, 0, 0], 7) == [0, 4, 3]
    extra = _fill([5, 0, 0], 13)
    final = [load + e for load, e in zip([5, 0, 0], extra, strict=True)]
    assert sum(extra) == 13 and max(final) - min(final) <= 1


def test_a_case_keeps_its_collector() -> None:
    assert _owners(_cases([(1, 10, 1, False, 10)]), [ALICE, BOB, SAM]) == {1: 1}


def test_new_cases_balance_workload_within_the_team() -> None:
    cases = _cases([(i, 10, None, False, 100 - i) for i in range(1, 8)])
    chosen = deal(cases, [ALICE, BOB, CAROL]).owners
    per_user = dict(chosen.group_by("assignee_id").len().iter_rows())
    # Alice already has 5: Bob takes the new ones until they are level; Carol is in another team.
    assert per_user == {2: 6, 1: 1}


def test_escalations_go_to_specialists_and_leave_the_collector() -> None:
    items = _items([(1, "call", 10, 1, True, 80), (1, "escalate_specialist", 10, 1, True, 80),
                    (2, "escalate_specialist", 10, None, True, 80)])  # fmt: skip
    dealt = deal(items, [ALICE, BOB, SAM, LENA])
    assert dict(dealt.owners.iter_rows()) == {1: 3, 2: 3}
    assert set(dealt.items.get_column("assignee_id").to_list()) == {3}


def test_without_a_specialist_the_hand_over_goes_to_the_lead_and_the_calls_stay() -> None:
    """The demo's loop: collectors were dealt hand-overs they could never close."""
    items = _items([(1, "call", 10, 1, True, 80), (1, "escalate_specialist", 10, 1, True, 80),
                    (2, "escalate_specialist", 10, 2, True, 80)])  # fmt: skip
    dealt = deal(items, [ALICE, BOB, LENA])
    assert {(c, a): u for c, a, u in dealt.items.iter_rows()} == {
        (1, "call"): 1,
        (1, "escalate_specialist"): 5,
        (2, "escalate_specialist"): 5,
    }
    assert dict(dealt.owners.iter_rows()) == {1: 1, 2: 2}


def test_legal_reviews_go_to_counsel_else_the_lead_else_nobody() -> None:
    items = _items([(1, "legal_review", 10, 1, False, 70), (2, "legal_review", 20, 4, False, 70)])
    with_counsel = {c: u for c, _a, u in deal(items, [ALICE, CAROL, LENA, LARA]).items.iter_rows()}
    assert with_counsel == {1: 6, 2: 6}
    without = {c: u for c, _a, u in deal(items, [ALICE, CAROL, LENA]).items.iter_rows()}
    # Team 20 has no lead: nobody there can close a legal review, so nobody is given one.
    assert without == {1: 5, 2: None}
    # A legal review does not move the case: it has no owner to change.
    assert deal(items, [ALICE, CAROL, LENA, LARA]).owners.height == 0


def test_team_counsel_comes_before_the_legal_department() -> None:
    tina = Staff(7, 10, "legal")
    items = _items([(1, "legal_review", 10, 1, False, 70)])
    assert deal(items, [ALICE, tina, LARA]).items.get_column("assignee_id").to_list() == [7]


def test_collector_of_another_team_is_replaced() -> None:
    assert _owners(_cases([(1, 10, 4, False, 10)]), [ALICE, BOB, CAROL]) == {1: 2}


def test_a_team_without_collectors_gives_its_calls_to_its_lead() -> None:
    assert _owners(_cases([(1, 10, None, False, 10)]), [LENA, CAROL]) == {1: 5}


def _planned(**overrides: object) -> pl.DataFrame:
    base: dict[str, object] = {name: None for name in PLANNED_SCHEMA}
    base.update(
        case_id=1, action="call", channel="call", party="debtor", hold="", unreachable=False,
        contact_dnc=False, window_start=datetime(2026, 11, 20, 1, tzinfo=UTC),
        window_end=datetime(2026, 11, 20, 3, 30, tzinfo=UTC),
        window_start_local=9 * 60, window_end_local=11 * 60 + 30,
    )  # fmt: skip
    base.update(overrides)
    return pl.DataFrame([base], schema=PLANNED_SCHEMA)


def _reason(**overrides: object) -> str:
    return str(minimal_gate(_planned(**overrides)).get_column("gate_reason").item())


def test_minimal_gate_rules() -> None:
    assert _reason() == ""
    assert _reason(hold="dispute") == "hold"
    assert _reason(hold="dispute", action="escalate_specialist", channel="queue") == ""
    assert _reason(contact_dnc=True) == "do_not_contact"
    assert _reason(party="third_party") == "third_party_not_allowed"
    assert _reason(party="third_party", unreachable=True) == ""
    assert _reason(party="third_party", unreachable=True, channel="sms") == "third_party_not_allowed"
    assert _reason(window_start_local=7 * 60 + 30) == "quiet_hours"
    assert _reason(window_end_local=22 * 60 + 1) == "quiet_hours"
    assert _reason(window_end_local=22 * 60) == ""
    assert minimal_gate(_planned()).get_column("allowed").item() is True
