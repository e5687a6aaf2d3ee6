"""Building snapshot rows by hand: every column has a dull default, a test says only what matters."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from huikuan.kernel.strategy.evaluate import SNAPSHOT_SCHEMA
from huikuan.kernel.strategy.policy import Policy, parse_policy

ROOT = Path(__file__).resolve().parents[3]
# A Friday: the weekday morning window applies.
AS_OF = date(2026, 11, 20)


def default_policy() -> Policy:
    return parse_policy((ROOT / "examples" / "policy-default.yaml").read_text(encoding="utf-8"))


def row(case_id: int = 1, dpd: int = 10, **overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "case_id": case_id,
        "status": "open",
        "hold_reason": "",
        "oldest_due_date": AS_OF - timedelta(days=dpd),
        "team_id": 1,
        "assignee_id": None,
        "time_zone": "Asia/Shanghai",
        "balance_fen": 1_240_000,
        "risk_score": None,
        "broken_promises": 0,
        "kept_promises": 0,
        "last_broken_due": None,
        "next_promise_due": None,
        "payments_since_due": 0,
        "cured_episodes": 0,
        "refusals_30d": 0,
        "hardship_90d": 0,
        "disputes_90d": 0,
        "failed_attempts_30d": 0,
        "rpc_30d": 1,
        "escalated_before": False,
        "legal_review_before": False,
        "mobile_id": case_id * 10 + 1,
        "home_id": None,
        "work_id": None,
        "email_id": case_id * 10 + 4,
        "postal_id": case_id * 10 + 5,
        "third_party_id": None,
        "dnc_phones": 0,
    }
    unknown = set(overrides) - set(base)
    assert not unknown, unknown
    base.update(overrides)
    return base


def snapshot(*rows: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=SNAPSHOT_SCHEMA)
