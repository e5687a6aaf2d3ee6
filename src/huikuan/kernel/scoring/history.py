"""A history of simulated debtors as event frames, straight from the simulator's debtor model.

The portfolio simulator (analytics) runs the whole system and takes minutes for a few thousand debtors;
for the scoring tests and the benchmark the same debtor model (``kernel.simulation``: personas, answering,
promises, keeping them, unprompted payments) is stepped here over plain frames, so sixty days of a few
thousand debtors take a second. A collector reaches for each open case with ``CALL_SHARE`` a day. The
personas' propensities come back too: the ground truth the model should rank by.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import polars as pl

from huikuan.kernel import simulation as sim
from huikuan.kernel.contacts import FAILED, Outcome
from huikuan.kernel.scoring.features import CASES_SCHEMA, CONTACTS_SCHEMA, PAYMENTS_SCHEMA, PROMISES_SCHEMA

CALL_SHARE = 0.35
PRODUCTS = ("credit_card", "consumer_loan", "online_loan")


@dataclass
class History:
    start: date
    days: int
    debtors: pl.DataFrame  # case_id, propensity, opening balance, due date, product, open date, principal share
    payments: pl.DataFrame
    promises: pl.DataFrame
    contacts: pl.DataFrame

    @property
    def last_day(self) -> date:
        return self.start + timedelta(days=self.days - 1)

    def cases_as_of(self, days: list[date]) -> pl.DataFrame:
        """CASES_SCHEMA rows for every case placed by and still owing at the start of each day."""
        keys = self.debtors.join(pl.DataFrame({"as_of": days}, schema={"as_of": pl.Date()}), how="cross")
        paid = (
            keys.select("case_id", "as_of")
            .join(self.payments, on="case_id")
            .filter(pl.col("day") < pl.col("as_of"))
            .group_by("case_id", "as_of")
            .agg(pl.col("amount_fen").sum().alias("paid"))
        )
        frame = keys.join(paid, on=["case_id", "as_of"], how="left").with_columns(
            (pl.col("opening_fen") - pl.col("paid").fill_null(0)).alias("balance_fen")
        )
        frame = frame.filter((pl.col("balance_fen") > 0) & (pl.col("entry") <= pl.col("as_of"))).with_columns(
            (pl.col("balance_fen") * pl.col("principal_share")).round().cast(pl.Int64).alias("principal_fen"),
            (pl.col("balance_fen") * (1 - pl.col("principal_share")) / 3).round().cast(pl.Int64).alias("penalty_fen"),
            pl.lit(0, pl.Int32).alias("cured_episodes"),
        )
        return frame.select([pl.col(n).cast(t) for n, t in CASES_SCHEMA.items()]).sort("as_of", "case_id")


def simulate(debtors: int, days: int, seed: int = 1, start: date = date(2026, 1, 5), spread: float = 0.8) -> History:
    """``debtors`` cases placed over the first ``spread`` of ``days`` and followed to the end."""
    people = []
    payments: list[tuple[int, date, int]] = []
    promises: list[tuple[int, date, date, str]] = []
    contacts: list[tuple[int, date, str, str, str, bool]] = []
    for case_id in range(1, debtors + 1):
        p = sim.persona(seed, case_id)
        u = sim.draw(seed, "debt", case_id)
        opening = int(50_000 + (u**2) * 3_000_000)  # fen: 500 to 30,500 yuan, most small
        # Cases are placed over the whole period, as new delinquencies keep coming: 1–30 days past due on
        # their first day, so every as-of day holds fresh cases and old ones, with and without history.
        entry = start + timedelta(days=int(sim.draw(seed, "entry", case_id) * days * spread))
        due = entry - timedelta(days=1 + int(sim.draw(seed, "dpd", case_id) * 30))
        product = PRODUCTS[int(sim.draw(seed, "product", case_id) * len(PRODUCTS))]
        open_date = due - timedelta(days=90 + int(sim.draw(seed, "mob", case_id) * 900))
        share = 0.6 + 0.3 * sim.draw(seed, "ps", case_id)
        people.append((case_id, p.propensity, opening, due, product, open_date, share, entry))
        balance = opening
        pending: dict[date, int] = {}
        reminded_until = start - timedelta(days=1)
        for offset in range((entry - start).days, days):
            day = start + timedelta(days=offset)
            if balance <= 0:
                break
            stage = "early" if (day - due).days <= 30 else "middle" if (day - due).days <= 90 else "late"
            paid_today = pending.pop(day, 0)
            if sim.draw(seed, "call", case_id, day) < CALL_SHARE:
                hour = 9 + int(sim.draw(seed, "hour", case_id, day) * 11)
                outcome = sim.call_outcome(
                    p, sim.draw(seed, "answer", case_id, day), sim.draw(seed, "talk", case_id, day),
                    hour, day.weekday(), True, stage,
                )  # fmt: skip
                party = "nobody" if outcome in FAILED else "debtor"
                contacts.append((case_id, day, "call", party, outcome.value, outcome in FAILED))
                if outcome == Outcome.PROMISE:
                    due_on = sim.promised_date(day, sim.draw(seed, "pdate", case_id, day))
                    amount = sim.promised_amount(Decimal(balance) / 100, sim.draw(seed, "pamount", case_id, day))
                    pay = sim.promise_payment(
                        p, amount, day, due_on, sim.draw(seed, "keep", case_id, day),
                        sim.draw(seed, "part", case_id, day), sim.draw(seed, "pday", case_id, day), 0.0,
                    )  # fmt: skip
                    state = "broken" if pay is None else "kept" if pay.amount == amount else "broken"
                    promises.append((case_id, day, due_on, state))
                    if pay is not None:
                        pending[pay.pay_on] = pending.get(pay.pay_on, 0) + int(pay.amount * 100)
            if sim.draw(seed, "sms", case_id, day) < 0.15:
                contacts.append((case_id, day, "sms", "nobody", "sent", False))
                reminded_until = day + timedelta(days=sim.REMINDED_DAYS)
            hazard = sim.payment_hazard(p, stage, day <= reminded_until)
            if sim.draw(seed, "pay", case_id, day) < hazard:
                paid_today += int(
                    sim.unprompted_amount(Decimal(balance) / 100, sim.draw(seed, "amt", case_id, day)) * 100
                )
            paid_today = min(paid_today, balance)
            if paid_today > 0:
                payments.append((case_id, day, paid_today))
                balance -= paid_today
    return History(
        start=start,
        days=days,
        debtors=pl.DataFrame(
            people,
            schema={
                "case_id": pl.Int64,
                "propensity": pl.Float64,
                "opening_fen": pl.Int64,
                "oldest_due": pl.Date,
                "product": pl.Utf8,
                "open_date": pl.Date,
                "principal_share": pl.Float64,
                "entry": pl.Date,
            },
            orient="row",
        ),
        payments=pl.DataFrame(payments, schema=PAYMENTS_SCHEMA, orient="row"),
        promises=pl.DataFrame(promises, schema=PROMISES_SCHEMA, orient="row"),
        contacts=pl.DataFrame(contacts, schema=CONTACTS_SCHEMA, orient="row"),
    )
