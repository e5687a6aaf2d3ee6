from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from huikuan.kernel.strategy.evaluate import PLANNED_SCHEMA
from huikuan.kernel.strategy.gate import minimal_gate
from huikuan.kernel.strategy.queue import Collector, _fill, assign


def _cases(rows: list[tuple[int, int, int | None, bool, int]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={"case_id": pl.Int64, "team_id": pl.Int64, "assignee_id": pl.Int64, "specialist": pl.Boolean,
                "priority": pl.Int64},
        orient="row",
    )  # fmt: skip


ALICE, BOB, SAM, CAROL = (Collector(1, 10, False, 5), Collector(2, 10, False, 0),
                          Collector(3, 10, True, 0), Collector(4, 20, False, 0))  # fmt: skip


def test_fill_levels_loads() -> None:
    assert _fill([5, 0, 0], 7) == [0, 4, 3]
    extra = _fill([5, 0, 0], 13)
    final = [load + e for load, e in zip([5, 0, 0], extra, strict=True)]
    assert sum(extra) == 13 and max(final) - min(final) <= 1


def test_a_case_keeps_its_collector() -> None:
    chosen = dict(assign(_cases([(1, 10, 1, False, 10)]), [ALICE, BOB, SAM]).iter_rows())
    assert chosen == {1: 1}


def test_new_cases_balance_workload_within_the_team() -> None:
    cases = _cases([(i, 10, None, False, 100 - i) for i in range(1, 8)])
    chosen = assign(cases, [ALICE, BOB, CAROL])
    per_user = dict(chosen.group_by("assignee_id").len().iter_rows())
    # Alice already has 5: Bob takes the new ones until they are level; Carol is in another team.
    assert per_user == {2: 6, 1: 1}


def test_escalations_go_to_specialists_and_leave_the_collector() -> None:
    chosen = dict(assign(_cases([(1, 10, 1, True, 80), (2, 10, None, True, 80)]), [ALICE, BOB, SAM]).iter_rows())
    assert chosen == {1: 3, 2: 3}


def test_collector_of_another_team_is_replaced() -> None:
    chosen = dict(assign(_cases([(1, 10, 4, False, 10)]), [ALICE, BOB, CAROL]).iter_rows())
    assert chosen == {1: 2}


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
