"""Queue dealing: who works each call, visit, specialist hand-over and legal review of the day.

Every item goes to someone who can close it on the case page (``closable``):

- calls and visits go to the case's collector, who keeps the case while still in its team and fit for it.
  A case the policy marks for a specialist goes to a collector with the ``specialist`` skill; with none in
  the team, to the team's collectors; with no collector, to the team lead.
- the specialist hand-over (``escalate_specialist``) goes with the case to its specialist; when the team
  has none, to the team lead, who decides it (the team page says so).
- a legal review goes to the team's legal counsel (the legal role), else to legal counsel who belong to no
  team (a legal department serving every team), else to the team lead. Counsel and leads see every case
  of their scope; a collector sees only the cases they hold, so a collector is never dealt an item of a
  case someone else holds.

New owners and the hand-overs are dealt so that workloads end as level as possible ("water filling"),
highest priority first, always within the case's own team. An item nobody in the team can close is left
without an assignee (``gaps`` names the reason for the team page) rather than given to someone who could
only look at it: a queue row its holder cannot finish is how "next case" used to loop.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import polars as pl

# The actions people work (the rest go to the outbox) and the two that are not contacts.
CALL, VISIT, SPECIALIST, LEGAL_REVIEW = "call", "visit", "escalate_specialist", "legal_review"
CONTACT_ACTIONS = frozenset({CALL, VISIT})
WORKED_ACTIONS = frozenset({CALL, VISIT, SPECIALIST, LEGAL_REVIEW})
# Role and skill names as org stores them (the kernel knows no Django model).
COLLECTOR, TEAM_LEAD, LEGAL, ADMIN = "collector", "team_lead", "legal", "admin"
SPECIALIST_SKILL = "specialist"

K = TypeVar("K", bound=Hashable)
Pools = dict[tuple[int, ...], tuple[list["Staff"], list[K]]]


def parse_skills(text: str) -> frozenset[str]:
    """'specialist, legal_review' → {'specialist', 'legal_review'}; blanks and case do not matter."""
    return frozenset(s.strip().lower() for s in text.split(",") if s.strip())


def closable(role: str, skills: Iterable[str] = (), *, superuser: bool = False) -> frozenset[str]:
    """The item kinds a user can close from the case page.

    Calls and visits are logged contacts: collectors and team leads. The hand-over needs a collector with
    the specialist skill (who then holds the case) or a lead; the legal review needs legal counsel or a lead,
    who answers for the team when it has neither. Administrators can close anything (they keep the
    installation working).
    """
    if superuser or role == ADMIN:
        return WORKED_ACTIONS
    skills = frozenset(skills)
    kinds: set[str] = set()
    if role in (COLLECTOR, TEAM_LEAD):
        kinds |= CONTACT_ACTIONS
    if role == TEAM_LEAD or (role == COLLECTOR and SPECIALIST_SKILL in skills):
        kinds.add(SPECIALIST)
    if role in (LEGAL, TEAM_LEAD):
        kinds.add(LEGAL_REVIEW)
    return frozenset(kinds)


@dataclass(frozen=True, slots=True)
class Staff:
    user_id: int
    team_id: int | None
    role: str
    skills: frozenset[str] = frozenset()
    workload: int = 0

    @property
    def kinds(self) -> frozenset[str]:
        return closable(self.role, self.skills)

    @property
    def specialist(self) -> bool:
        return self.role == COLLECTOR and SPECIALIST_SKILL in self.skills

    @property
    def legal(self) -> bool:
        return self.role == LEGAL


@dataclass
class _Team:
    collectors: list[Staff] = field(default_factory=list)
    specialists: list[Staff] = field(default_factory=list)
    leads: list[Staff] = field(default_factory=list)
    legal: list[Staff] = field(default_factory=list)


def _teams(staff: Sequence[Staff]) -> dict[int | None, _Team]:
    teams: dict[int | None, _Team] = defaultdict(_Team)
    for s in sorted(staff, key=lambda s: s.user_id):
        team = teams[s.team_id]
        if s.role == COLLECTOR:
            team.collectors.append(s)
            if s.specialist:
                team.specialists.append(s)
        elif s.role == TEAM_LEAD and s.team_id is not None:
            # A lead without a team leads nobody and sees only the cases assigned to them: not a fallback.
            team.leads.append(s)
        elif s.legal:
            team.legal.append(s)
    return teams


def owner_pool(team: _Team, specialist_case: bool) -> list[Staff]:
    """Who may hold a case and its calls: its specialists, else its collectors, else its leads."""
    if specialist_case and team.specialists:
        return team.specialists
    return team.collectors or team.leads


def legal_pool(team: _Team, department: _Team) -> list[Staff]:
    """Who reviews a case for legal action: the team's counsel, else the legal department, else the leads."""
    return team.legal or department.legal or team.leads


