"""Issue 27, item 1: the US validation notice, the dispute it opens, and time-barred debts, on every path.

Under the US pack (COMPLIANCE_PACK=us) a case in collection gets the model notice as a letter, itemised from
the ledger to the cent, with the end of its validation period; a dispute inside the period stops collection
(the workbench's gate, the outbox, the nightly plan) until the verification goes, which the dispute does not
stop. A time-barred debt (HUIKUAN_LIMITATION_YEARS) gets no lawyer's letter, no text that speaks of a suit, no
script line that threatens one, and no referral to legal.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import polars as pl
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.utils import timezone

from huikuan.cases.models import Case, Interaction
from huikuan.comms.compliance_adapter import gate_inputs, gate_messages
from huikuan.comms.models import Message, Purpose
from huikuan.comms.outbox import Request, queue_messages
from huikuan.comms.templates import seed_default_templates
from huikuan.comms.validation import VerificationRefused, queue_validation_notices, send_verification
from huikuan.compliance.actions import ask_gate
from huikuan.compliance.models import GateSource, ValidationNotice
from huikuan.compliance.strategy_gate import compliance_gate
from huikuan.compliance.validation import limitation_years, time_barred_case_ids
from huikuan.kernel.compliance.validation import validation_period_end
from huikuan.kernel.ledger import Component, EntryKind
from huikuan.kernel.scripts import compose
from huikuan.kernel.strategy.evaluate import PLANNED_SCHEMA
from huikuan.portfolio.models import Account, ContactPoint, debtor_today
from huikuan.workbench.handover import HandOverError, close_hand_over
from huikuan.workbench.library import current_library
from huikuan.workbench.views_data import script_facts
from tests.conftest import Personas, client_for
from tests.postings import post_entry
from tests.workbench.fixtures import CaseMaker
from tests.workbench.test_routing import add_item


@pytest.fixture
def us(settings: Any, personas: Personas) -> Personas:
    settings.COMPLIANCE_PACK = "us"
    settings.HUIKUAN_LIMITATION_YEARS = {}
    seed_default_templates()
    return personas


def ledgered(make_case: CaseMaker, dpd: int = 40) -> Case:
    """A case whose ledger holds the worked example: 10,000.00 then; +120.00 interest, +50.00 fees, -500.00."""
    case = make_case(dpd, principal="0.00", interest="0.00", fee="0.00", penalty="0.00")
    case.debtor.address = "100 Main St, Springfield"
    case.debtor.preferred_language = "en"
    case.debtor.save()
    account = Account.objects.get(debtor=case.debtor)
    due = account.due_date
    post_entry(account, EntryKind.PRINCIPAL, "P1", {Component.PRINCIPAL: Decimal("10000.00")}, due)
    post_entry(account, EntryKind.INTEREST, "I1", {Component.INTEREST: Decimal("120.00")}, due + timedelta(days=10))
    post_entry(account, EntryKind.FEE, "F1", {Component.FEE: Decimal("50.00")}, due + timedelta(days=12))
    post_entry(
        account,
        EntryKind.PAYMENT,
        "PAY1",
        {
            Component.INTEREST: Decimal("-120.00"),
            Component.FEE: Decimal("-50.00"),
            Component.PRINCIPAL: Decimal("-330.00"),
        },
        due + timedelta(days=15),
    )
    case.refresh_from_db()
    return case


def dispute(case: Case, at: Any = None) -> None:
    Interaction.objects.create(
        # In writing (a letter in), as 1006.34 counts a dispute: a call would also start the 7-day quiet period.
        case=case,
        channel="letter",
        outcome="dispute",
        party="debtor",
        at=at or timezone.now() - timedelta(minutes=5),
    )


def call_answer(case: Case, user: Any) -> Any:
    point = ContactPoint.objects.get(debtor=case.debtor, kind="mobile", relation="self")
    return ask_gate(case, point, "call", source=GateSource.WORKBENCH, user=user)


def test_a_us_case_gets_one_notice_itemised_from_the_ledger_with_its_period(us: Personas, make_case: CaseMaker) -> None:
    case = ledgered(make_case)
    report = queue_validation_notices()
    assert (report.queued, report.not_queued) == (1, 0)
    notice = ValidationNotice.objects.get(case=case)
    assert notice.message_id is not None
    message = Message.objects.get(pk=notice.message_id)
    assert (message.channel, message.purpose, message.case_id) == ("letter", Purpose.VALIDATION_NOTICE, case.pk)
    today = debtor_today(case.debtor.time_zone, timezone.now())
    assert notice.sent_on == today and notice.period_end == validation_period_end(today)
    assert notice.itemization_date == Account.objects.get(debtor=case.debtor).due_date
    for stated in (
        "10,000.00",
        "+ CNY 120.00",
        "+ CNY 50.00",
        "- CNY 500.00",
        "Total amount of the debt now: CNY 9,670.00",
    ):
        assert stated in message.body, stated
    end = notice.period_end
    assert f"by {end.day} " in message.body and str(end.year) in message.body
    assert notice.itemization["itemization_now"] == "9,670.00"
    # Idempotent: the next hour's run sends nothing more.
    assert queue_validation_notices().queued == 0
    assert Message.objects.filter(purpose=Purpose.VALIDATION_NOTICE).count() == 1


def test_no_notice_under_the_china_pack(personas: Personas, make_case: CaseMaker) -> None:
    seed_default_templates()
    ledgered(make_case)
    assert queue_validation_notices().queued == 0 and not ValidationNotice.objects.exists()


def test_a_case_without_an_address_gets_no_notice_recorded(us: Personas, make_case: CaseMaker) -> None:
    case = ledgered(make_case)
    case.debtor.address = ""
    case.debtor.save()
    report = queue_validation_notices()
    assert (report.queued, report.not_queued) == (0, 1) and not ValidationNotice.objects.exists()


def test_a_dispute_in_the_period_stops_collection_until_the_verification_goes(
    us: Personas, make_case: CaseMaker
) -> None:
    case = ledgered(make_case)
    queue_validation_notices()
    assert call_answer(case, us.alice).allowed
    dispute(case)
    refused = call_answer(case, us.alice)
    assert refused.decision.blocking_rule == "us.validation_dispute"
    page = client_for(us.alice).get(f"/cases/{case.pk}/").content.decode()
    assert 'data-testid="dispute-open"' in page
    # The nightly plan refuses collection contact too.
    now = timezone.now()
    row: dict[str, object] = {name: None for name in PLANNED_SCHEMA}
    row.update(
        case_id=case.pk, action="call", channel="call", party="debtor", window_start=now,
        window_end=now + timedelta(hours=3),
        window_start_local=600, window_end_local=780, priority=1, hold="", unreachable=False, contact_dnc=False,
        specialist=False, reason_zh="", reason_en="",
        contact_point_id=ContactPoint.objects.get(debtor=case.debtor, kind="mobile").pk,
    )  # fmt: skip
    planned = compliance_gate(pl.DataFrame([row], schema=PLANNED_SCHEMA))
    assert planned.get_column("gate_reason").to_list() == ["us.validation_dispute"]
    # The verification goes through the dispute's stop (a service purpose) and lifts it.
    message = send_verification(us.alice, case)
    assert message.purpose == Purpose.VERIFICATION and "9,670.00" in message.body
    decisions = gate_messages(gate_inputs([message]), timezone.now())
    assert decisions[message.pk].blocking_rule != "us.validation_dispute"
    assert ValidationNotice.objects.get(case=case).verification_sent_on == debtor_today(case.debtor.time_zone, now)
    assert call_answer(case, us.alice).allowed
    with pytest.raises(VerificationRefused):
        send_verification(us.alice, case)  # nothing waits any more


def test_a_dispute_after_the_period_does_not_stop_collection(us: Personas, make_case: CaseMaker) -> None:
    case = ledgered(make_case)
    queue_validation_notices()
    ValidationNotice.objects.filter(case=case).update(period_end=date.today() - timedelta(days=3))
    dispute(case)
    assert call_answer(case, us.alice).decision.blocking_rule != "us.validation_dispute"


def test_the_verification_endpoint(us: Personas, make_case: CaseMaker) -> None:
    case = ledgered(make_case)
    api = client_for(us.alice)
    assert api.post(f"/api/cases/{case.pk}/verification").status_code == 400  # no notice yet
    queue_validation_notices()
    assert api.post(f"/api/cases/{case.pk}/verification").status_code == 400  # no dispute
    dispute(case)
    done = api.post(f"/api/cases/{case.pk}/verification")
    assert done.status_code == 201 and done.json()["message_id"] == Message.objects.get(purpose="verification").pk
    other = client_for(us.carol)  # team B: the case does not exist for her
    assert other.post(f"/api/cases/{case.pk}/verification").status_code == 404


@pytest.fixture
def barred(us: Personas, settings: Any, make_case: CaseMaker) -> Case:
    settings.HUIKUAN_LIMITATION_YEARS = {"consumer_loan": 1}
    return make_case(400)  # due 400 days ago: a one-year statute has run


def test_the_day_a_debt_becomes_time_barred(us: Personas, settings: Any, make_case: CaseMaker) -> None:
    settings.HUIKUAN_LIMITATION_YEARS = {"consumer_loan": 1}
    case = make_case(30)
    account = Account.objects.get(debtor=case.debtor)
    now = timezone.now()
    today = debtor_today(case.debtor.time_zone, now)
    account.due_date = today.replace(year=today.year - 1) + timedelta(days=1)  # barred tomorrow
    account.save()
    assert time_barred_case_ids([case], now) == set()
    assert time_barred_case_ids([case], now + timedelta(days=1)) == {case.pk}


def test_a_time_barred_debt_gets_no_threat_of_suit_on_any_path(us: Personas, barred: Case) -> None:
    postal = ContactPoint.objects.create(debtor=barred.debtor, kind="postal", value="1 Elm St")
    # The outbox: a demand letter speaks of a court; a lawyer's letter is a step towards a suit; a reminder is fine.
    queue_messages(
        [
            Request(f"t-{purpose}", barred.debtor_id, "letter" if purpose != "reminder" else "sms", purpose,
                    tone="formal" if purpose != "reminder" else "gentle", case_id=barred.pk)
            for purpose in ("demand_letter", "lawyer_letter", "reminder")
        ]
    )  # fmt: skip
    messages = {m.purpose: m for m in Message.objects.filter(case=barred)}
    assert set(messages) == {"demand_letter", "lawyer_letter", "reminder"}
    decided = gate_messages(gate_inputs(list(messages.values())), timezone.now())
    assert decided[messages["demand_letter"].pk].blocking_rule == "us.time_barred_suit"
    assert decided[messages["lawyer_letter"].pk].blocking_rule == "us.time_barred_suit"
    assert decided[messages["reminder"].pk].blocking_rule != "us.time_barred_suit"
    # The script in the legal tone keeps its demand but drops the suit.
    facts, _ = script_facts(barred, us.alice, timezone.now(), "zh")
    assert facts.time_barred
    text = compose(facts, current_library(), "zh").text()
    assert "逾期" in text and "诉讼" not in text and "法院" not in text
    # No referral to legal.
    add_item(barred, "legal_review", us.lena)
    with pytest.raises(HandOverError) as refused:
        close_hand_over(us.lena, barred, "legal_review", "refer", "客户无力还款，转法务")
    assert "us.time_barred_suit" in refused.value.messages[0]
    barred.refresh_from_db()
    assert barred.status != "legal"
    # The nightly plan refuses its lawyer's letter.
    now = timezone.now()
    row: dict[str, object] = {name: None for name in PLANNED_SCHEMA}
    row.update(
        case_id=barred.pk, action="lawyer_letter", channel="letter", party="debtor", window_start=now,
        window_end=now + timedelta(hours=3), window_start_local=600, window_end_local=780, priority=1, hold="",
        unreachable=False, contact_dnc=False, specialist=False, reason_zh="", reason_en="",
        contact_point_id=postal.pk,
    )  # fmt: skip
    planned = compliance_gate(pl.DataFrame([row], schema=PLANNED_SCHEMA))
    assert planned.get_column("gate_reason").to_list() == ["us.time_barred_suit"]


def test_a_debt_not_yet_barred_may_be_referred(us: Personas, settings: Any, make_case: CaseMaker) -> None:
    settings.HUIKUAN_LIMITATION_YEARS = {"consumer_loan": 6}
    case = make_case(400)
    add_item(case, "legal_review", us.lena)
    assert close_hand_over(us.lena, case, "legal_review", "refer", "转法务") == 1


@pytest.mark.parametrize(
    ("value", "message"),
    [({"scooter": 3}, "unknown product"), ({"credit_card": 0}, "whole number"), ({"credit_card": "6"}, "whole number")],
)
def test_a_bad_limitation_setting_names_itself(settings: Any, value: object, message: str) -> None:
    settings.HUIKUAN_LIMITATION_YEARS = value
    with pytest.raises(ImproperlyConfigured, match=message):
        limitation_years()


def test_the_command_queues_the_notices_and_says_so(
    us: Personas, make_case: CaseMaker, settings: Any, capsys: Any
) -> None:
    ledgered(make_case)
    call_command("comms_notices")
    assert "validation notices queued: 1;" in capsys.readouterr().out
    settings.COMPLIANCE_PACK = "cn"
    call_command("comms_notices")
    assert "nothing to do" in capsys.readouterr().out
