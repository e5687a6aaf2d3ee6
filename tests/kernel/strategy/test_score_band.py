"""A policy rule may segment by the scoring model's band (issue 19, item 5): ``score_band: [A, B]`` matches the
cases whose calibrated probability of paying falls in those bands, and none without a model."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from huikuan.kernel.scoring.bands import BAND_KEYS, band_expression
from huikuan.kernel.scoring.model import band
from huikuan.kernel.strategy.evaluate import evaluate
from huikuan.kernel.strategy.policy import PolicyError, parse_policy

from .frames import AS_OF, ROOT, row, snapshot

RULE = (
    "  - {key: good_payers_sms, action: sms, template: early_gentle, stages: [early], trigger: {every: 1}, "
    "score_band: [A, B], priority: 90}\n"
)


def policy_with(rule: str) -> object:
    text = (ROOT / "examples" / "policy-default.yaml").read_text(encoding="utf-8")
    return parse_policy(text.replace("cadence:\n", "cadence:\n" + rule, 1))


def test_a_rule_names_score_bands_and_matches_only_cases_in_them() -> None:
    policy = policy_with(RULE)
    frame = snapshot(
        row(case_id=1, dpd=13, risk_score=0.3),  # pays with 0.7: band A
        row(case_id=2, dpd=13, risk_score=0.65),  # 0.35: band B
        row(case_id=3, dpd=13, risk_score=0.9),  # 0.1: band D
        row(case_id=4, dpd=13, risk_score=None),  # no model in force: no band
    )
    planned = evaluate(frame, policy, AS_OF).planned  # type: ignore[arg-type]
    sms = planned.filter(pl.col("action") == "sms")
    assert "good_payers_sms" in sms.filter(pl.col("case_id") == 1).get_column("rule").to_list()
    assert "good_payers_sms" in sms.filter(pl.col("case_id") == 2).get_column("rule").to_list()
    assert "good_payers_sms" not in planned.filter(pl.col("case_id").is_in([3, 4])).get_column("rule").to_list()


def test_an_unknown_band_is_refused_naming_the_rule() -> None:
    with pytest.raises(PolicyError, match="score_band"):
        policy_with(RULE.replace("[A, B]", "[A, F]"))


@given(st.lists(st.floats(0, 1), min_size=1, max_size=50))
def test_the_policy_band_is_the_case_pages_band(probabilities: list[float]) -> None:
    frame = pl.DataFrame({"p": probabilities}, schema={"p": pl.Float64})
    from_polars = frame.select(band_expression(pl.col("p"))).to_series().to_list()
    assert from_polars == band(np.array(probabilities)).tolist()
    assert set(from_polars) <= set(BAND_KEYS)