def gaps(team_id: int | None, staff: Sequence[Staff]) -> tuple[str, ...]:
    """Why some of a team's items go to its lead or to nobody, for the team page.

    ``no_specialist``: hand-overs go to the lead; ``no_legal``: legal reviews go to the lead;
    ``no_collector``: calls and visits go to the lead; ``no_lead``: what only a lead would take goes to nobody.
    """
    teams = _teams(staff)
    team, department = teams.get(team_id, _Team()), teams.get(None, _Team())
    found = []
    if not team.specialists:
        found.append("no_specialist")
    if not team.legal and not department.legal:
        found.append("no_legal")
    if not team.collectors:
        found.append("no_collector")
    if not team.leads:
        found.append("no_lead")
    return tuple(found)


def _fill(loads: Sequence[int], count: int) -> list[int]:
    """How many new items each collector gets so that final loads are as even as possible.

    Finds the lowest level L that ``count`` items can fill everyone up to, raises everyone below L-1 to
    L-1 and gives the few items left over to the first collectors still at L-1.
    """
    if count <= 0 or not loads:
        return [0] * len(loads)
    low, high = min(loads), max(loads) + count
    while low < high:
        mid = (low + high) // 2
        if sum(max(0, mid - load) for load in loads) >= count:
            high = mid
        else:
            low = mid + 1
    extra = [max(0, low - 1 - load) for load in loads]
    rest = count - sum(extra)
    for i, load in enumerate(loads):
        if rest == 0:
            break
        if load <= low - 1:
            extra[i] += 1
            rest -= 1
    return extra


def _deal_pool(units: list[K], pool: list[Staff], loads: dict[int, int]) -> dict[K, int]:
    """Water-fill ``units`` (in priority order) over ``pool``, round the people with quota left, so that
    nobody gets only the hard ones."""
    quota = _fill([loads[s.user_id] for s in pool], len(units))
    chosen: dict[K, int] = {}
    turn = 0
    for unit in units:
        while quota[turn % len(pool)] == 0:
            turn += 1
        person = pool[turn % len(pool)]
        quota[turn % len(pool)] -= 1
        loads[person.user_id] += 1
        chosen[unit] = person.user_id
        turn += 1
    return chosen


@dataclass(frozen=True)
class Deal:
    # case_id, action, assignee_id (null: nobody in the team can close it)
    items: pl.DataFrame
    # case_id, assignee_id: who holds each case that has calls, visits or a hand-over today
    owners: pl.DataFrame


ITEMS_SCHEMA = {"case_id": pl.Int64, "action": pl.Utf8, "assignee_id": pl.Int64}
OWNERS_SCHEMA = {"case_id": pl.Int64, "assignee_id": pl.Int64}


