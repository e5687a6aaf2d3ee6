"""The set-based forms of kernel.contacts and kernel.localtime agree with the kernel on random histories.

The gate's bulk reader (ORM), the strategy's batch gate (SQL and Polars) and the kernel each say what a stored
interaction means: answered, a third party's refusal, a conversation, the debtor's local day. Random histories
of random debtors in random zones go through every form; each must give what the kernel functions give.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huikuan.cases.models import Case, Interaction
from huikuan.compliance.actions import ask_gate
from huikuan.compliance.facts import case_gate_facts, gate_facts, third_party_record
from huikuan.compliance.models import GateSource
from huikuan.compliance.strategy_gate import _call_history, _case_facts, _points, _third_party_record, compliance_gate
from huikuan.kernel import contacts
from huikuan.kernel.localtime import local_day
from huikuan.portfolio.models import ContactPoint, Debtor
from tests.compliance.test_strategy_gate import MORNING, frame, planned
from tests.conftest import Personas

WINDOW = MORNING[0]  # 09:00 on Friday 20 November 2026 in Shanghai
ZONES = ["Asia/Shanghai", "Asia/Tokyo", "America/Los_Angeles", "Europe/London", ""]
RELATIONS = [contacts.SELF, contacts.GUARANTOR, "spouse", "colleague"]

interaction = st.tuples(
    st.integers(0, 2),  # debtor
    st.integers(0, 2),  # that debtor's point
    st.sampled_from(["call", "call", "sms", "visit"]),
    st.sampled_from(list(contacts.Party)),
    st.sampled_from(list(contacts.Outcome)),
    st.integers(min_value=-10 * 24 * 60, max_value=24 * 60),  # minutes from the window's start
)
world = st.tuples(
    st.lists(st.sampled_from(ZONES), min_size=3, max_size=3),
    st.lists(st.sampled_from(RELATIONS), min_size=9, max_size=9),
    st.lists(interaction, max_size=25),
)


def build(zones: list[str], relations: list[str]) -> tuple[list[Case], list[list[ContactPoint]]]:
    cases, points = [], []
    for d, zone in enumerate(zones):
        debtor = Debtor.objects.create(customer_no=f"F-{d}", name="王芳", time_zone=zone)
        cases.append(Case.objects.create(debtor=debtor))
        points.append(
            [
                ContactPoint.objects.create(debtor=debtor, kind="mobile", value=f"+861390000{d}{p}", relation=relation)
                for p, relation in enumerate(relations[3 * d : 3 * d + 3])
            ]
        )
    return cases, points


@pytest.mark.django_db
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(world)
def test_third_party_records_in_orm_and_sql_agree_with_the_kernel(
    personas: Personas, facts: tuple[list[str], list[str], list[tuple[int, int, str, str, str, int]]]
) -> None:
    zones, relations, history = facts
    with transaction.atomic():
        cases, points = build(zones, relations)
        refused, answered = set(), set()
        for d, p, channel, party, outcome, minutes in history:
            at = WINDOW + timedelta(minutes=minutes)
            point = points[d][p]
            Interaction.objects.create(
                case=cases[d], contact_point=point, channel=channel, party=party, outcome=outcome, at=at
            )
            if at < WINDOW and contacts.refused_by_third_party(party, outcome):
                refused.add(point.pk)
            if at < WINDOW and contacts.answered(outcome):
                answered.add(point.pk)
        ids = [p.pk for ps in points for p in ps]
        assert third_party_record(ids, WINDOW) == (refused, answered)
        record = _third_party_record(pl.Series(ids), WINDOW)
        rows = {r["contact_point_id"]: r for r in record.iter_rows(named=True)}
        assert {i for i, r in rows.items() if r["refused"]} == refused
        assert {i for i, r in rows.items() if r["answered"]} == answered
        owners = {p.pk: contacts.owner_of(p.relation).value for ps in points for p in ps}
        got = _points(pl.Series(ids)).select("contact_point_id", contacts.owner_expr(pl.col("relation")).alias("owner"))
        assert dict(got.iter_rows()) == owners
        transaction.set_rollback(True)


@pytest.mark.django_db
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(world)
def test_the_batch_gates_call_days_are_the_kernels_local_days_and_conversations(
    personas: Personas, facts: tuple[list[str], list[str], list[tuple[int, int, str, str, str, int]]]
) -> None:
    zones, relations, history = facts
    with transaction.atomic():
        cases, points = build(zones, relations)
        expected: dict[int, tuple[list[date], date | None]] = {}
        for d, p, channel, party, outcome, minutes in history:
            at = WINDOW + timedelta(minutes=minutes)
            Interaction.objects.create(
                case=cases[d], contact_point=points[d][p], channel=channel, party=party, outcome=outcome, at=at
            )
            if channel != "call" or not (WINDOW - timedelta(days=8) <= at < WINDOW):
                continue
            days, last = expected.get(cases[d].pk, ([], None))
            day = local_day(at, zones[d])
            if contacts.conversation(party, outcome):
                last = day if last is None or day > last else last
            expected[cases[d].pk] = ([*days, day], last)
        ids = pl.Series([c.pk for c in cases])
        case_facts = _case_facts(ids)
        got = _call_history(ids, case_facts.select("case_id", "debtor_tz"), WINDOW)
        history_by_case = {
            r["case_id"]: (sorted(r["call_dates"]), r["last_conversation_date"]) for r in got.iter_rows(named=True)
        }
        assert history_by_case == {case: (sorted(days), last) for case, (days, last) in expected.items()}
        # The gate's own reader takes the same zone for a debtor who has none: the setting's.
        gate = gate_facts(cases, WINDOW)
        zones_seen = dict(case_facts.select("case_id", "debtor_tz").iter_rows())
        assert {c.pk: case_gate_facts(c, gate).timezone for c in cases} == zones_seen
        transaction.set_rollback(True)


@pytest.mark.django_db
@pytest.mark.parametrize(("relation", "allowed"), [(contacts.GUARANTOR, True), ("spouse", False)])
def test_the_batch_gate_treats_a_guarantor_as_the_contact_gate_does(
    personas: Personas, relation: str, allowed: bool
) -> None:
    """The cn pack counts a guarantor as a party to the debt: a guarantor who once said no may be called
    again, a spouse who refused may not. The strategy's batch gate must answer as the contact gate does."""
    cases, _ = build(["Asia/Shanghai"] * 3, [contacts.SELF] * 9)
    case = cases[0]
    point = ContactPoint.objects.create(debtor=case.debtor, kind="mobile", value="+8613999990000", relation=relation)
    Interaction.objects.create(case=case, contact_point=point, channel="call", party="third_party",
                               outcome="refusal", at=WINDOW - timedelta(days=30))  # fmt: skip
    row = planned(case, "call", *MORNING, party="third_party")
    row.update(contact_point_id=point.pk, unreachable=True)
    batch = compliance_gate(frame([row])).get_column("allowed").to_list()
    single = ask_gate(case, point, "call", source=GateSource.STRATEGY, at=WINDOW).allowed
    assert batch == [allowed] and single is allowed
