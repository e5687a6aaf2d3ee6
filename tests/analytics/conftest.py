"""A hand-built month of facts for the dashboards: three cases in two teams, their contacts and money.

Team A: case 1 (alice, consumer loan, placed 2026-01-05, 1,000.00) and case 2 (bob, credit card, placed
2026-01-20, 500.00); team B: case 3 (carol, consumer loan, placed 2026-02-01, 2,000.00). Thirty days
before D2 all three were M1; on D1 case 1 is M1, case 2 M2, case 3 M1; case 3 pays 2,000.00 on D1 and is
gone on D2; case 1 pays 300.00 on D2, which keeps the promise alice took on D1; bob's case 2 broke one on D1.
Calls on D1: alice 2 at 10:00 on case 1 (1 answered by the debtor, 1 promise of 300.00), bob 1 at 19:00
(no answer), carol 1 at 10:00 (the debtor); one SMS delivered to case 1 at 09:00.

The facts are written as ``compute_day`` writes them: the frames by COPY, the rollups by the kernel.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import polars as pl
import pytest

from huikuan.analytics.facts import CASE_DAY_COLUMNS, CONTACT_DAY_COLUMNS, MONEY_DAY_COLUMNS
from huikuan.analytics.partitions import ensure_partitions
from huikuan.analytics.stored import fact_day_written
from huikuan.db.bulkwrite import copy_frame
from huikuan.kernel.analytics.kpis import attributed_payments
from huikuan.kernel.analytics.rollup import (
    CONTACT_COLUMNS,
    channel_rollup,
    coarse_rollups,
    contact_rollup,
    portfolio_rollup,
    roll_rollup,
    vintage_rollup,
    vintage_team_rollup,
)
from tests.comms.conftest import smtp_server
from tests.conftest import Personas

__all__ = ["smtp_server"]

D1 = date(2026, 3, 2)  # a Monday
D2 = D1 + timedelta(days=1)
R0 = D2 - timedelta(days=30)


@dataclass
class Facts:
    p: Personas
    first: date = D1
    last: date = D2

    def query(self, **extra: object) -> dict[str, str]:
        return {"start": D1.isoformat(), "end": D2.isoformat(), **{k: str(v) for k, v in extra.items()}}


def _case(day: date, case_id: int, team: int, who: int, product: str, placed: date, bucket: str, fen: int) -> dict:
    return {
        "day": day, "case_id": case_id, "debtor_id": case_id, "status": "open", "dpd": 10, "bucket": bucket,
        "stage": "early", "balance_fen": fen, "product": product, "placed_on": placed, "team_id": team,
        "assignee_id": who, "arm": "", "risk_band": "", "behaviour": "",
    }  # fmt: skip


def _contact(
    day: date, case_id: int, user: int, channel: str, hour: int, a: int, r: int, rpc: int, pr: int, fen: int
) -> dict:
    return {
        "day": day, "case_id": case_id, "user_id": user, "channel": channel, "hour": hour, "weekday": day.weekday(),
        "attempts": a, "reached": r, "rpc": rpc, "promises": pr, "promised_fen": fen,
    }  # fmt: skip


def _money(day: date, case_id: int, paid: int = 0, settled: int = 0, kept: int = 0, broken: int = 0,
           settled_fen: int = 0, kept_fen: int = 0) -> dict:  # fmt: skip
    return {
        "day": day, "case_id": case_id, "payments": 1 if paid else 0, "paid_fen": paid, "waived_fen": 0,
        "promises_settled": settled, "promises_kept": kept, "promises_partly": 0, "promises_broken": broken,
        "settled_fen": settled_fen, "kept_paid_fen": kept_fen,
    }  # fmt: skip


CASE_TYPES: dict[str, Any] = {"day": pl.Date, "placed_on": pl.Date, "dpd": pl.Int32}
for _c in ("case_id", "debtor_id", "balance_fen", "team_id", "assignee_id"):
    CASE_TYPES[_c] = pl.Int64


def write_day(
    day: date, cases: list[dict], contacts: list[dict], money: list[dict], before: pl.DataFrame, week: list[dict]
) -> None:
    """One day's facts and rollups; ``week`` is the contacts of the days before (the channel attribution's)."""
    ensure_partitions(day)
    fact_day_written(day)  # as compute_day records it: the stored figures of its periods are stale
    case_frame = pl.DataFrame(cases, schema_overrides=CASE_TYPES).select(CASE_DAY_COLUMNS)
    contact_frame = (
        pl.DataFrame(contacts, schema_overrides={"day": pl.Date, "hour": pl.Int16, "weekday": pl.Int16})
        if contacts
        else pl.DataFrame(schema={c: pl.Int64 for c in CONTACT_DAY_COLUMNS})
    ).select(CONTACT_DAY_COLUMNS)
    money_frame = (
        pl.DataFrame(money, schema_overrides={"day": pl.Date})
        if money
        else pl.DataFrame(schema={c: pl.Int64 for c in MONEY_DAY_COLUMNS})
    ).select(MONEY_DAY_COLUMNS)
    copy_frame("analytics_caseday", case_frame)
    portfolio = portfolio_rollup(case_frame, money_frame.with_columns(pl.col("day").cast(pl.Date)))
    copy_frame("analytics_portfolioday", portfolio)
    by_hour = contact_rollup(case_frame, contact_frame) if contacts else None
    if by_hour is not None:
        copy_frame("analytics_contactday", contact_frame)
        copy_frame("analytics_contacthour", by_hour)
    if money:
        copy_frame("analytics_moneyday", money_frame)
    coarse = coarse_rollups(portfolio, by_hour if by_hour is not None else pl.DataFrame(schema=CONTACT_TYPES))
    for table, frame in coarse.items():
        copy_frame(table, frame)
    vintage = vintage_rollup(case_frame, money_frame.with_columns(pl.col("day").cast(pl.Date)))
    copy_frame("analytics_vintageday", vintage)
    copy_frame("analytics_vintageteamday", vintage_team_rollup(vintage))
    if not before.is_empty():
        copy_frame("analytics_rollday", roll_rollup(before, case_frame))
    if money and (contacts or week):
        touches = pl.DataFrame(week + contacts, schema_overrides={"day": pl.Date})
        copy_frame("analytics_channelday", channel_rollup(case_frame, attributed_payments(touches, money_frame)))


CONTACT_TYPES: dict[str, Any] = {
    c: pl.Date if c == "day" else pl.Utf8 if c == "channel" else pl.Int64 for c in CONTACT_COLUMNS
}


@pytest.fixture
def facts(personas: Personas) -> Facts:
    p = personas
    a, b = p.team_a.pk, p.team_b.pk
    loan, card = "consumer_loan", "credit_card"
    p1, p2, p3 = date(2026, 1, 5), date(2026, 1, 20), date(2026, 2, 1)
    earlier = [
        _case(R0, 1, a, p.alice.pk, loan, p1, "M1", 100000),
        _case(R0, 2, a, p.bob.pk, card, p2, "M1", 50000),
        _case(R0, 3, b, p.carol.pk, loan, p3, "M1", 200000),
    ]
    write_day(R0, earlier, [], [], pl.DataFrame(), [])
    before = pl.DataFrame(earlier, schema_overrides=CASE_TYPES).select(
        "case_id", "team_id", "assignee_id", "product", "bucket"
    )
    d1_contacts = [
        _contact(D1, 1, p.alice.pk, "call", 10, 2, 1, 1, 1, 30000),
        _contact(D1, 1, 0, "sms", 9, 1, 1, 0, 0, 0),
        _contact(D1, 2, p.bob.pk, "call", 19, 1, 0, 0, 0, 0),
        _contact(D1, 3, p.carol.pk, "call", 10, 1, 1, 1, 0, 0),
    ]
    write_day(
        D1,
        [
            _case(D1, 1, a, p.alice.pk, loan, p1, "M1", 100000),
            _case(D1, 2, a, p.bob.pk, card, p2, "M2", 50000),
            _case(D1, 3, b, p.carol.pk, loan, p3, "M1", 200000),
        ],
        d1_contacts,
        [_money(D1, 3, paid=200000), _money(D1, 2, settled=1, broken=1, settled_fen=20000)],
        pl.DataFrame(),
        [],
    )
    write_day(
        D2,
        [
            _case(D2, 1, a, p.alice.pk, loan, p1, "M1", 100000),
            _case(D2, 2, a, p.bob.pk, card, p2, "M2", 50000),
        ],
        [],
        [_money(D2, 1, paid=30000, settled=1, kept=1, settled_fen=30000, kept_fen=30000)],
        before,
        d1_contacts,
    )
    return Facts(p)