def deal(items: pl.DataFrame, staff: Sequence[Staff]) -> Deal:
    """``items``: case_id, action, team_id, assignee_id (the case's), specialist (bool), priority.

    Only the worked actions are dealt; other rows are ignored. A case's calls and visits go to one person
    however many there are; its workload counts once. A hand-over or legal review dealt to someone other
    than the case's holder counts once per item.
    """
    teams = _teams(staff)
    department = teams.get(None, _Team())
    loads = {s.user_id: s.workload for s in staff}
    rows = (
        items.filter(pl.col("action").is_in(list(WORKED_ACTIONS)))
        .sort(["priority", "case_id", "action"], descending=[True, False, False])
        .select("case_id", "action", "team_id", "assignee_id", "specialist")
    )
    # Pass 1: one owner per case that has calls, visits or a hand-over (in priority order of its best item),
    # in columns: a shard's half a million rows went through a Python loop each night and each re-run.
    legal = rows.filter(pl.col("action") == LEGAL_REVIEW).select("case_id", "team_id")
    contact = rows.filter(pl.col("action") != LEGAL_REVIEW)
    hand_overs = contact.filter(pl.col("action") == SPECIALIST).select("case_id", "team_id").rows()
    cases = contact.group_by("case_id", maintain_order=True).agg(
        pl.col("team_id").first(),
        pl.col("assignee_id").first(),
        (pl.col("specialist").fill_null(False) | (pl.col("action") == SPECIALIST)).any().alias("marked"),
    )
    # Each (team, specialist case) names its pool once; keys with the same people share one pool (and its
    # cases keep their order across the keys), as the people are dealt together.
    pool_ids: dict[tuple[int, ...], int] = {}
    pool_of: dict[int, list[Staff]] = {}
    keys: list[tuple[int | None, bool, int | None]] = []
    members: list[tuple[int, int]] = []
    for team_id, marked in cases.select("team_id", "marked").unique().rows():
        pool = owner_pool(teams.get(team_id, _Team()), marked)
        ids = tuple(s.user_id for s in pool)
        if not pool:
            keys.append((team_id, marked, None))
            continue
        if ids not in pool_ids:
            pool_ids[ids] = len(pool_ids)
            pool_of[pool_ids[ids]] = pool
            members.extend((pool_ids[ids], user_id) for user_id in ids)
        keys.append((team_id, marked, pool_ids[ids]))
    keyed = cases.join(
        pl.DataFrame(keys, schema={"team_id": pl.Int64, "marked": pl.Boolean, "_pool": pl.Int64}, orient="row"),
        on=["team_id", "marked"],
        how="left",
        maintain_order="left",
        nulls_equal=True,
    ).join(
        pl.DataFrame(members, schema={"_pool": pl.Int64, "assignee_id": pl.Int64}, orient="row").with_columns(
            pl.lit(True).alias("_member")
        ),
        on=["_pool", "assignee_id"],
        how="left",
        maintain_order="left",
    )
    # Kept by their holder (still in the pool), or nobody's (no pool): decided in the cases' order.
    kept = keyed.filter(pl.col("_member").fill_null(False) | pl.col("_pool").is_null())
    for user_id, count in kept.filter(pl.col("_member").fill_null(False)).group_by("assignee_id").len().rows():
        loads[user_id] += count
    pools: Pools[int] = {}
    waiting = keyed.filter(pl.col("_pool").is_not_null() & ~pl.col("_member").fill_null(False))
    for pool_index, units in waiting.group_by("_pool", maintain_order=True).agg("case_id").rows():
        pool = pool_of[pool_index]
        pools[tuple(s.user_id for s in pool)] = (pool, units)
    dealt_owners: list[tuple[int, int]] = []
    for pool, units in _by_constraint(pools):
        dealt_owners.extend(_deal_pool(units, pool, loads).items())
    owned = pl.concat(
        [
            kept.select(
                "case_id", pl.when(pl.col("_pool").is_not_null()).then(pl.col("assignee_id")).alias("assignee_id")
            ),
            pl.DataFrame(dealt_owners, schema=OWNERS_SCHEMA, orient="row"),
        ]
    ).cast(pl.Schema(OWNERS_SCHEMA))
    handed = {case_id for case_id, _ in hand_overs}
    owners: dict[int, int | None] = dict(owned.filter(pl.col("case_id").is_in(sorted(handed))).rows()) if handed else {}
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
    # Legal reviews by their team's counsel, in columns too (a shard can hold a hundred thousand); after the
    # hand-overs in a pool both share, each in the rows' order.
    counsel_of = {
        team_id: legal_pool(teams.get(team_id, _Team()), department)
        for team_id in legal.get_column("team_id").unique().to_list()
    }
    counsels: dict[tuple[int, ...], int] = {}  # each pool of counsel once, however many teams it serves
    team_pool: list[tuple[int | None, int]] = []
    for team_id, pool in counsel_of.items():
        if pool:
            team_pool.append((team_id, counsels.setdefault(tuple(s.user_id for s in pool), len(counsels))))
    legal = legal.join(
        pl.DataFrame(team_pool, schema={"team_id": pl.Int64, "_pool": pl.Int64}, orient="row"),
        on="team_id",
        how="left",
        maintain_order="left",
        nulls_equal=True,
    )
    for case_id in legal.filter(pl.col("_pool").is_null()).get_column("case_id").to_list():
        assigned[(case_id, LEGAL_REVIEW)] = None
    pool_at = {index: ids for ids, index in counsels.items()}
    by_person = {s.user_id: s for s in staff}
    for index, units in legal.drop_nulls("_pool").group_by("_pool", maintain_order=True).agg("case_id").rows():
        ids = pool_at[index]
        counsel = [by_person[user_id] for user_id in ids]
        extra.setdefault(ids, (counsel, []))[1].extend((case_id, LEGAL_REVIEW) for case_id in units)
    for people, work in _by_constraint(extra):
        assigned.update(_deal_pool(work, people, loads))
    return _dealt(rows, owned, assigned)


def _dealt(rows: pl.DataFrame, owned: pl.DataFrame, assigned: Mapping[tuple[int, str], int | None]) -> Deal:
    """The deal of ``rows``: calls and visits to the case's owner (``owned``), the rest as dealt in pass 2
    (``assigned``, by case and action); joined as frames, in the rows' order."""
    others = pl.DataFrame(
        {
            "case_id": [case_id for case_id, _ in assigned],
            "action": [action for _, action in assigned],
            "_other": list(assigned.values()),
        },
        schema={"case_id": pl.Int64, "action": pl.Utf8, "_other": pl.Int64},
    )
    dealt = (
        rows.select("case_id", "action")
        .join(owned, on="case_id", how="left", maintain_order="left")
        .join(others, on=["case_id", "action"], how="left", maintain_order="left")
        .select(
            "case_id",
            "action",
            pl.when(pl.col("action").is_in(list(CONTACT_ACTIONS)))
            .then(pl.col("assignee_id"))
            .otherwise(pl.col("_other"))
            .alias("assignee_id"),
        )
    )
    return Deal(dealt.cast(pl.Schema(ITEMS_SCHEMA)), owned)


def _by_constraint(pools: Pools[K]) -> list[tuple[list[Staff], list[K]]]:
    """Smallest pools first: a case only the specialists may take is placed before the collectors' pool
    levels everyone around it, so the levelling sees the specialists' load."""
    return [pools[key] for key in sorted(pools, key=lambda key: (len(key), key))]
