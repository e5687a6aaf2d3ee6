"""US state law on time-barred debts: the limitation period by product and state, and the disclosure some
states require in written communications once a debt is time-barred (issue 27)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huikuan.kernel.compliance.gate import CaseFacts, Channel, ContactPoint, Outreach, PointKind, check_contact
from huikuan.kernel.compliance.packs import PackError, load_pack, pack_from_mapping
from huikuan.kernel.compliance.validation import (
    carries_disclosure,
    disclosure_for,
    disclosure_texts,
    limitation_key,
    limitation_years_for,
    time_barred,
)
from huikuan.kernel.regions import US_STATES, region_code

US = load_pack("us")
RULE = next(r for r in US.rules if r.kind == "time_barred_disclosure")
CA_EN = RULE.params["disclosures"]["CA"]["en"]
BARRED_IN_CA = CaseFacts(debt_id="card-9", timezone="America/Los_Angeles", time_barred=True, region="CA")
MOBILE = ContactPoint("m1", PointKind.MOBILE)
ADDRESS = ContactPoint("a1", PointKind.POSTAL)
# 10:00 on a Wednesday in Los Angeles: inside every window, no holiday.
AT = datetime(2026, 6, 10, 10, 0, tzinfo=ZoneInfo("America/Los_Angeles")).astimezone(UTC)


def test_regions_are_spelt_as_the_postal_code() -> None:
    assert region_code("california") == "CA"
    assert region_code(" tx ") == "TX"
    assert region_code("New  Mexico") == "NM"
    assert region_code("District of Columbia") == "DC"
    assert region_code("广东省") == "广东省"
    assert region_code("   ") == ""
    assert len(US_STATES) == 56  # 50 states, DC and five territories


def test_the_setting_keys_read_as_product_and_state() -> None:
    assert limitation_key("credit_card") == ("credit_card", "")
    assert limitation_key("credit_card/ca") == ("credit_card", "CA")
    assert limitation_key("*/Texas") == ("*", "TX")


TABLE = {("credit_card", ""): 6, ("credit_card", "CA"): 4, ("*", "NY"): 3, ("consumer_loan", "NY"): 6}


@pytest.mark.parametrize(
    ("product", "region", "years"),
    [
        ("credit_card", "CA", 4),  # the product in the state
        ("consumer_loan", "NY", 6),  # the product in the state beats any product in the state
        ("credit_card", "NY", 3),  # any product in the state beats the product anywhere
        ("credit_card", "TX", 6),  # no entry for the state: the product anywhere
        ("credit_card", "", 6),  # no state known
        ("auto_loan", "TX", None),  # nothing applies: never barred
    ],
)
def test_the_most_specific_limitation_period_applies(product: str, region: str, years: int | None) -> None:
    assert limitation_years_for(TABLE, product, region) == years


@given(
    st.dictionaries(
        st.tuples(st.sampled_from(["credit_card", "consumer_loan", "*"]), st.sampled_from(["", "CA", "NY", "TX"])),
        st.integers(1, 20),
    ),
    st.sampled_from(["credit_card", "consumer_loan"]),
    st.sampled_from(["", "CA", "NY", "TX"]),
)
def test_a_state_entry_always_beats_the_product_anywhere(table: dict, product: str, region: str) -> None:
    table = {key: years for key, years in table.items() if key != ("*", "")}  # "*" alone is not a key
    found = limitation_years_for(table, product, region)
    if region and (product, region) in table:
        assert found == table[(product, region)]
    elif region and ("*", region) in table:
        assert found == table[("*", region)]
    else:
        assert found == table.get((product, ""))


def test_a_four_year_california_debt_one_day_before_and_on_the_day_it_is_barred() -> None:
    due = date(2022, 3, 15)
    years = limitation_years_for(TABLE, "credit_card", "CA")
    assert not time_barred(due, years, date(2026, 3, 14))
    assert time_barred(due, years, date(2026, 3, 15))
    # The same debt in Texas runs six years (the product anywhere).
    assert not time_barred(due, limitation_years_for(TABLE, "credit_card", "TX"), date(2026, 3, 15))


def test_the_disclosure_in_the_message_language_else_english() -> None:
    wordings = RULE.params["disclosures"]["CA"]
    assert disclosure_for(wordings, "en") == CA_EN
    assert disclosure_for(wordings, "zh-hans") == wordings["zh"]
    assert disclosure_for({"en": "X"}, "zh-hans") == "X"
    assert disclosure_texts(RULE.params["disclosures"], "NY") == ()


def test_a_disclosure_is_found_across_line_breaks_and_case_but_not_in_part() -> None:
    wordings = disclosure_texts(RULE.params["disclosures"], "CA")
    folded = "Dear Ms Doe,\n\n" + CA_EN.replace(". ", ".\n").upper() + "\n\nRegards"
    assert carries_disclosure(folded, wordings)
    assert not carries_disclosure("Dear Ms Doe, " + CA_EN.split(".")[0] + ".", wordings)
    assert not carries_disclosure("", wordings)


def letter(*, service: bool = False, discloses_time_bar: bool = False) -> Outreach:
    return Outreach(Channel.LETTER, service=service, discloses_time_bar=discloses_time_bar)


def test_a_written_message_on_a_barred_california_debt_needs_the_disclosure() -> None:
    refused = check_contact([], BARRED_IN_CA, ADDRESS, letter(), AT, US)
    assert refused.blocking_rule == "us.time_barred_disclosure" and refused.next_allowed_at is None
    reason = next(r for r in refused.reasons if r.rule_id == "us.time_barred_disclosure")
    assert "CA" in reason.text_en and "1788.14" in reason.source
    assert check_contact([], BARRED_IN_CA, ADDRESS, letter(discloses_time_bar=True), AT, US).allowed
    sms = check_contact([], BARRED_IN_CA, MOBILE, Outreach(Channel.SMS, automated=True), AT, US)
    assert sms.blocking_rule == "us.time_barred_disclosure"


@pytest.mark.parametrize(
    ("facts", "outreach", "point"),
    [
        (BARRED_IN_CA, Outreach(Channel.CALL), MOBILE),  # a call carries no written text
        (BARRED_IN_CA, letter(service=True), ADDRESS),  # a receipt is not collection
        (CaseFacts(timezone="America/Los_Angeles", time_barred=True, region="NY"), letter(), ADDRESS),  # no such law
        (CaseFacts(timezone="America/Los_Angeles", time_barred=False, region="CA"), letter(), ADDRESS),  # not barred
        (CaseFacts(timezone="America/Los_Angeles", time_barred=True, region=""), letter(), ADDRESS),  # state unknown
    ],
)
def test_the_disclosure_rule_leaves_the_rest_alone(facts: CaseFacts, outreach: Outreach, point: ContactPoint) -> None:
    decision = check_contact([], facts, point, outreach, AT, US)
    assert "us.time_barred_disclosure" not in {r.rule_id for r in decision.reasons}


def _pack_with(disclosures: object) -> dict:
    return {
        "pack": "t",
        "title_zh": "t",
        "title_en": "t",
        "default_timezone": "America/New_York",
        "holiday_calendar": "us",
        "rules": [
            {
                "id": "t.d",
                "kind": "time_barred_disclosure",
                "severity": "block",
                "params": {"channels": ["letter"], "disclosures": disclosures},
                "source": "s",
                "reason_zh": "{region}",
                "reason_en": "{region}",
            }
        ],
    }


@pytest.mark.parametrize(
    ("disclosures", "message"),
    [
        ({}, "region codes"),
        ({"California": {"en": "x"}}, "as its code"),
        ({"CA": {"zh": "只有中文"}}, "English wording"),
        ({"CA": {"en": "x", "fr": "y"}}, "under 'en' and 'zh'"),
    ],
)
def test_a_bad_disclosure_table_names_itself(disclosures: object, message: str) -> None:
    with pytest.raises(PackError, match=message):
        pack_from_mapping(_pack_with(disclosures), "test.yaml")


def test_every_listed_state_has_both_wordings_and_each_states_the_bar() -> None:
    for region, wordings in RULE.params["disclosures"].items():
        assert region in US_STATES
        assert set(wordings) == {"en", "zh"}
        assert "sue" in wordings["en"].lower() and "起诉" in wordings["zh"]


def test_the_rule_is_timeless_waiting_never_helps() -> None:
    later = check_contact([], BARRED_IN_CA, ADDRESS, letter(), AT + timedelta(days=400), US)
    assert later.blocking_rule == "us.time_barred_disclosure"
