"""The simulator drives the real pipeline and the facts follow from what it wrote (small: 120 debtors, 3 days)."""

from __future__ import annotations

from datetime import date, timedelta
from io import StringIO
from typing import Any

import polars as pl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from huikuan import clock
from huikuan.analytics.facts import compute_day
from huikuan.analytics.models import SimulatedDebtor, Simulation
from huikuan.analytics.readout import experiment_readout
from huikuan.analytics.setup import prepare
from huikuan.analytics.simulator import SimulationError, Simulator, parse_effect
from huikuan.cases.models import Interaction, Promise
from huikuan.db.bulkread import read_frame
from huikuan.kernel.analytics.kpis import roll_matrix, roll_rates
from huikuan.payments.models import Payment, PaymentSource
from huikuan.strategy.models import StrategyRun, WorkItem
from tests.conftest import outer_transaction

FIRST = date(2026, 3, 2)
DAYS = 3


def simulate(seed: int = 5, effects: dict[str, float] | None = None) -> Simulation:
    simulation = prepare(seed=seed, days=DAYS, debtors=120, effects=effects or {}, first_day=FIRST)
    Simulator(simulation, calls_per_collector=25).run()
    return simulation


def facts_by_day() -> list[tuple[object, ...]]:
    """The fact tables summed by day: what must be the same for the same seed, whatever the ids."""
    rows: list[tuple[object, ...]] = []
    for sql in (
        "SELECT day, COUNT(*), SUM(balance_fen), SUM(dpd) FROM analytics_caseday GROUP BY day ORDER BY day",
        "SELECT day, channel, SUM(attempts), SUM(reached), SUM(rpc), SUM(promises), SUM(promised_fen) "
        "FROM analytics_contactday GROUP BY day, channel ORDER BY day, channel",
        "SELECT day, SUM(payments), SUM(paid_fen), SUM(promises_settled), SUM(promises_kept) "
        "FROM analytics_moneyday GROUP BY day ORDER BY day",
    ):
        with connection.cursor() as cursor:
            cursor.execute(sql)
            rows.extend(tuple(str(v) for v in row) for row in cursor.fetchall())
    return rows


