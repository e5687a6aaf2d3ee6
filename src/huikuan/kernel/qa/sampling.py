"""The weekly QA sample: a share of each collector's calls drawn at random, plus every flagged call and every
call with a complaint. Pure and reproducible: the same calls, share and week draw the same sample.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from decimal import Decimal

REASONS = ("flagged", "complaint", "random")


@dataclass(frozen=True, slots=True)
class CallFacts:
    call_id: int
    collector_id: int | None
    flagged: bool
    complaint: bool


@dataclass(frozen=True, slots=True)
class Pick:
    call_id: int
    reason: str  # flagged / complaint / random


def choose_sample(calls: list[CallFacts], share: Decimal, seed: str) -> list[Pick]:
    """Every flagged call and every complaint, then per collector ``ceil(share × their other calls)`` at random.

    ``share`` is between 0 and 1. ``seed`` names the draw (e.g. the week), so the queue is stable on reload.
    """
    if not Decimal(0) <= share <= Decimal(1):
        raise ValueError(f"the QA sample share must be between 0 and 1, got {share}")
    picks: list[Pick] = []
    rest: dict[int | None, list[int]] = {}
    for call in sorted(calls, key=lambda c: c.call_id):
        if call.flagged:
            picks.append(Pick(call.call_id, "flagged"))
        elif call.complaint:
            picks.append(Pick(call.call_id, "complaint"))
        else:
            rest.setdefault(call.collector_id, []).append(call.call_id)
    for collector, ids in sorted(rest.items(), key=lambda item: (item[0] is None, item[0] or 0)):
        count = math.ceil(share * len(ids))
        draw = random.Random(f"{seed}:{collector}").sample(ids, count)
        picks.extend(Pick(call_id, "random") for call_id in sorted(draw))
    return picks
