"""The portfolio simulator: the real nightly pipeline day by day, with simulated debtors answering it.

Each simulated day D, with the clock (huikuan.clock) set to the moment each step would run:

- 01:00 the nightly settlement of promises and plans (``payments.settlement.nightly_settlement``);
- 01:30 the strategy run (``strategy.executors.run_strategy``, in-process: one shard);
- 01:45 the daily facts of D-1 (``analytics.facts.compute_day``);
- 09:00 the outbox: payments' pending messages queued, everything due dispatched through a simulated SMS
  and e-mail provider, and a delivery receipt recorded for each (``comms.optouts.record_receipts``, the day's batch);
- 09:00–20:30 each collector works the day's call items in their queue, up to ``calls_per_collector``,
  saving each call's outcome through ``workbench.actions.save_outcome`` (the gate, the promise rules and
  the audit apply as for a person);
- 18:00 the day's payments arrive as a bank statement file imported through ``payments.statement``.

Today (the real one) and later days get their night only: nothing is dated after the real clock, and
today's queue is left to the people who log in.

What the debtors do is ``kernel.simulation``'s model: a latent persona per debtor and draws keyed by
(seed, event, debtor, day), so the same seed gives the same history. The personas and the planted effects
are written to ``Simulation``/``SimulatedDebtor`` (ground truth), which nothing in the product reads.
"""

from __future__ import annotations

import csv
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Sum

from huikuan import clock
from huikuan.analytics.facts import arms_of, compute_day
from huikuan.analytics.models import SimulatedDebtor, Simulation
from huikuan.cases.models import Case, CaseStatus, Promise, PromiseState
from huikuan.comms.channels.base import Outgoing, SendResult
from huikuan.comms.dispatch import Providers, dispatch_due
from huikuan.comms.feeds import consume_pending_messages
from huikuan.comms.models import Message, MessageStatus
from huikuan.comms.optouts import record_receipts
from huikuan.kernel import delinquency
from huikuan.kernel import simulation as model
from huikuan.kernel.contacts import SELF, Outcome
from huikuan.org.models import User
from huikuan.payments.models import Instalment, InstalmentStatus, PlanKind, PlanStatus
from huikuan.payments.settlement import nightly_settlement
from huikuan.payments.statement import import_statement
from huikuan.portfolio.models import AccountBalance, ContactPoint, Debtor
from huikuan.strategy.executors import run_strategy
from huikuan.strategy.models import WorkItem, WorkStatus
from huikuan.workbench.actions import OutcomeEntry, OutcomeError, save_outcome

WORK_START = dtime(9, 0)
WORK_MINUTES = 11 * 60 + 30  # 09:00–20:30
DELIVERED = 0.95


class SimulationError(ValueError):
    pass


def parse_effect(text: str) -> tuple[str, float]:
    """'challenger=+0.05' → ('challenger', 0.05): a planted change of the promise-kept probability.

    >>> parse_effect("challenger=+0.05")
    ('challenger', 0.05)
    """
    arm, sep, value = text.partition("=")
    try:
        effect = float(value)
    except ValueError:
        effect = float("nan")
    if not sep or not arm.strip() or effect != effect or not -1 <= effect <= 1:
        raise SimulationError(f"an effect is ARM=+0.05 (a change of probability between -1 and 1), not {text!r}")
    return arm.strip(), effect


@dataclass
class SimReport:
    simulation: Simulation
    counts: Counter[str] = field(default_factory=Counter)
    timings: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    seconds: float = 0.0


class SimulatedProvider:
    """An SMS or e-mail provider that accepts everything; delivery is decided afterwards, per debtor."""

    name = "simulated"
    deduplicates = True

    def send(self, message: Outgoing) -> SendResult:
        return SendResult(provider_id=f"sim:{message.key}")

    def close(self) -> None:
        return None


