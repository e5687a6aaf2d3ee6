"""The dealer's first pass in columns equals the loop it replaced (kept here as the definition), item for item
and owner for owner, in the same order, on random teams and queues (null teams and specialist marks too)."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from huikuan.kernel.strategy.queue import (
    LEGAL_REVIEW,
    OWNERS_SCHEMA,
    SPECIALIST,
    WORKED_ACTIONS,
    Deal,
    Pools,
    Staff,
    _by_constraint,
    _deal_pool,
    _dealt,
    _Team,
    _teams,
    deal,
    legal_pool,
    owner_pool,
)

TEAMS = st.sampled_from([10, 20, 30, None])
ROLES = st.sampled_from(["collector", "collector", "collector", "team_lead", "legal"])
SKILLS = st.frozensets(st.sampled_from(["specialist", "legal_review"]), max_size=2)
ACTIONS = sorted(WORKED_ACTIONS | {"sms", "letter"})


@st.composite
def worlds(draw: st.DrawFn) -> tuple[list[Staff], pl.DataFrame]:
    people = draw(st.lists(st.tuples(TEAMS, ROLES, SKILLS, st.integers(0, 9)), max_size=10))
    staff = [Staff(i + 1, team, role, skills, load) for i, (team, role, skills, load) in enumerate(people)]
    holders = st.one_of(st.none(), st.integers(1, len(staff) + 2))  # some hold cases and left the staff
    rows = draw(
        st.lists(
            st.tuples(
                st.integers(1, 40), st.sampled_from(ACTIONS), TEAMS, holders, st.one_of(st.none(), st.booleans()),
                st.integers(0, 20),
            ),
            max_size=80,
            unique_by=lambda row: (row[0], row[1]),
        )
    )  # fmt: skip
    items = pl.DataFrame(
        rows,
        schema={"case_id": pl.Int64, "action": pl.Utf8, "team_id": pl.Int64, "assignee_id": pl.Int64,
                "specialist": pl.Boolean, "priority": pl.Int64},
        orient="row",
    )  # fmt: skip
    return staff, items


@settings(max_examples=400)
@given(worlds())
def test_the_columnar_first_pass_deals_as_the_loop_did(world: tuple[list[Staff], pl.DataFrame]) -> None:
    staff, items = world
    now, before = deal(items, staff), _reference_deal(items, staff)
    assert_frame_equal(now.items, before.items)
    assert_frame_equal(now.owners, before.owners)


def _reference_deal(items: pl.DataFrame, staff: Sequence[Staff]) -> Deal:
    """The dealer as it was before its first pass went to columns (a loop over every row), kept as the
    definition the columnar one must equal."""
    teams = _teams(staff)
    department = teams.get(None, _Team())
    loads = {s.user_id: s.workload for s in staff}
    rows = (
        items.filter(pl.col("action").is_in(list(WORKED_ACTIONS)))
        .sort(["priority", "case_id", "action"], descending=[True, False, False])
        .select("case_id", "action", "team_id", "assignee_id", "specialist")
    )
    # Pass 1: one owner per case that has calls, visits or a hand-over (in priority order of its best item).
    cases: dict[int, tuple[int | None, int | None, bool]] = {}
    hand_overs: list[tuple[int, int | None]] = []
    legal: list[tuple[int, int | None]] = []
    for case_id, action, team_id, assignee_id, specialist in rows.iter_rows():
        if action == LEGAL_REVIEW:
            legal.append((case_id, team_id))
            continue
        known = cases.get(case_id)
        marked = bool(specialist) or action == SPECIALIST
        if known is None:
            cases[case_id] = (team_id, assignee_id, marked)
        elif marked and not known[2]:
            cases[case_id] = (known[0], known[1], True)
        if action == SPECIALIST:
            hand_overs.append((case_id, team_id))
    owners: dict[int, int | None] = {}
    pools: Pools[int] = {}
    # A team's pool and its members' ids, once per (team, specialist case): half a million cases a shard
    # would otherwise each scan their team's list.
    pool_of: dict[tuple[int | None, bool], tuple[list[Staff], tuple[int, ...], frozenset[int]]] = {}
    for case_id, (team_id, assignee_id, marked) in cases.items():
        found = pool_of.get((team_id, marked))
        if found is None:
            pool = owner_pool(teams.get(team_id, _Team()), marked)
            ids = tuple(s.user_id for s in pool)
            found = pool_of[(team_id, marked)] = (pool, ids, frozenset(ids))
        pool, ids, members = found
        if not pool:
            owners[case_id] = None
        elif assignee_id is not None and assignee_id in members:
            owners[case_id] = assignee_id
            loads[assignee_id] += 1
        else:
            pools.setdefault(ids, (pool, []))[1].append(case_id)
    for pool, units in _by_constraint(pools):
        owners.update(_deal_pool(units, pool, loads))
    # Pass 2: hand-overs the holder cannot close go to the team's leads; legal reviews to counsel.
    kinds = {s.user_id: s.kinds for s in staff}
    assigned: dict[tuple[int, str], int | None] = {}
    extra: Pools[tuple[int, str]] = {}
    for case_id, team_id in hand_overs:
        owner = owners.get(case_id)
        if owner is not None and SPECIALIST in kinds[owner]:
            assigned[(case_id, SPECIALIST)] = owner
            continue
        leads = teams.get(team_id, _Team()).leads
        if not leads:
            assigned[(case_id, SPECIALIST)] = None
        else:
            extra.setdefault(tuple(s.user_id for s in leads), (leads, []))[1].append((case_id, SPECIALIST))
    for case_id, team_id in legal:
        counsel = legal_pool(teams.get(team_id, _Team()), department)
        if not counsel:
            assigned[(case_id, LEGAL_REVIEW)] = None
        else:
            extra.setdefault(tuple(s.user_id for s in counsel), (counsel, []))[1].append((case_id, LEGAL_REVIEW))
    for people, work in _by_constraint(extra):
        assigned.update(_deal_pool(work, people, loads))
    # Calls and visits to the owners, the rest as dealt: the kernel's assembly (not what is held to the loop).
    owned = pl.DataFrame({"case_id": list(owners), "assignee_id": list(owners.values())}, schema=OWNERS_SCHEMA)
    return _dealt(rows, owned, assigned)