@pytest.mark.django_db
def test_a_simulated_portfolio_gets_runs_calls_promises_payments_and_facts_for_every_day() -> None:
    simulation = simulate()
    assert list(StrategyRun.objects.order_by("as_of").values_list("as_of", flat=True)) == [
        FIRST + timedelta(days=n) for n in range(DAYS)
    ]
    calls = Interaction.objects.filter(channel="call", user__isnull=False)
    assert calls.count() > 20
    # Calls happen on the simulated days, during working hours, by the collectors whose queue held them.
    assert {c.at.date() for c in calls} <= {FIRST + timedelta(days=n) for n in range(-1, DAYS)}
    assert Promise.objects.filter(created_by__isnull=False).exists()
    # The generated history has its own statement payments, all before the first simulated day; the simulated
    # debtors' come in through the statement import on the simulated days.
    statement = Payment.objects.filter(source=PaymentSource.BANK_STATEMENT, paid_on__gte=FIRST)
    assert statement.exists()
    assert set(statement.values_list("paid_on", flat=True)) <= {FIRST + timedelta(days=n) for n in range(DAYS)}
    # Ground truth, apart: one persona per debtor.
    assert SimulatedDebtor.objects.filter(simulation=simulation).count() == 120
    days = [row for row in facts_by_day() if len(row) == 4]
    assert [row[0] for row in days] == [str(FIRST + timedelta(days=n)) for n in range(DAYS)]
    # A past day's balance (the snapshot less what was effective since) is the ledger's sum before that day.
    second = FIRST + timedelta(days=1)
    mismatched = read_frame(
        """SELECT f.case_id FROM analytics_caseday f JOIN cases_case c ON c.id = f.case_id
           JOIN portfolio_account a ON a.debtor_id = c.debtor_id JOIN portfolio_ledgerentry e ON e.account_id = a.id
           WHERE f.day = %s AND e.effective_date < %s
           GROUP BY f.case_id, f.balance_fen
           HAVING f.balance_fen <> SUM(e.principal + e.interest + e.fee + e.penalty)""",
        [second, second],
        {"case_id": pl.Int64},
    )
    assert mismatched.is_empty()
    # The rollups add up to the facts they roll up.
    for rollup, facts, column in (
        ("analytics_portfolioday", "analytics_moneyday", "paid_fen"),
        ("analytics_portfolioday", "analytics_moneyday", "promises_settled"),
        ("analytics_portfolioday", "analytics_caseday", "balance_fen"),
        ("analytics_contacthour", "analytics_contactday", "attempts"),
        ("analytics_contacthour", "analytics_contactday", "rpc"),
    ):
        totals = [
            read_frame(f"SELECT COALESCE(SUM({column}), 0) FROM {table}", [], {"n": pl.Int64}).item()
            for table in (rollup, facts)
        ]
        assert totals[0] == totals[1] > 0, (rollup, column)
    # Thirty days on, the roll rollup accounts for every case open on the first day, and its matrix is the
    # kernel's over the case facts of the two days.
    month_later = FIRST + timedelta(days=30)
    compute_day(month_later)
    rolled = read_frame(
        "SELECT from_bucket, to_bucket, cases FROM analytics_rollday WHERE day = %s",
        [month_later],
        {"from": pl.Utf8, "to": pl.Utf8, "cases": pl.Int64},
    )
    case_days = read_frame(
        "SELECT day, case_id, bucket FROM analytics_caseday WHERE day IN (%s, %s)",
        [FIRST, month_later],
        {"day": pl.Date, "case_id": pl.Int64, "bucket": pl.Utf8},
    )
    assert rolled["cases"].sum() == case_days.filter(pl.col("day") == FIRST).height
    assert roll_matrix(rolled).equals(roll_rates(case_days, FIRST, month_later))
    paid = read_frame("SELECT SUM(paid_fen) FROM analytics_moneyday", [], {"paid": pl.Int64}).item()
    # The generated history's payments (before the first simulated day) are not the facts' days.
    simulated = Payment.objects.filter(status="posted", paid_on__gte=FIRST)
    assert paid == sum(int(p.amount * 100) for p in simulated)


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_history_and_computing_a_day_again_changes_nothing() -> None:
    with outer_transaction(rollback=True):
        simulate(seed=9)
        first = facts_by_day()
    assert not Simulation.objects.exists()
    simulate(seed=9)
    assert facts_by_day() == first
    compute_day(FIRST + timedelta(days=1))
    assert facts_by_day() == first


@pytest.mark.django_db
def test_a_planted_effect_names_an_arm_and_the_experiment_is_set_up_for_it() -> None:
    simulation = simulate(effects={"challenger": 0.05})
    assert simulation.effects == {"challenger": 0.05}
    arms = read_frame(
        "SELECT arm, COUNT(*) FROM analytics_caseday WHERE day = %s GROUP BY arm ORDER BY arm",
        [FIRST],
        {"arm": pl.Utf8, "n": pl.Int64},
    )
    assert sorted(arms["arm"].to_list()) == ["challenger", "champion"]
    figures, comparisons = experiment_readout(FIRST, FIRST + timedelta(days=DAYS - 1), minimum_effect=0.05)
    assert {f.arm for f in figures} == {"champion", "challenger"}
    assert {c.metric for c in comparisons} == {"promise_kept", "rpc_rate", "recovery_rate", "contacts_per_1000_yuan"}
    out = StringIO()
    call_command("experiment_readout", start=FIRST, end=FIRST + timedelta(days=DAYS - 1), stdout=out)
    assert "challenger − champion promise_kept" in out.getvalue()