class Simulator:
    def __init__(self, simulation: Simulation, calls_per_collector: int = 40) -> None:
        self.sim = simulation
        self.seed = simulation.seed
        self.effects: dict[str, float] = {k: float(v) for k, v in simulation.effects.items()}
        self.calls_per_collector = calls_per_collector
        self.zone = ZoneInfo(settings.TIME_ZONE)
        self.clock = clock.FixedClock(self._at(simulation.first_day, dtime(0)))
        self.personas: dict[int, model.Persona] = {}
        # Draws are keyed by the customer number, not by database ids: ids depend on what the database
        # handed out before (a sequence is not rolled back), the generated customer numbers do not.
        self.customers: dict[int, str] = {}
        # debtor id → (day, tone) of the last delivered message
        self.reminded: dict[int, tuple[date, str]] = {}
        self.report = SimReport(simulation)
        # The real day, read before the simulation's clock is in force: a simulated day that has not
        # happened yet gets its night only (settlement, run, facts), so nothing is dated in the future and
        # today's queue is left for the people who log in.
        self.real_today = clock.today()

    def _at(self, day: date, at: dtime) -> datetime:
        return datetime.combine(day, at, tzinfo=self.zone)

    def who(self, debtor_id: int) -> str:
        if debtor_id not in self.customers:
            self.customers.update(
                Debtor.objects.filter(id__gte=debtor_id).order_by("id").values_list("id", "customer_no")[:5000]
            )
        return self.customers[debtor_id]

    def persona(self, debtor_id: int) -> model.Persona:
        if debtor_id not in self.personas:
            self.personas[debtor_id] = model.persona(self.seed, self.who(debtor_id))
        return self.personas[debtor_id]

    def _timed(self, name: str, step: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        try:
            return step()
        finally:
            self.report.timings[name] += time.perf_counter() - started

    def run(self) -> SimReport:
        started = time.perf_counter()
        with clock.use(self.clock):
            self.record_ground_truth()
            day = self.sim.first_day
            while day <= self.sim.last_day:
                self.day(day)
                day += timedelta(days=1)
            if self.sim.last_day < self.real_today:
                self.clock.set(self._at(self.sim.last_day, dtime(23, 50)))
                # The last day's facts as they stand tonight (tomorrow's night writes them again, final).
                self._timed("facts", lambda: compute_day(self.sim.last_day))
        self.report.seconds = time.perf_counter() - started
        self.sim.counts = dict(self.report.counts)
        self.sim.save(update_fields=["counts"])
        return self.report

    def record_ground_truth(self) -> None:
        known = set(SimulatedDebtor.objects.filter(simulation=self.sim).values_list("debtor_id", flat=True))
        self.customers.update(Debtor.objects.values_list("id", "customer_no"))
        rows = []
        for debtor_id in sorted(self.customers):
            if debtor_id in known:
                continue
            p = self.persona(debtor_id)
            rows.append(SimulatedDebtor(simulation=self.sim, debtor_id=debtor_id, propensity=p.propensity,
                                        reachable=p.reachable, disputes=p.disputes))  # fmt: skip
        SimulatedDebtor.objects.bulk_create(rows, batch_size=5000)

    def day(self, day: date) -> None:
        counts = self.report.counts
        self.clock.set(self._at(day, dtime(1, 0)))
        self._timed("settle", lambda: nightly_settlement(day))
        self.clock.set(self._at(day, dtime(1, 30)))
        run = self._timed("strategy", lambda: run_strategy(day, shards=1))
        counts["work_items"] += run.result.written
        if day > self.sim.first_day:
            self.clock.set(self._at(day, dtime(1, 45)))
            self._timed("facts", lambda: compute_day(day - timedelta(days=1)))
        if day >= self.real_today:
            counts["nights_only"] += 1
            return
        self.clock.set(self._at(day, dtime(9, 0)))
        self._timed("outbox", lambda: self.outbox(day))
        self._timed("calls", lambda: self.calls(day))
        self.clock.set(self._at(day, dtime(18, 0)))
        self._timed("payments", lambda: self.payments(day))
        counts["days"] += 1

    # The outbox --------------------------------------------------------------------------------------

    def outbox(self, day: date) -> None:
        consume_pending_messages()
        provider = SimulatedProvider()
        report = dispatch_due(now=clock.now(), providers=Providers(factories={"sms": lambda: provider,
                                                                               "email": lambda: provider}))  # fmt: skip
        self.report.counts["messages_sent"] += report.sent
        start, end = self._at(day, dtime(0)), self._at(day + timedelta(days=1), dtime(0))
        sent = Message.objects.filter(
            status=MessageStatus.SENT, provider=SimulatedProvider.name, sent_at__gte=start, sent_at__lt=end
        ).values_list("provider_id", "debtor_id", "channel", "template_version__template__tone")
        receipts = []
        for provider_id, debtor_id, channel, tone in sent:
            p = self.persona(debtor_id)
            u = model.draw(self.seed, "delivered", self.who(debtor_id), day, channel)
            delivered = u < (DELIVERED if p.reachable else 0.3)
            receipts.append({"id": provider_id, "status": "delivered" if delivered else "failed"})
            if delivered:
                self.reminded[debtor_id] = (day, tone or "")
                self.report.counts["messages_delivered"] += 1
        # The provider's receipts of the day in one batch callback (the webhook's rows, a few statements).
        record_receipts(receipts)

    # The collectors' calls ---------------------------------------------------------------------------

    def calls(self, day: date) -> None:
        items = list(
            WorkItem.objects.filter(
                as_of=day,
                status=WorkStatus.PENDING,
                channel="call",
                queue__in=("collector", "specialist"),
                assignee__isnull=False,
                contact_point__isnull=False,
            )
            .order_by("assignee_id", "-priority", "case_id")
            .values_list("id", "case_id", "assignee_id", "contact_point_id", "window_start", "window_end", "stage")
        )
        by_collector: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
        seen: set[int] = set()
        for row in items:
            if row[1] not in seen:  # one call per case a day, whatever the items
                seen.add(row[1])
                by_collector[row[2]].append(row)
        users = User.objects.in_bulk(list(by_collector))
        cases = Case.objects.in_bulk([row[1] for rows in by_collector.values() for row in rows])
        points = dict(ContactPoint.objects.filter(id__in=[row[3] for row in items]).values_list("id", "relation"))
        balances = self._balances([c.debtor_id for c in cases.values()])
        for user_id, rows in by_collector.items():
            worked = rows[: self.calls_per_collector]
            step = WORK_MINUTES / max(1, len(worked))
            for k, (_item, case_id, _user, point_id, window_start, window_end, stage) in enumerate(worked):
                # The k-th call of the day, folded into the item's window (the policy's hours for the case).
                span = (window_end - window_start).total_seconds() / 60
                if span <= 1:
                    self.report.counts["calls_outside_window"] += 1
                    continue
                offset = (k * step + (WORK_START.hour * 60 - window_start.astimezone(self.zone).hour * 60)) % span
                at = window_start + timedelta(minutes=max(0.0, offset))
                self.clock.set(at)
                case = cases[case_id]
                self.call(users[user_id], case, point_id, points.get(point_id) == SELF, stage, balances, day)

    def call(
        self,
        user: User,
        case: Case,
        point_id: int,
        own: bool,
        stage: str,
        balances: dict[int, Decimal],
        day: date,
    ) -> None:
        p = self.persona(case.debtor_id)
        who = self.who(case.debtor_id)
        local = clock.now().astimezone(self.zone)
        outcome = model.call_outcome(
            p,
            model.draw(self.seed, "answer", who, day),
            model.draw(self.seed, "talk", who, day),
            local.hour,
            local.weekday(),
            own,
            stage,
        )
        entry = OutcomeEntry(outcome=outcome.value, point_id=point_id)
        if outcome == Outcome.PLAN_ACCEPTED:
            entry = OutcomeEntry(outcome=outcome.value, point_id=point_id, plan_kind=PlanKind.INSTALMENTS)
        if outcome == Outcome.PROMISE:
            owed = balances.get(case.debtor_id, Decimal("0"))
            if owed <= 0:
                entry = OutcomeEntry(outcome=Outcome.REFUSAL.value, point_id=point_id)
            else:
                amount = model.promised_amount(owed, model.draw(self.seed, "promise_amount", who, day))
                due = model.promised_date(day, model.draw(self.seed, "promise_date", who, day))
                entry = OutcomeEntry(outcome=outcome.value, point_id=point_id, promise_amount=amount, promise_date=due)
        try:
            saved = save_outcome(user, case, entry, now=clock.now())
        except OutcomeError:
            if entry.outcome != Outcome.PLAN_ACCEPTED:
                self.report.counts["calls_refused"] += 1
                return
            # The debtor would take a plan the rules do not offer this case (one open already, too little
            # owed): the call is logged as the hardship it was.
            self.report.counts["plans_refused"] += 1
            entry = OutcomeEntry(outcome=Outcome.HARDSHIP.value, point_id=point_id)
            try:
                saved = save_outcome(user, case, entry, now=clock.now())
            except OutcomeError:
                self.report.counts["calls_refused"] += 1
                return
        self.report.counts["calls"] += 1
        self.report.counts[f"call_{entry.outcome}"] += 1
        if saved.promise is not None:
            self.report.counts["promises"] += 1
        if saved.plan is not None:
            self.report.counts["plans"] += 1

    def _balances(self, debtor_ids: list[int]) -> dict[int, Decimal]:
        owed: dict[int, Decimal] = {}
        ids = sorted(set(debtor_ids))
        for start in range(0, len(ids), 5000):
            rows = (
                AccountBalance.objects.filter(account__debtor_id__in=ids[start : start + 5000])
                .values("account__debtor_id")
                .annotate(total=Sum("total"))
                .values_list("account__debtor_id", "total")
            )
            owed.update({debtor: Decimal(total) for debtor, total in rows})
        return owed

    # The day's payments ------------------------------------------------------------------------------

    def payments(self, day: date) -> None:
        open_cases = list(
            Case.objects.filter(status__in=(CaseStatus.OPEN, CaseStatus.ON_HOLD), oldest_due_date__isnull=False)
            .order_by("id")
            .values_list("id", "debtor_id", "oldest_due_date", "debtor__customer_no")
        )
        balances = self._balances([row[1] for row in open_cases])
        pending: dict[int, tuple[int, Decimal, date, date]] = {}
        for promise_id, case_id, amount, due, made in Promise.objects.filter(
            state=PromiseState.PENDING, case_id__in=[row[0] for row in open_cases]
        ).values_list("id", "case_id", "amount", "due_date", "created_at"):
            pending[case_id] = (promise_id, amount, due, made.astimezone(self.zone).date())
        instalments: dict[int, list[tuple[int, Decimal, date, date]]] = defaultdict(list)
        for case_id, n, amount, paid, due, accepted in Instalment.objects.filter(
            plan__status=PlanStatus.ACTIVE,
            plan__case_id__in=[row[0] for row in open_cases],
            status__in=(InstalmentStatus.DUE, InstalmentStatus.PARTLY_PAID, InstalmentStatus.LATE),
            due_date__gte=day,
        ).values_list("plan__case_id", "n", "amount", "paid_amount", "due_date", "plan__accepted_on"):
            instalments[case_id].append((n, amount - paid, due, accepted or day))
        arms = arms_of(day, [row[0] for row in open_cases]) if self.effects else {}
        lines: list[tuple[str, Decimal, str]] = []
        for case_id, debtor_id, oldest_due, customer_no in open_cases:
            owed = balances.get(debtor_id) or Decimal("0")
            if owed <= 0 or oldest_due is None:
                continue
            p = self.persona(debtor_id)
            effect = self.effects.get(arms.get(case_id, ""), 0.0)
            if case_id in instalments:
                paying = self._instalments(p, debtor_id, instalments[case_id], effect, day)
            else:
                paying = self._payment(p, debtor_id, oldest_due, owed, pending.get(case_id), effect, day)
            if paying is not None and paying > 0:
                lines.append((customer_no, min(paying, owed), f"SIM{self.seed}-{day:%Y%m%d}-{customer_no}"))
        if not lines:
            return
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"statement-{day}.csv"
            with path.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(["transaction_id", "amount", "paid_on", "customer_no"])
                for customer_no, amount, key in lines:
                    writer.writerow([key, f"{amount:.2f}", day.isoformat(), customer_no])
            report = import_statement(path)
        if not report.ok:
            raise SimulationError("; ".join(report.error_lines()[:5]))
        self.report.counts["payments"] += report.posted
        self.report.counts["paid_fen"] += int(report.amount * 100)

    def _instalments(
        self, p: model.Persona, debtor_id: int, due: list[tuple[int, Decimal, date, date]], effect: float, day: date
    ) -> Decimal | None:
        """What the debtor pays today towards their plan's open instalments (the plan and the number name each)."""
        total = Decimal("0")
        for n, amount, due_date, accepted in due:
            key = (self.who(debtor_id), accepted, n)
            paid = model.instalment_payment(
                p, amount, accepted, due_date, model.draw(self.seed, "instalment", *key),
                model.draw(self.seed, "instalment_day", *key), effect,
            )  # fmt: skip
            if paid is not None and paid.pay_on == day:
                total += paid.amount
        return total or None

    def _payment(
        self,
        p: model.Persona,
        debtor_id: int,
        oldest_due: date,
        owed: Decimal,
        promise: tuple[int, Decimal, date, date] | None,
        effect: float,
        day: date,
    ) -> Decimal | None:
        if promise is not None:
            _promise_id, amount, due, made = promise
            # A case has one pending promise at a time: the customer and the day it was made name it.
            key = (self.who(debtor_id), made)
            paid = model.promise_payment(
                p,
                amount,
                made,
                due,
                model.draw(self.seed, "keep", *key),
                model.draw(self.seed, "part", *key),
                model.draw(self.seed, "pay_day", *key),
                effect,
            )
            return paid.amount if paid is not None and paid.pay_on == day else None
        stage = delinquency.stage(delinquency.days_past_due(oldest_due, day)).value
        last = self.reminded.get(debtor_id)
        reminded = last is not None and (day - last[0]).days < model.REMINDED_DAYS
        hazard = model.payment_hazard(p, stage, reminded, last[1] if last and reminded else "")
        if model.draw(self.seed, "pays", self.who(debtor_id), day) >= hazard:
            return None
        return model.unprompted_amount(owed, model.draw(self.seed, "pays_amount", self.who(debtor_id), day))
