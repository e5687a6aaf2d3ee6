"""Properties of the queue dealer: every item lands with someone who can close it, and nobody is dealt a
kind of item they cannot close (the demo's "next case" loop came from collectors holding hand-overs)."""

from __future__ import annotations

from collections import defaultdict

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from huikuan.kernel.strategy.queue import (
    CONTACT_ACTIONS,
    LEGAL_REVIEW,
    WORKED_ACTIONS,
    Staff,
    closable,
    deal,
)

TEAMS = st.sampled_from([10, 20, None])
ROLES = st.sampled_from(["collector", "collector", "team_lead", "legal"])
SKILLS = st.frozensets(st.sampled_from(["specialist", "legal_review", "other"]), max_size=2)


@st.composite
def worlds(draw: st.DrawFn) -> tuple[list[Staff], pl.DataFrame]:
    people = draw(st.lists(st.tuples(TEAMS, ROLES, SKILLS, st.integers(0, 5)), max_size=8))
    staff = [Staff(i + 1, team, role, skills, load) for i, (team, role, skills, load) in enumerate(people)]
    ids = [s.user_id for s in staff]
    cases = draw(
        st.lists(
            st.tuples(
                TEAMS,
                st.one_of(st.none(), st.sampled_from(ids)) if ids else st.none(),
                st.booleans(),
                st.frozensets(st.sampled_from(sorted(WORKED_ACTIONS)), min_size=1),
                st.integers(0, 999),
            ),
            max_size=25,
        )
    )
    rows = [
        (case_id, action, team, assignee, specialist, priority)
        for case_id, (team, assignee, specialist, actions, priority) in enumerate(cases, start=1)
        for action in sorted(actions)
    ]
    items = pl.DataFrame(
        rows,
        schema={"case_id": pl.Int64, "action": pl.Utf8, "team_id": pl.Int64, "assignee_id": pl.Int64,
                "specialist": pl.Boolean, "priority": pl.Int64},
        orient="row",
    )  # fmt: skip
    return staff, items


def _dealt(staff: list[Staff], items: pl.DataFrame) -> tuple[dict[tuple[int, str], int | None], dict[int, int | None]]:
    result = deal(items, staff)
    return {(c, a): u for c, a, u in result.items.iter_rows()}, dict(result.owners.iter_rows())


def _could_close(staff: list[Staff], team: int | None, action: str) -> bool:
    """Someone of the case's team (or, for a legal review, the legal department) can close the item and open
    the case (a lead without a team sees only cases assigned to them)."""
    return any(
        action in s.kinds
        and not (s.role == "team_lead" and s.team_id is None)
        and (s.team_id == team or (action == LEGAL_REVIEW and s.team_id is None and s.legal))
        for s in staff
    )


@given(worlds())
def test_every_item_lands_with_someone_who_can_close_it(world: tuple[list[Staff], pl.DataFrame]) -> None:
    staff, items = world
    by_id = {s.user_id: s for s in staff}
    dealt, _owners = _dealt(staff, items)
    assert len(dealt) == items.height
    for case_id, action, team, *_ in items.iter_rows():
        user = dealt[(case_id, action)]
        if user is None:
            assert not _could_close(staff, team, action), (case_id, action)
            continue
        person = by_id[user]
        assert action in closable(person.role, person.skills)
        assert person.team_id == team or (action == LEGAL_REVIEW and person.team_id is None and person.legal)


@given(worlds())
def test_nobody_gets_a_kind_of_item_they_cannot_close(world: tuple[list[Staff], pl.DataFrame]) -> None:
    staff, items = world
    dealt, _owners = _dealt(staff, items)
    received: dict[int, set[str]] = defaultdict(set)
    for (_case, action), user in dealt.items():
        if user is not None:
            received[user].add(action)
    for person in staff:
        assert received[person.user_id] <= person.kinds


@given(worlds())
def test_a_case_has_one_holder_who_sees_all_a_collector_holds(world: tuple[list[Staff], pl.DataFrame]) -> None:
    """What a user is dealt is a case they can open: a collector sees only the cases assigned to them."""
    staff, items = world
    by_id = {s.user_id: s for s in staff}
    dealt, owners = _dealt(staff, items)
    for (case_id, action), user in dealt.items():
        if action in CONTACT_ACTIONS:
            assert user == owners[case_id]
        if user is not None and by_id[user].role == "collector":
            assert owners.get(case_id) == user
        if user is not None and by_id[user].role == "team_lead":
            assert by_id[user].team_id is not None  # a lead sees their team's cases, and only with a team


@given(st.integers(1, 6), st.lists(st.integers(0, 4), min_size=1, max_size=5), st.integers(0, 60))
def test_new_cases_leave_the_team_level(team_size: int, loads: list[int], count: int) -> None:
    staff = [Staff(i + 1, 10, "collector", workload=loads[i % len(loads)]) for i in range(team_size)]
    items = pl.DataFrame(
        {"case_id": list(range(1, count + 1)), "action": ["call"] * count, "team_id": [10] * count,
         "assignee_id": [None] * count, "specialist": [False] * count, "priority": list(range(count))},
        schema={"case_id": pl.Int64, "action": pl.Utf8, "team_id": pl.Int64, "assignee_id": pl.Int64,
                "specialist": pl.Boolean, "priority": pl.Int64},
    )  # fmt: skip
    _dealt_items, owners = _dealt(staff, items)
    final = {s.user_id: s.workload for s in staff}
    for user in owners.values():
        assert user is not None
        final[user] += 1
    before = [s.workload for s in staff]
    # Water filling: nobody ends above the level everyone could be raised to, so the spread only shrinks.
    assert max(final.values()) - min(final.values()) <= max(1, max(before) - min(before))
    assert max(final.values()) <= max(max(before), min(final.values()) + 1)