def test_an_effect_is_an_arm_and_a_probability_change() -> None:
    assert parse_effect("challenger=-0.1") == ("challenger", -0.1)
    for bad in ("challenger", "=0.1", "challenger=lots", "challenger=2"):
        with pytest.raises(SimulationError):
            parse_effect(bad)


@pytest.mark.django_db
def test_the_commands_simulate_and_backfill() -> None:
    out = StringIO()
    call_command("simulate", days=2, debtors=60, seed=3, start=FIRST, stdout=out)
    assert "simulated 2026-03-02 – 2026-03-03" in out.getvalue()
    before = facts_by_day()
    call_command("facts_backfill", start=FIRST, end=FIRST + timedelta(days=1), stdout=out)
    assert facts_by_day() == before
    assert "2 days" in out.getvalue()


@pytest.mark.django_db
def test_the_demo_gets_simulated_history_up_to_today() -> None:
    call_command("demo", debtors=40, days=2, seed=2, stdout=StringIO())
    runs = list(StrategyRun.objects.order_by("as_of").values_list("as_of", flat=True))
    assert runs == [clock.today() - timedelta(days=1), clock.today()]
    assert Simulation.objects.get().last_day == clock.today()
    # Today had its night only: its queue waits for the collectors, and nothing is dated after now.
    assert WorkItem.objects.filter(as_of=clock.today(), status="pending").exists()
    assert not WorkItem.objects.filter(as_of=clock.today(), status="done").exists()
    assert not Interaction.objects.filter(at__gt=clock.now()).exists()
    assert not Promise.objects.filter(created_at__gt=clock.now()).exists()
    assert not Payment.objects.filter(paid_on__gt=clock.today()).exists()


def test_the_simulator_refuses_to_run_outside_demo_mode(settings: Any) -> None:
    settings.HUIKUAN_DEMO = False
    with pytest.raises(CommandError, match="HUIKUAN_DEMO"):
        call_command("simulate", days=1, stdout=StringIO())


@pytest.mark.slow
# The seed fixes the debtors, but the database's ids move the draw of arms and outcomes (300 debtors once fell to
# "not significant yet" after other tests had moved the sequences): 600 keep the effect clear of zero.
@pytest.mark.django_db
def test_a_planted_effect_goes_through_the_whole_pipeline_into_the_readout() -> None:
    """Simulated days → promises kept more often in the challenger arm → settlement → facts → readout.

    Small enough for the suite (600 debtors, 16 days), so the effect is large: +0.45 on the kept
    probability (clamped at 1 for the likeliest payers, and a partly kept promise is not kept, so the true
    difference in the kept rate is smaller: found at 0.32 [0.14, 0.46] with this seed). Whether intervals
    cover the planted value is the kernel tests' question, over many seeds (test_readout.py)."""
    days = 16
    simulation = prepare(seed=21, days=days, debtors=600, effects={"challenger": 0.45}, first_day=FIRST)
    Simulator(simulation, calls_per_collector=40).run()
    _, comparisons = experiment_readout(FIRST, FIRST + timedelta(days=days - 1), minimum_effect=0.45)
    kept = next(c for c in comparisons if c.metric == "promise_kept")
    assert kept.arm == "challenger" and kept.difference is not None and kept.low is not None
    print(f"challenger − champion kept rate: {kept.difference:.3f} [{kept.low:.3f}, {kept.high:.3f}] p={kept.p_value}")
    assert kept.verdict == "significant"
    assert kept.low > 0


@pytest.mark.django_db
def test_a_readout_of_days_without_an_experiment_says_so() -> None:
    with pytest.raises(CommandError, match="no case had an arm"):
        call_command("experiment_readout", start=FIRST, end=FIRST, stdout=StringIO())
    with pytest.raises(CommandError, match="on or after"):
        call_command("experiment_readout", start=FIRST, end=FIRST - timedelta(days=1), stdout=StringIO())
