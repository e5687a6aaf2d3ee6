"""Issue 27: US state law on time-barred debts, read from the database and enforced on the outbox.

The limitation period is the product's in the debtor's state (HUIKUAN_LIMITATION_YEARS keys "product",
"product/STATE", "*/STATE"), the state comes from the account file (column ``region``), and a written
message on a time-barred debt in a state that requires it carries the state's disclosure: the outbox writes
it into the text, and the gate refuses at sending one that lacks it (us.time_barred_disclosure).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from huikuan.cases.models import Case
from huikuan.comms.compliance_adapter import gate_inputs, gate_messages
from huikuan.comms.models import Message
from huikuan.comms.outbox import Request, queue_messages
from huikuan.comms.templates import seed_default_templates
from huikuan.compliance.validation import limitation_years, time_bar_disclosures, time_barred_case_ids
from huikuan.intake.importer import import_accounts
from huikuan.kernel.compliance.packs import load_pack
from huikuan.kernel.scripts import compose
from huikuan.portfolio.models import ContactPoint, Debtor
from huikuan.workbench.library import current_library
from huikuan.workbench.views_data import script_facts
from tests.conftest import Personas
from tests.intake.test_import import HEADER, row, write
from tests.workbench.fixtures import CaseMaker

DISCLOSURES = next(r for r in load_pack("us").rules if r.kind == "time_barred_disclosure").params["disclosures"]


def in_state(case: Case, region: str, language: str = "en") -> Case:
    Debtor.objects.filter(pk=case.debtor_id).update(region=region, preferred_language=language)
    ContactPoint.objects.get_or_create(debtor_id=case.debtor_id, kind="postal", value="1 Elm St, Springfield")
    case.refresh_from_db()
    return case


@pytest.fixture
def us(settings: Any, personas: Personas) -> Personas:
    settings.COMPLIANCE_PACK = "us"
    seed_default_templates()
    return personas


@pytest.fixture
def periods(us: Personas, settings: Any) -> None:
    # Six years for a consumer loan anywhere, one in California and Texas: a debt due 400 days ago is barred
    # in those two states and nowhere else.
    settings.HUIKUAN_LIMITATION_YEARS = {"consumer_loan": 6, "consumer_loan/CA": 1, "*/tx": 1}


def test_the_limitation_period_is_the_debtors_states(periods: None, make_case: CaseMaker) -> None:
    california, texas, new_york, unknown = (in_state(make_case(400), r) for r in ("CA", "TX", "NY", ""))
    barred = time_barred_case_ids([california, texas, new_york, unknown], timezone.now())
    assert barred == {california.pk, texas.pk}
    # Only the barred cases in a state whose law the pack lists owe a disclosure.
    owed = time_bar_disclosures([california, texas, new_york, unknown], timezone.now())
    assert owed == {california.pk: DISCLOSURES["CA"], texas.pk: DISCLOSURES["TX"]}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"consumer_loan/": 3}, "names no state"),
        ({"*": 3}, "unknown product"),
        ({"consumer_loan/CA": 2, "consumer_loan/california": 3}, "given twice"),
        ({"scooter/CA": 2}, "unknown product"),
        ({"consumer_loan/CA": 0}, "whole number"),
    ],
)
def test_a_bad_state_limitation_names_itself(settings: Any, value: object, message: str) -> None:
    settings.HUIKUAN_LIMITATION_YEARS = value
    with pytest.raises(ImproperlyConfigured, match=message):
        limitation_years()


def _queue(case: Case, key: str, channel: str, purpose: str = "reminder", **extra: str) -> Message:
    queue_messages([Request(key, case.debtor_id, channel, purpose, case_id=case.pk, extra=tuple(extra.items()))])
    return Message.objects.get(idempotency_key=key)


def test_written_messages_on_a_barred_debt_carry_the_states_disclosure(periods: None, make_case: CaseMaker) -> None:
    california = in_state(make_case(400), "CA")
    texas = in_state(make_case(400), "TX")
    chinese = in_state(make_case(400), "CA", language="zh-hans")
    new_york = in_state(make_case(400), "NY")
    messages = {
        "ca-sms": _queue(california, "ca-sms", "sms"),
        "ca-letter": _queue(california, "ca-letter", "letter", "demand_letter"),
        "tx-sms": _queue(texas, "tx-sms", "sms"),
        "zh-sms": _queue(chinese, "zh-sms", "sms"),
        "ny-sms": _queue(new_york, "ny-sms", "sms"),
        "ca-receipt": _queue(
            california, "ca-receipt", "sms", "payment_confirmation", payment_amount="100.00", payment_date="1 June 2026"
        ),
    }
    body = {key: m.body for key, m in messages.items()}
    assert body["ca-sms"].rstrip().endswith(DISCLOSURES["CA"]["en"])
    assert DISCLOSURES["CA"]["en"] in body["ca-letter"]
    assert body["tx-sms"].rstrip().endswith(DISCLOSURES["TX"]["en"])
    assert body["zh-sms"].rstrip().endswith(DISCLOSURES["CA"]["zh"])
    # New York's law is not in the pack, and a receipt is not collection: neither gets the statement.
    for key in ("ny-sms", "ca-receipt"):
        assert not any(w in body[key] for ws in DISCLOSURES.values() for w in ws.values()), key
    decided = gate_messages(gate_inputs(list(messages.values())), timezone.now())
    for key in ("ca-sms", "tx-sms", "zh-sms", "ny-sms", "ca-receipt"):
        assert "us.time_barred_disclosure" not in {r.rule_id for r in decided[messages[key].pk].reasons}, key


def test_a_message_without_the_disclosure_is_refused_at_sending(periods: None, make_case: CaseMaker) -> None:
    california = in_state(make_case(400), "CA")
    message = _queue(california, "ca-bare", "sms")
    # A message composed before the debt was barred, or a template edited by hand, lacks the statement.
    Message.objects.filter(pk=message.pk).update(body=message.body.replace(DISCLOSURES["CA"]["en"], "").strip())
    message.refresh_from_db()
    decision = gate_messages(gate_inputs([message]), timezone.now())[message.pk]
    assert decision.blocking_rule == "us.time_barred_disclosure"
    assert any("CA" in r.text_en for r in decision.reasons if r.rule_id == "us.time_barred_disclosure")


def test_the_china_pack_adds_nothing(personas: Personas, settings: Any, make_case: CaseMaker) -> None:
    settings.HUIKUAN_LIMITATION_YEARS = {"consumer_loan/CA": 1}
    case = in_state(make_case(400), "CA", language="zh-hans")
    assert time_bar_disclosures([case], timezone.now()) == {}
    seed_default_templates()
    message = _queue(case, "cn-sms", "sms")
    assert DISCLOSURES["CA"]["zh"] not in message.body


def test_the_account_file_carries_the_state(tmp_path: Path, personas: Personas) -> None:
    header = [*HEADER, "region"]
    path = write(
        tmp_path / "states.csv",
        [
            row(customer_no="S1", contract_no="S-1", region="california"),
            row(customer_no="S2", contract_no="S-2", region=" tx ", id_number="", mobile="13700002222", email=""),
            row(customer_no="S3", contract_no="S-3", region="广东省", id_number="", mobile="13700003333", email=""),
        ],
        header,
    )
    report = import_accounts(path)
    assert report.ok, report.errors
    assert dict(Debtor.objects.values_list("customer_no", "region")) == {"S1": "CA", "S2": "TX", "S3": "广东省"}
    too_long = write(tmp_path / "long.csv", [row(customer_no="S4", contract_no="S-4", region="x" * 41)], header)
    refused = import_accounts(too_long)
    assert not refused.ok
    assert [(e.row, e.column) for e in refused.errors] == [(2, "region")]
    assert not Debtor.objects.filter(customer_no="S4").exists()


def test_the_call_script_reads_the_disclosure_out_when_the_debt_is_stated(
    periods: None, us: Personas, make_case: CaseMaker
) -> None:
    california = in_state(make_case(400), "CA", language="zh-hans")
    new_york = in_state(make_case(400), "NY")
    for case, lang, expected in (
        (california, "zh", DISCLOSURES["CA"]["zh"]),
        (california, "en", DISCLOSURES["CA"]["en"]),
        (new_york, "en", None),
    ):
        facts, _ = script_facts(case, us.alice, timezone.now(), lang)
        debt = next(s for s in compose(facts, current_library(), lang).steps if s.key == "debt")
        if expected is None:
            assert not any(w in line for line in debt.lines for ws in DISCLOSURES.values() for w in ws.values())
        else:
            assert debt.lines[-1] == expected
