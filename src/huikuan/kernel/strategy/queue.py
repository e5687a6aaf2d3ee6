"""Queue assignment: who works each call, visit and escalation.

A case keeps its collector while that collector is still in the case's team and fit for the work
(escalated cases need a specialist). The rest are dealt out so that open workloads end as level as
possible ("water filling"), highest priority first, always to collectors of the case's own team.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl


@dataclass(frozen=True, slots=True)
class Collector:
    user_id: int
    team_id: int | None
    specialist: bool
    workload: int


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


def assign(cases: pl.DataFrame, collectors: Sequence[Collector]) -> pl.DataFrame:
    """``cases``: case_id, team_id, assignee_id, specialist (bool), priority. Returns case_id, assignee_id.

    One row per case: a case gets one person however many items it has today.
    """
    by_id = {c.user_id: c for c in collectors}
    keep: list[tuple[int, int | None]] = []
    pools: dict[tuple[int | None, bool], list[int]] = {}
    rows = cases.sort(["priority", "case_id"], descending=[True, False]).select(
        "case_id", "team_id", "assignee_id", "specialist"
    )
    loads = {c.user_id: c.workload for c in collectors}
    for case_id, team_id, assignee_id, specialist in rows.iter_rows():
        current = by_id.get(assignee_id) if assignee_id is not None else None
        if current is not None and current.team_id == team_id and (current.specialist or not specialist):
            keep.append((case_id, assignee_id))
            loads[current.user_id] += 1
            continue
        pools.setdefault((team_id, bool(specialist)), []).append(case_id)
    for (team_id, specialist), case_ids in sorted(pools.items(), key=lambda kv: (kv[0][0] or 0, kv[0][1])):
        fit = [c for c in collectors if c.team_id == team_id and (c.specialist or not specialist)]
        if not fit and specialist:
            # No specialist in the team: the escalation still needs an owner, the team's collectors get it.
            fit = [c for c in collectors if c.team_id == team_id]
        if not fit:
            keep.extend((case_id, None) for case_id in case_ids)
            continue
        fit.sort(key=lambda c: c.user_id)
        quota = _fill([loads[c.user_id] for c in fit], len(case_ids))
        # Deal in priority order round the collectors with quota left, so nobody gets only the hard ones.
        turn = 0
        for case_id in case_ids:
            while quota[turn % len(fit)] == 0:
                turn += 1
            chosen = fit[turn % len(fit)]
            quota[turn % len(fit)] -= 1
            loads[chosen.user_id] += 1
            keep.append((case_id, chosen.user_id))
            turn += 1
    return pl.DataFrame(keep, schema={"case_id": pl.Int64, "assignee_id": pl.Int64}, orient="row")
