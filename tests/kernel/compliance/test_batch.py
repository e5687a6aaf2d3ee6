"""The strategy run's batch gate must say exactly what the scalar gate says, row by row."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import polars as pl
import pytest

from huikuan.kernel.compliance.batch import PlanFrameError, check_contacts, plan_frame, plan_row
from huikuan.kernel.compliance.gate import check_contact
from huikuan.kernel.compliance.packs import load_pack

from .plans import random_situation


@pytest.mark.parametrize("pack_name", ["cn", "us", "uk"])
def test_batch_agrees_with_scalar_on_random_plans(pack_name: str) -> None:
    pack = load_pack(pack_name)
    rng = random.Random(f"agreement-{pack_name}")
    situations = [random_situation(rng) for _ in range(3000)]
    failed = pack.rule(f"{pack_name}.third_party").params["unreachable_after_failed_attempts"]
    rows = [
        plan_row(s.history, s.facts, s.point, s.outreach, s.at, unreachable_after_failed_attempts=failed)
        for s in situations
    ]
    out = check_contacts(plan_frame(rows), pack)
    assert out.height == len(situations)
    mismatches = []
    for situation, row in zip(situations, out.iter_rows(named=True), strict=True):
        scalar = check_contact(
            situation.history, situation.facts, situation.point, situation.outreach, situation.at, pack
        )
        got = (row["allowed"], row["blocking_rule"], row["next_allowed_at"], sorted(row["warn_rules"]))
        want = (
            scalar.allowed,
            scalar.blocking_rule,
            scalar.next_allowed_at,
            sorted(r.rule_id for r in scalar.warnings),
        )
        if got != want:
            mismatches.append((situation, got, want))
    assert not mismatches, f"{len(mismatches)} mismatches, first: {mismatches[0]}"
    # The random plans must actually exercise both outcomes and several rules.
    assert 0.1 < int(out["allowed"].sum()) / out.height < 0.9
    assert out["blocking_rule"].n_unique() >= 6


def test_batch_refuses_a_frame_without_its_columns() -> None:
    frame = pl.DataFrame({"at": [datetime(2026, 1, 5, 3, tzinfo=UTC)]})
    with pytest.raises(PlanFrameError, match="debtor_tz"):
        check_contacts(frame, load_pack("cn"))
