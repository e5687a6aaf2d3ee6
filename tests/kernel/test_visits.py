"""Field visits in the kernel: what a visit's outcome is as a contact, whom the notes are for, the times, the
uploads, the district an address is listed under, and the gate asked with both collectors.

Persona: Alice and Bob visit a Shanghai debtor together (cn pack); Bob's team requires training.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huikuan.kernel import contacts
from huikuan.kernel.compliance.gate import (
    CaseFacts,
    Channel,
    Collector,
    ContactPoint,
    Outreach,
    PointKind,
    check_contact,
)
from huikuan.kernel.compliance.packs import load_pack
from huikuan.kernel.visits import (
    LONGEST_VISIT,
    RECORD_WITHIN,
    UPLOAD_LIMIT,
    PersonMet,
    VisitOutcome,
    audience,
    district_of,
    interaction_outcome,
    media_type,
    upload_problem,
    visit_problems,
)

CN = load_pack("cn")
SHANGHAI = ZoneInfo("Asia/Shanghai")
CASE = CaseFacts(debt_id="1", timezone="Asia/Shanghai")
ADDRESS = ContactPoint(id="9", kind=PointKind.POSTAL)
TRAINED = Collector(trained_on=date(2026, 9, 1), training_required=True)
NEVER_TRAINED = Collector(trained_on=None, training_required=True)


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, 4, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


# --- the gate asked with the party ----------------------------------------------------------------------


def test_cn_refuses_a_visit_by_one_collector_with_the_rule_and_its_source() -> None:
    alone = check_contact([], CASE, ADDRESS, Outreach(Channel.VISIT, collector=TRAINED), at(10), CN)
    assert alone.blocking_rule == "cn.visit_collectors" and alone.next_allowed_at is None
    reason = next(r for r in alone.reasons if r.rule_id == "cn.visit_collectors")
    assert "指引" in reason.source and "2" in reason.text_zh


def test_cn_allows_a_visit_by_two_trained_collectors_in_daytime() -> None:
    party = Outreach(Channel.VISIT, collectors=2, collector=TRAINED, companions=(TRAINED,))
    assert check_contact([], CASE, ADDRESS, party, at(10), CN).allowed


def test_the_training_rule_holds_for_the_companion_too() -> None:
    party = Outreach(Channel.VISIT, collectors=2, collector=TRAINED, companions=(NEVER_TRAINED,))
    decision = check_contact([], CASE, ADDRESS, party, at(10), CN)
    assert decision.blocking_rule == "cn.collector_training"
    # The same pair the other way round: whoever records the visit, both are held to the rule.
    swapped = Outreach(Channel.VISIT, collectors=2, collector=NEVER_TRAINED, companions=(TRAINED,))
    assert check_contact([], CASE, ADDRESS, swapped, at(10), CN).blocking_rule == "cn.collector_training"


def test_a_visit_in_quiet_hours_is_refused_until_eight_in_the_morning() -> None:
    party = Outreach(Channel.VISIT, collectors=2, collector=TRAINED, companions=(TRAINED,))
    late = check_contact([], CASE, ADDRESS, party, at(22, 30), CN)
    assert late.blocking_rule == "cn.quiet_hours"
    assert late.next_allowed_at == datetime(2026, 12, 5, 8, 0, tzinfo=SHANGHAI).astimezone(UTC)


# --- outcomes, audience, 失联 ------------------------------------------------------------------------------


def test_an_invalid_or_abandoned_address_is_a_wrong_number_and_counts_toward_unreachable() -> None:
    for outcome in (VisitOutcome.ADDRESS_INVALID, VisitOutcome.MOVED):
        recorded = interaction_outcome(outcome, [])
        assert recorded is contacts.Outcome.WRONG_NUMBER
        assert contacts.counts_toward_unreachable("visit", recorded)
    # Nobody at home is no proof the address is wrong.
    nobody = interaction_outcome(VisitOutcome.NOT_HOME, [])
    assert nobody is contacts.Outcome.NO_ANSWER and not contacts.counts_toward_unreachable("visit", nobody)
    met = interaction_outcome(VisitOutcome.MET_DEBTOR, [PersonMet.DEBTOR])
    assert met is contacts.Outcome.RIGHT_PARTY and not contacts.counts_toward_unreachable("visit", met)


def test_a_family_member_at_the_door_makes_the_visit_a_third_party_contact_and_the_notes_theirs() -> None:
    assert interaction_outcome(VisitOutcome.NOT_HOME, [PersonMet.FAMILY]) is contacts.Outcome.THIRD_PARTY
    assert audience([PersonMet.FAMILY]) == "third_party"
    assert audience([PersonMet.DEBTOR, PersonMet.FAMILY]) == "third_party"
    assert audience([PersonMet.DEBTOR]) == "debtor"
    assert audience([]) == "debtor"


def test_a_plan_at_the_door_is_an_accepted_plan_and_a_promise_a_promise() -> None:
    met = [PersonMet.DEBTOR]
    assert interaction_outcome(VisitOutcome.PROMISE, met, plan=True) is contacts.Outcome.PLAN_ACCEPTED
    assert interaction_outcome(VisitOutcome.PROMISE, met) is contacts.Outcome.PROMISE
    assert interaction_outcome(VisitOutcome.REFUSED, met) is contacts.Outcome.REFUSAL


@given(st.sampled_from(list(VisitOutcome)), st.sets(st.sampled_from(list(PersonMet))), st.booleans())
def test_every_outcome_is_recorded_as_a_contact_outcome_the_rules_know(
    outcome: VisitOutcome, met: set[PersonMet], plan: bool
) -> None:
    recorded = interaction_outcome(outcome, met, plan=plan)
    assert recorded in contacts.Outcome and recorded is not contacts.Outcome.SENT
    # A third party present never turns the visit into a conversation with the debtor unless the debtor was met.
    if PersonMet.DEBTOR not in met and outcome is VisitOutcome.NOT_HOME:
        assert contacts.party_reached(recorded, None) is not contacts.Party.DEBTOR


# --- times --------------------------------------------------------------------------------------------------


def codes(*args: object) -> list[str]:
    return [p.code for p in visit_problems(*args)]  # type: ignore[arg-type]


def test_a_visit_that_ended_before_now_and_lasted_an_hour_is_fine() -> None:
    assert codes(VisitOutcome.MET_DEBTOR, [PersonMet.DEBTOR], at(10), at(11), at(12)) == []


def test_the_times_are_refused_with_their_field() -> None:
    now = at(12)
    assert codes(VisitOutcome.NOT_HOME, [], at(11), at(10), now) == ["left_before_arrival"]
    assert codes(VisitOutcome.NOT_HOME, [], at(1), at(1) + LONGEST_VISIT + timedelta(minutes=1), now + timedelta(
        hours=1
    )) == ["too_long"]  # fmt: skip
    assert codes(VisitOutcome.NOT_HOME, [], at(11), at(13), now) == ["in_future"]
    old = now - RECORD_WITHIN - timedelta(hours=1)
    assert codes(VisitOutcome.NOT_HOME, [], old, old + timedelta(hours=1), now) == ["too_old"]


def test_an_outcome_only_the_debtor_gives_needs_the_debtor_met() -> None:
    for outcome in (VisitOutcome.MET_DEBTOR, VisitOutcome.PROMISE, VisitOutcome.PAID, VisitOutcome.REFUSED):
        assert codes(outcome, [PersonMet.FAMILY], at(10), at(11), at(12)) == ["debtor_not_met"]
    assert codes(VisitOutcome.NOT_HOME, [PersonMet.DEBTOR], at(10), at(11), at(12)) == ["debtor_met_not_home"]


# --- uploads ------------------------------------------------------------------------------------------------

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 "


@pytest.mark.parametrize(
    ("head", "kind"), [(JPEG, "image/jpeg"), (PNG, "image/png"), (PDF, "application/pdf"), (WEBP, "image/webp")]
)
def test_photos_and_pdfs_are_read_from_their_first_bytes(head: bytes, kind: str) -> None:
    assert media_type(head) == kind
    assert upload_problem(head, 1000) is None


def test_anything_else_an_empty_file_or_one_over_the_limit_is_refused() -> None:
    assert upload_problem(b"MZ\x90\x00 an exe file", 1000).code == "file_type"  # type: ignore[union-attr]
    assert upload_problem(b"ID3\x04 an mp3", 1000).code == "file_type"  # type: ignore[union-attr]
    assert upload_problem(b"RIFF\x24\x00\x00\x00WAVEfmt ", 1000).code == "file_type"  # type: ignore[union-attr]
    assert upload_problem(JPEG, 0).code == "empty"  # type: ignore[union-attr]
    too_large = upload_problem(JPEG, UPLOAD_LIMIT + 1)
    assert too_large is not None and too_large.code == "too_large" and dict(too_large.params)["limit_mb"] == "10"
    assert upload_problem(JPEG, UPLOAD_LIMIT) is None


@given(st.binary(max_size=32), st.integers(min_value=1, max_value=UPLOAD_LIMIT))
def test_an_upload_within_the_limit_is_kept_exactly_when_its_bytes_show_an_image_or_a_pdf(
    head: bytes, size: int
) -> None:
    assert (upload_problem(head, size) is None) == (media_type(head) is not None)


# --- districts ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "district"),
    [
        ("北京市朝阳区建国路88号", "北京市朝阳区"),
        ("上海市浦东新区张江路1号", "上海市浦东新区"),
        ("浙江省杭州市西湖区文三路", "浙江省杭州市西湖区"),
        ("青海省敏县魏都解街J座 724158", "青海省敏县"),
        ("上海市蔡街F座", "上海市"),
        ("内蒙古自治区呼和浩特市新城区", "内蒙古自治区呼和浩特市新城区"),
        ("12 Baker Street, London", ""),
        ("", ""),
    ],
)
def test_an_address_is_listed_under_its_city_and_district(address: str, district: str) -> None:
    assert district_of(address) == district


@given(st.text(max_size=60))
def test_the_district_is_always_a_prefix_of_the_address(address: str) -> None:
    assert address.strip().startswith(district_of(address))
