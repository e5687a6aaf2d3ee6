"""The contact gate, rule by rule, from each source's own example; then properties over random plans.

Persona: Alice collects for a Shanghai lender (cn pack); Bob works the US book out of New York (us pack);
Carol handles the UK book (uk pack).
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huikuan.kernel.compliance.gate import (
    CaseFacts,
    Channel,
    Collector,
    ContactEvent,
    ContactPoint,
    Hold,
    Outreach,
    Owner,
    PointKind,
    check_contact,
    debtor_unreachable,
    explain_decision,
    failed_attempts_in_a_row,
    in_window,
    needs_contact_point,
    parse_hhmm,
    training_current,
)
from huikuan.kernel.compliance.packs import Pack, load_pack
from huikuan.kernel.holds import hold_label
from huikuan.kernel.plans.schedule import add_months

from .plans import random_situation

CN, US, UK = load_pack("cn"), load_pack("us"), load_pack("uk")
SHANGHAI, NEW_YORK, LONDON = ZoneInfo("Asia/Shanghai"), ZoneInfo("America/New_York"), ZoneInfo("Europe/London")
MOBILE = ContactPoint("m1", PointKind.MOBILE)
EMAIL = ContactPoint("e1", PointKind.EMAIL)
ALICE_CASE = CaseFacts(debt_id="loan-1", timezone="Asia/Shanghai", debtor_point_ids=frozenset({"m1", "h1"}))
BOB_CASE = CaseFacts(debt_id="card-9", timezone="America/New_York", debtor_point_ids=frozenset({"m1"}))
CAROL_CASE = CaseFacts(debt_id="ln-3", timezone="Europe/London", debtor_point_ids=frozenset({"m1"}))


def local(tz: ZoneInfo, year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=tz).astimezone(UTC)


def call(at: datetime, point: str = "m1", debt: str = "loan-1", **flags: bool) -> ContactEvent:
    return ContactEvent(at=at, channel=Channel.CALL, contact_point_id=point, debt_id=debt, **flags)


# --- quiet hours -------------------------------------------------------------------------------------


def test_cn_call_at_2159_is_allowed_and_at_2200_is_blocked_until_0800() -> None:
    ok = check_contact([], ALICE_CASE, MOBILE, Channel.CALL, local(SHANGHAI, 2026, 6, 10, 21, 59), CN)
    assert ok.allowed and ok.reasons == ()
    late = check_contact([], ALICE_CASE, MOBILE, Channel.CALL, local(SHANGHAI, 2026, 6, 10, 22, 0), CN)
    assert not late.allowed
    assert late.blocking_rule == "cn.quiet_hours"
    assert late.next_allowed_at == local(SHANGHAI, 2026, 6, 11, 8, 0)
    assert "22:00" in late.reasons[0].text_zh and "NIFA" in late.reasons[0].source


def test_cn_early_morning_waits_for_0800_the_same_day_and_consent_lifts_quiet_hours() -> None:
    early = check_contact([], ALICE_CASE, MOBILE, Channel.SMS, local(SHANGHAI, 2026, 6, 10, 7, 59), CN)
    assert early.next_allowed_at == local(SHANGHAI, 2026, 6, 10, 8, 0)
    assert check_contact([], ALICE_CASE, MOBILE, Channel.CALL, local(SHANGHAI, 2026, 6, 10, 8, 0), CN).allowed
    agreed = replace(ALICE_CASE, quiet_hours_consent=True)
    assert check_contact([], agreed, MOBILE, Channel.CALL, local(SHANGHAI, 2026, 6, 10, 23, 0), CN).allowed


def test_letters_are_not_bound_by_quiet_hours() -> None:
    post = ContactPoint("a1", PointKind.POSTAL)
    assert check_contact([], ALICE_CASE, post, Channel.LETTER, local(SHANGHAI, 2026, 6, 10, 23, 0), CN).allowed


def test_us_quiet_hours_follow_the_spring_dst_change_on_2026_03_08() -> None:
    # 07:59 EDT on the change day is 11:59 UTC; a day earlier 08:00 EST was 13:00 UTC.
    assert not check_contact([], BOB_CASE, MOBILE, Channel.CALL, datetime(2026, 3, 8, 11, 59, tzinfo=UTC), US).allowed
    assert check_contact([], BOB_CASE, MOBILE, Channel.CALL, datetime(2026, 3, 8, 12, 0, tzinfo=UTC), US).allowed
    assert not check_contact([], BOB_CASE, MOBILE, Channel.CALL, datetime(2026, 3, 7, 12, 30, tzinfo=UTC), US).allowed
    # 21:30 EST on Saturday 7 March: next is 08:00 EDT on Sunday, i.e. 12:00 UTC, not 13:00.
    late = check_contact([], BOB_CASE, MOBILE, Channel.CALL, local(NEW_YORK, 2026, 3, 7, 21, 30), US)
    assert late.blocking_rule == "us.quiet_hours"
    assert late.next_allowed_at == datetime(2026, 3, 8, 12, 0, tzinfo=UTC)


def test_us_quiet_hours_follow_the_autumn_dst_change_on_2026_11_01() -> None:
    late = check_contact([], BOB_CASE, MOBILE, Channel.CALL, local(NEW_YORK, 2026, 10, 31, 21, 30), US)
    assert late.next_allowed_at == datetime(2026, 11, 1, 13, 0, tzinfo=UTC)  # 08:00 EST
    assert check_contact([], BOB_CASE, MOBILE, Channel.CALL, datetime(2026, 11, 1, 13, 0, tzinfo=UTC), US).allowed
    assert not check_contact([], BOB_CASE, MOBILE, Channel.CALL, datetime(2026, 11, 1, 12, 59, tzinfo=UTC), US).allowed
    # 20:59 EST is allowed, 21:00 is not (the window is closed at 21:00 sharp, the stricter reading).
    assert check_contact([], BOB_CASE, MOBILE, Channel.CALL, datetime(2026, 11, 2, 1, 59, tzinfo=UTC), US).allowed
    assert not check_contact([], BOB_CASE, MOBILE, Channel.CALL, datetime(2026, 11, 2, 2, 0, tzinfo=UTC), US).allowed


def test_uk_quiet_hours_only_warn_and_leave_the_contact_allowed() -> None:
    decision = check_contact([], CAROL_CASE, MOBILE, Channel.CALL, local(LONDON, 2026, 6, 10, 21, 30), UK)
    assert decision.allowed
    assert [r.rule_id for r in decision.warnings] == ["uk.quiet_hours"]


# --- frequency ---------------------------------------------------------------------------------------


def test_cn_sixth_attempt_to_the_same_number_is_the_last_one_today() -> None:
    at = local(SHANGHAI, 2026, 6, 10, 15, 0)
    five = [call(at - timedelta(minutes=20 * i + 10)) for i in range(5)]
    assert check_contact(five, ALICE_CASE, MOBILE, Channel.CALL, at, CN).allowed
    six = [*five, call(at - timedelta(minutes=5))]
    decision = check_contact(six, ALICE_CASE, MOBILE, Channel.CALL, at, CN)
    assert decision.blocking_rule == "cn.point_daily_attempts"
    assert decision.next_allowed_at == local(SHANGHAI, 2026, 6, 11, 8, 0)
    # The home number is a different number: still allowed.
    home = ContactPoint("h1", PointKind.HOME)
    assert check_contact(six, ALICE_CASE, home, Channel.CALL, at, CN).allowed
    # Yesterday's attempts do not count.
    yesterday = [replace(e, at=e.at - timedelta(days=1)) for e in six]
    assert check_contact(yesterday, ALICE_CASE, MOBILE, Channel.CALL, at, CN).allowed


def test_cn_counting_only_unanswered_attempts_is_a_parameter() -> None:
    at = local(SHANGHAI, 2026, 6, 10, 15, 0)
    six = [call(at - timedelta(minutes=10 * i + 1), answered=i == 0) for i in range(6)]
    assert not check_contact(six, ALICE_CASE, MOBILE, Channel.CALL, at, CN).allowed
    relaxed = load_pack("cn", {"cn.point_daily_attempts": {"params": {"count": "unanswered"}}})
    assert check_contact(six, ALICE_CASE, MOBILE, Channel.CALL, at, relaxed).allowed


def test_cn_three_effective_conversations_a_day_ai_voice_included() -> None:
    at = local(SHANGHAI, 2026, 6, 10, 18, 0)
    talks = [
        call(local(SHANGHAI, 2026, 6, 10, 9, 0), answered=True, conversation=True),
        call(local(SHANGHAI, 2026, 6, 10, 11, 0), point="h1", answered=True, conversation=True),
        # the robot's call counts like a person's
        ContactEvent(local(SHANGHAI, 2026, 6, 10, 14, 0), Channel.CALL, "m1", "loan-1", True, True, automated=True),
    ]
    decision = check_contact(talks, ALICE_CASE, ContactPoint("h1", PointKind.HOME), Channel.CALL, at, CN)
    assert decision.blocking_rule == "cn.debtor_daily_conversations"
    assert decision.next_allowed_at == local(SHANGHAI, 2026, 6, 11, 8, 0)
    assert check_contact(talks, ALICE_CASE, MOBILE, Channel.SMS, at, CN).allowed
    assert check_contact(talks[:2], ALICE_CASE, MOBILE, Channel.CALL, at, CN).allowed


def test_us_seven_calls_in_seven_days_voicemails_count() -> None:
    # Reg F: 7 attempts on day 1 (Monday 2 Nov 2026), some left as voicemail: no 8th until day 8.
    day1 = [call(local(NEW_YORK, 2026, 11, 2, 9 + i, 0), debt="card-9", voicemail=i % 2 == 0) for i in range(7)]
    for day in range(2, 8):  # days 2..7 stay closed
        at = local(NEW_YORK, 2026, 11, day + 1, 10, 0)
        decision = check_contact(day1, BOB_CASE, MOBILE, Channel.CALL, at, US)
        assert decision.blocking_rule == "us.call_frequency", day
        assert decision.next_allowed_at == local(NEW_YORK, 2026, 11, 9, 8, 0)
    assert check_contact(day1, BOB_CASE, MOBILE, Channel.CALL, local(NEW_YORK, 2026, 11, 9, 8, 0), US).allowed
    # Calls about another debt do not count toward this one.
    other = [replace(e, debt_id="card-7") for e in day1]
    assert check_contact(other, BOB_CASE, MOBILE, Channel.CALL, local(NEW_YORK, 2026, 11, 4, 10, 0), US).allowed


def test_us_seven_calls_spread_over_seven_days_free_the_eighth_day() -> None:
    week = [call(local(NEW_YORK, 2026, 6, 1 + i, 12, 0), debt="card-9") for i in range(7)]  # Mon..Sun
    sunday = check_contact(week, BOB_CASE, MOBILE, Channel.CALL, local(NEW_YORK, 2026, 6, 7, 18, 0), US)
    assert sunday.blocking_rule == "us.call_frequency"
    assert sunday.next_allowed_at == local(NEW_YORK, 2026, 6, 8, 8, 0)
    assert check_contact(week, BOB_CASE, MOBILE, Channel.CALL, local(NEW_YORK, 2026, 6, 8, 8, 0), US).allowed


def test_us_no_call_within_seven_days_after_a_conversation_day_one_counts() -> None:
    # Conversation on Tuesday 9 June 2026 (day 1): days 1..7 are closed, Tuesday 16 June is day 8.
    talk = [call(local(NEW_YORK, 2026, 6, 9, 10, 0), debt="card-9", answered=True, conversation=True)]
    monday = check_contact(talk, BOB_CASE, MOBILE, Channel.CALL, local(NEW_YORK, 2026, 6, 15, 12, 0), US)
    assert monday.blocking_rule == "us.after_conversation"
    assert monday.next_allowed_at == local(NEW_YORK, 2026, 6, 16, 8, 0)
    assert check_contact(talk, BOB_CASE, MOBILE, Channel.CALL, local(NEW_YORK, 2026, 6, 16, 8, 0), US).allowed
    # The period bars calls, not a letter or an e-mail.
    email = ContactPoint("e1", PointKind.EMAIL)
    assert check_contact(talk, BOB_CASE, email, Channel.EMAIL, local(NEW_YORK, 2026, 6, 10, 12, 0), US).allowed


# --- who may be contacted ------------------------------------------------------------------------------


def test_dnc_and_stopped_medium_never_become_allowed_by_waiting() -> None:
    at = local(SHANGHAI, 2026, 6, 10, 10, 0)
    dnc = check_contact([], ALICE_CASE, replace(MOBILE, do_not_contact=True), Channel.CALL, at, CN)
    assert (dnc.allowed, dnc.blocking_rule, dnc.next_allowed_at) == (False, "cn.do_not_contact", None)
    no_sms = replace(ALICE_CASE, stopped_channels=frozenset({Channel.SMS}))
    assert check_contact([], no_sms, MOBILE, Channel.SMS, at, CN).blocking_rule == "cn.stop_medium"
    assert check_contact([], no_sms, MOBILE, Channel.CALL, at, CN).allowed
    dead = check_contact([], ALICE_CASE, replace(MOBILE, valid=False), Channel.CALL, at, CN)
    assert dead.blocking_rule == "cn.invalid_point"


def test_cn_third_party_only_when_the_debtor_is_unreachable_and_never_told_the_debt() -> None:
    at = local(SHANGHAI, 2026, 6, 10, 10, 0)
    sister = ContactPoint("t1", PointKind.MOBILE, owner=Owner.THIRD_PARTY, relation="sister")
    reachable = check_contact([], ALICE_CASE, sister, Channel.CALL, at, CN)
    assert reachable.blocking_rule == "cn.third_party" and reachable.next_allowed_at is None
    two_failed = [call(at - timedelta(hours=h)) for h in (3, 2)]
    assert not check_contact(two_failed, ALICE_CASE, sister, Channel.CALL, at, CN).allowed
    three_failed = [*two_failed, call(at - timedelta(hours=1), point="h1")]
    unreachable = check_contact(three_failed, ALICE_CASE, sister, Channel.CALL, at, CN)
    assert unreachable.allowed and unreachable.must_not_disclose_debt
    answered_since = [*three_failed, call(at - timedelta(minutes=5), answered=True)]
    assert not check_contact(answered_since, ALICE_CASE, sister, Channel.CALL, at, CN).allowed
    refused = [*three_failed, ContactEvent(at - timedelta(minutes=30), Channel.CALL, "t1", refused=True)]
    assert not check_contact(refused, ALICE_CASE, sister, Channel.CALL, at, CN).allowed
    for facts in (
        replace(ALICE_CASE, valid_debtor_points=0),
        replace(ALICE_CASE, holds=frozenset({Hold.DECEASED})),
        replace(ALICE_CASE, incapacitated=True),
    ):
        assert check_contact([], facts, sister, Channel.CALL, at, CN).allowed
    guarantor = ContactPoint("g1", PointKind.MOBILE, owner=Owner.GUARANTOR)
    decision = check_contact([], ALICE_CASE, guarantor, Channel.CALL, at, CN)
    assert decision.allowed and not decision.must_not_disclose_debt


def sms(at: datetime, point: str = "m1") -> ContactEvent:
    return ContactEvent(at=at, channel=Channel.SMS, contact_point_id=point, debt_id="loan-1", automated=True)


def test_cn_automated_reminders_do_not_make_the_debtor_unreachable() -> None:
    """Three SMS reminders (the outbox logs each as an unanswered ``sent``) are not three failed calls."""
    at = local(SHANGHAI, 2026, 6, 10, 10, 0)
    spouse = ContactPoint("t1", PointKind.MOBILE, owner=Owner.THIRD_PARTY, relation="spouse")
    reminders = [sms(at - timedelta(days=d)) for d in (7, 4, 1)]
    assert failed_attempts_in_a_row(reminders, ALICE_CASE.debtor_point_ids) == 0
    assert check_contact(reminders, ALICE_CASE, spouse, Channel.CALL, at, CN).blocking_rule == "cn.third_party"
    # Two failed calls and an SMS are still two: the message neither extends the run ...
    mixed = [call(at - timedelta(hours=5)), call(at - timedelta(hours=4)), sms(at - timedelta(hours=3))]
    assert failed_attempts_in_a_row(mixed, ALICE_CASE.debtor_point_ids) == 2
    assert not check_contact(mixed, ALICE_CASE, spouse, Channel.CALL, at, CN).allowed
    # ... nor breaks it: a third failed call after the SMS makes 失联.
    three = [*mixed, call(at - timedelta(hours=2), point="h1")]
    assert failed_attempts_in_a_row(three, ALICE_CASE.debtor_point_ids) == 3
    assert check_contact(three, ALICE_CASE, spouse, Channel.CALL, at, CN).allowed


@settings(max_examples=200, deadline=None)
@given(
    calls=st.lists(st.tuples(st.integers(0, 60 * 24 * 6), st.booleans(), st.sampled_from(["m1", "h1", "t1"]))),
    others=st.lists(
        st.tuples(
            st.integers(0, 60 * 24 * 6),
            st.sampled_from([Channel.SMS, Channel.EMAIL, Channel.LETTER, Channel.VISIT]),
            st.booleans(),
        )
    ),
)
def test_only_calls_decide_whether_the_debtor_is_unreachable(
    calls: list[tuple[int, bool, str]], others: list[tuple[int, Channel, bool]]
) -> None:
    """Adding messages, letters or visits anywhere in the history never changes 失联 or the third-party answer."""
    at = local(SHANGHAI, 2026, 6, 10, 10, 0)
    start = at - timedelta(days=7)
    spouse = ContactPoint("t2", PointKind.MOBILE, owner=Owner.THIRD_PARTY, relation="spouse")
    history = [call(start + timedelta(minutes=m), point=p, answered=a) for m, a, p in calls]
    noise = [
        ContactEvent(start + timedelta(minutes=m), channel, "m1", "loan-1", answered=a) for m, channel, a in others
    ]
    ids = ALICE_CASE.debtor_point_ids
    assert failed_attempts_in_a_row([*history, *noise], ids) == failed_attempts_in_a_row(history, ids)
    assert debtor_unreachable([*history, *noise], ALICE_CASE, 3) == debtor_unreachable(history, ALICE_CASE, 3)
    with_noise = check_contact([*history, *noise], ALICE_CASE, spouse, Channel.CALL, at, CN)
    assert with_noise.allowed == check_contact(history, ALICE_CASE, spouse, Channel.CALL, at, CN).allowed


def test_us_third_party_once_per_person() -> None:
    at = local(NEW_YORK, 2026, 6, 10, 10, 0)
    neighbour = ContactPoint("t1", PointKind.HOME, owner=Owner.THIRD_PARTY, relation="neighbour")
    lost = replace(BOB_CASE, unreachable=True)
    assert check_contact([], lost, neighbour, Channel.CALL, at, US).allowed
    spoke = [ContactEvent(at - timedelta(days=2), Channel.CALL, "t1", "card-9", answered=True)]
    assert check_contact(spoke, lost, neighbour, Channel.CALL, at, US).blocking_rule == "us.third_party"


def test_a_refusal_or_an_answer_known_only_from_the_full_record_still_counts() -> None:
    """The history handed to the gate may be recent weeks only; the facts carry what the whole record says."""
    at = local(SHANGHAI, 2026, 6, 10, 11, 0)
    spouse = ContactPoint("t1", PointKind.MOBILE, owner=Owner.THIRD_PARTY, relation="spouse")
    lost = replace(ALICE_CASE, unreachable=True)
    assert check_contact([], lost, spouse, Channel.CALL, at, CN).allowed
    refused = check_contact([], replace(lost, refused_points=frozenset({"t1"})), spouse, Channel.CALL, at, CN)
    assert refused.blocking_rule == "cn.third_party" and refused.next_allowed_at is None
    # cn does not limit a third party to one conversation; the US allows each person once.
    reached = replace(lost, answered_points=frozenset({"t1"}))
    assert check_contact([], reached, spouse, Channel.CALL, at, CN).allowed
    bob_lost = replace(BOB_CASE, unreachable=True, answered_points=frozenset({"t1"}))
    assert check_contact([], bob_lost, spouse, Channel.CALL, local(NEW_YORK, 2026, 6, 10, 11, 0), US).blocking_rule == (
        "us.third_party"
    )


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), pack_name=st.sampled_from(["cn", "us", "uk"]))
def test_a_third_party_who_refused_is_never_allowed_and_waiting_never_helps(seed: int, pack_name: str) -> None:
    s = random_situation(random.Random(seed))
    point = replace(s.point, owner=Owner.THIRD_PARTY, relation="spouse")
    facts = replace(s.facts, refused_points=frozenset({point.id}))
    decision = check_contact(s.history, facts, point, s.outreach, s.at, load_pack(pack_name))
    assert not decision.allowed and decision.next_allowed_at is None


@pytest.mark.parametrize("pack", [CN, US, UK], ids=lambda p: p.name)
def test_a_closed_case_gets_receipts_but_no_collection_contact(pack: Pack) -> None:
    at = local(SHANGHAI, 2026, 6, 10, 11, 0)
    closed = replace(ALICE_CASE, closed=True)
    for channel in (Channel.CALL, Channel.SMS, Channel.LETTER):
        decision = check_contact([], closed, MOBILE, Outreach(channel), at, pack)
        assert decision.blocking_rule == f"{pack.name}.case_closed" and decision.next_allowed_at is None
    receipt = check_contact([], closed, MOBILE, Outreach(Channel.SMS, service=True), at, pack)
    assert receipt.allowed


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), pack_name=st.sampled_from(["cn", "us", "uk"]))
def test_a_closed_case_never_allows_collection_and_waiting_never_helps(seed: int, pack_name: str) -> None:
    s = random_situation(random.Random(seed))
    facts = replace(s.facts, closed=True)
    outreach = replace(s.outreach, service=False)
    decision = check_contact(s.history, facts, s.point, outreach, s.at, load_pack(pack_name))
    assert not decision.allowed and decision.next_allowed_at is None
    assert decision.blocking_rule == f"{pack_name}.case_closed"
    # Closing the case never makes a receipt less allowed than it was on the open case.
    receipt = replace(s.outreach, service=True)
    open_case = check_contact(s.history, replace(s.facts, closed=False), s.point, receipt, s.at, load_pack(pack_name))
    closed_case = check_contact(s.history, facts, s.point, receipt, s.at, load_pack(pack_name))
    assert (closed_case.allowed, closed_case.blocking_rule) == (open_case.allowed, open_case.blocking_rule)


def test_calls_texts_and_emails_need_a_contact_point_letters_and_visits_do_not() -> None:
    assert [c.value for c in Channel if needs_contact_point(c)] == ["call", "sms", "email"]


# --- holds -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("hold", [Hold.DISPUTE, Hold.COMPLAINT, Hold.HARDSHIP_REVIEW, Hold.PLAN_HONOURED])
def test_cn_holds_stop_collection_contact(hold: Hold) -> None:
    facts = replace(ALICE_CASE, holds=frozenset({hold}))
    decision = check_contact([], facts, MOBILE, Channel.CALL, local(SHANGHAI, 2026, 6, 10, 10, 0), CN)
    assert decision.blocking_rule == "cn.holds" and decision.next_allowed_at is None
    # The hold by its name in each language, never its code.
    assert hold_label(hold.value, "zh") in decision.reasons[0].text_zh
    assert hold.value not in decision.reasons[0].text_zh
    assert hold_label(hold.value, "en") in decision.reasons[0].text_en


def test_cn_legal_hold_only_warns_so_a_team_lead_may_override() -> None:
    facts = replace(ALICE_CASE, holds=frozenset({Hold.LEGAL}))
    decision = check_contact([], facts, MOBILE, Channel.CALL, local(SHANGHAI, 2026, 6, 10, 10, 0), CN)
    assert decision.allowed and [r.rule_id for r in decision.warnings] == ["cn.legal_hold"]


def test_deceased_debtor_blocks_the_debtor_points_only() -> None:
    facts = replace(ALICE_CASE, holds=frozenset({Hold.DECEASED}))
    at = local(SHANGHAI, 2026, 6, 10, 10, 0)
    assert check_contact([], facts, MOBILE, Channel.CALL, at, CN).blocking_rule == "cn.holds"
    guarantor = ContactPoint("g1", PointKind.MOBILE, owner=Owner.GUARANTOR)
    assert check_contact([], facts, guarantor, Channel.CALL, at, CN).allowed


def test_uk_breathing_space_sixty_days_then_contact_resumes_next_morning() -> None:
    start = date(2026, 3, 2)
    facts = replace(CAROL_CASE, breathing_space_until=start + timedelta(days=59))
    decision = check_contact([], facts, MOBILE, Channel.CALL, local(LONDON, 2026, 4, 1, 11, 0), UK)
    assert decision.blocking_rule == "uk.breathing_space"
    # 30 April is the 60th day; British Summer Time is in force, so midnight is 23:00 UTC the day before.
    assert decision.next_allowed_at == datetime(2026, 4, 30, 23, 0, tzinfo=UTC)
    assert check_contact([], facts, MOBILE, Channel.CALL, local(LONDON, 2026, 5, 1, 9, 0), UK).allowed


# --- holidays and visits -------------------------------------------------------------------------------


def test_cn_no_automated_message_in_golden_week_but_a_collector_may_call() -> None:
    at = local(SHANGHAI, 2026, 10, 2, 10, 0)
    robot = check_contact([], ALICE_CASE, MOBILE, Outreach(Channel.SMS, automated=True), at, CN)
    assert robot.blocking_rule == "cn.automated_holiday"
    assert robot.next_allowed_at == local(SHANGHAI, 2026, 10, 8, 8, 0)
    assert check_contact([], ALICE_CASE, MOBILE, Channel.CALL, at, CN).allowed


def test_cn_make_up_working_day_is_not_a_holiday_and_2027_is_flagged_approximate() -> None:
    saturday_workday = local(SHANGHAI, 2026, 2, 14, 10, 0)
    sms = Outreach(Channel.SMS, automated=True)
    assert check_contact([], ALICE_CASE, MOBILE, sms, saturday_workday, CN).allowed
    assert not check_contact([], ALICE_CASE, MOBILE, sms, local(SHANGHAI, 2026, 2, 17, 10, 0), CN).allowed
    national_day = check_contact([], ALICE_CASE, MOBILE, sms, local(SHANGHAI, 2027, 10, 2, 10, 0), CN)
    assert national_day.calendar_approximate and not national_day.allowed
    assert national_day.next_allowed_at == local(SHANGHAI, 2027, 10, 4, 8, 0)


def test_cap_reset_at_midnight_lands_after_the_holiday_and_after_quiet_hours() -> None:
    at = local(SHANGHAI, 2026, 9, 30, 20, 0)
    six = [call(at - timedelta(minutes=i + 1), automated=True) for i in range(6)]
    robot = check_contact(six, ALICE_CASE, MOBILE, Outreach(Channel.CALL, automated=True), at, CN)
    assert robot.blocking_rule == "cn.point_daily_attempts"
    assert robot.next_allowed_at == local(SHANGHAI, 2026, 10, 8, 8, 0)


def test_visits_need_two_collectors() -> None:
    home = ContactPoint("a1", PointKind.POSTAL)
    at = local(SHANGHAI, 2026, 6, 10, 10, 0)
    alone = check_contact([], ALICE_CASE, home, Outreach(Channel.VISIT, collectors=1), at, CN)
    assert alone.blocking_rule == "cn.visit_collectors" and alone.next_allowed_at is None
    assert check_contact([], ALICE_CASE, home, Outreach(Channel.VISIT, collectors=2), at, CN).allowed


# --- channel and point kind ------------------------------------------------------------------------

HOME_PHONE = ContactPoint("h1", PointKind.HOME)
ADDRESS = ContactPoint("a1", PointKind.POSTAL)


@pytest.mark.parametrize("pack", [CN, US, UK], ids=["cn", "us", "uk"])
def test_an_sms_to_a_landline_is_refused_for_good_and_a_call_to_it_is_not(pack: Pack) -> None:
    at = local(SHANGHAI, 2026, 6, 10, 10, 0)
    text = check_contact([], ALICE_CASE, HOME_PHONE, Channel.SMS, at, pack)
    assert not text.allowed and text.next_allowed_at is None
    assert text.blocking_rule == f"{pack.name}.channel_fits_point"
    reason = next(r for r in text.reasons if r.rule_id == text.blocking_rule)
    assert reason.text_zh == "住宅电话无法接收短信：请换用相应的联系方式。"
    assert reason.text_en.startswith("This contact point (a home phone) cannot receive a text message")
    assert check_contact([], ALICE_CASE, HOME_PHONE, Channel.CALL, at, pack).allowed


@pytest.mark.parametrize(
    ("channel", "point"),
    [
        (Channel.LETTER, MOBILE),
        (Channel.CALL, ADDRESS),
        (Channel.EMAIL, MOBILE),
        (Channel.SMS, ADDRESS),
        (Channel.SMS, EMAIL),
        (Channel.CALL, EMAIL),
        (Channel.VISIT, EMAIL),
    ],
)
def test_a_channel_that_cannot_reach_the_point_is_refused_by_every_pack(channel: Channel, point: ContactPoint) -> None:
    at = local(SHANGHAI, 2026, 6, 10, 10, 0)
    for pack in (CN, US, UK):
        decision = check_contact([], ALICE_CASE, point, Outreach(channel, collectors=2), at, pack)
        assert decision.blocking_rule == f"{pack.name}.channel_fits_point"


def test_each_channel_reaches_its_own_kind_of_point() -> None:
    at = local(SHANGHAI, 2026, 6, 10, 10, 0)
    for channel, point in [
        (Channel.CALL, MOBILE),
        (Channel.CALL, ContactPoint("w1", PointKind.WORK)),
        (Channel.SMS, MOBILE),
        (Channel.EMAIL, EMAIL),
        (Channel.LETTER, ADDRESS),
        (Channel.VISIT, ADDRESS),
    ]:
        assert check_contact([], ALICE_CASE, point, Outreach(channel, collectors=2), at, CN).allowed, channel


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="time-zone-aware"):
        check_contact([], ALICE_CASE, MOBILE, Channel.CALL, datetime(2026, 6, 10, 10, 0), CN)


def test_explanation_names_rule_source_and_next_time_in_both_languages() -> None:
    decision = check_contact([], ALICE_CASE, MOBILE, Channel.CALL, local(SHANGHAI, 2026, 6, 10, 22, 30), CN)
    zh, en = explain_decision(decision, "zh"), explain_decision(decision, "en")
    assert "禁止联系" in zh and "cn.quiet_hours" in zh and "2026-06-11T00:00:00Z" in zh
    assert "Contact blocked" in en and "Source:" in en


# --- properties --------------------------------------------------------------------------------------

ALL_ZONES = sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))


@settings(max_examples=400, deadline=None)
@given(
    zone_name=st.sampled_from(ALL_ZONES),
    at=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)),
    pack_name=st.sampled_from(["cn", "us"]),
    channel=st.sampled_from([Channel.CALL, Channel.SMS, Channel.EMAIL]),
)
def test_no_allowed_decision_lands_inside_quiet_hours(
    zone_name: str, at: datetime, pack_name: str, channel: Channel
) -> None:
    pack = load_pack(pack_name)
    quiet = pack.rule(f"{pack_name}.quiet_hours").params
    start, end = parse_hhmm(quiet["start"]), parse_hhmm(quiet["end"])
    facts = CaseFacts(timezone=zone_name)
    # A point the channel can reach, so only the clock decides.
    point = EMAIL if channel is Channel.EMAIL else MOBILE
    decision = check_contact([], facts, point, channel, at, pack)
    tz = ZoneInfo(zone_name)
    if decision.allowed:
        assert not in_window(at.astimezone(tz).time(), start, end)
    else:
        assert decision.next_allowed_at is not None and decision.next_allowed_at > at
        assert not in_window(decision.next_allowed_at.astimezone(tz).time(), start, end)
        again = check_contact([], facts, point, channel, decision.next_allowed_at, pack)
        assert again.allowed
        # and it is the earliest: a minute before is still blocked
        assert not check_contact(
            [], facts, point, channel, decision.next_allowed_at - timedelta(minutes=1), pack
        ).allowed


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), pack_name=st.sampled_from(["cn", "us", "uk"]))
def test_next_allowed_at_is_itself_allowed_whatever_the_situation(seed: int, pack_name: str) -> None:
    pack = load_pack(pack_name)
    s = random_situation(random.Random(seed))
    decision = check_contact(s.history, s.facts, s.point, s.outreach, s.at, pack)
    if decision.allowed:
        assert decision.next_allowed_at == s.at
    elif decision.next_allowed_at is not None:
        assert decision.next_allowed_at > s.at
        assert check_contact(s.history, s.facts, s.point, s.outreach, decision.next_allowed_at, pack).allowed


# --- the collector: training and private means (cn) -------------------------------------------------


def _by(collector: Collector, channel: Channel = Channel.CALL, **kw: bool) -> Outreach:
    return Outreach(channel, collector=collector, companions=(), **kw)


def test_cn_a_collector_trained_a_year_ago_to_the_day_may_call_and_a_day_later_may_not() -> None:
    trained = Collector(trained_on=date(2025, 12, 7), training_required=True)
    on_the_last_day = local(SHANGHAI, 2026, 12, 6, 10, 0)
    assert check_contact([], ALICE_CASE, MOBILE, _by(trained), on_the_last_day, CN).allowed
    lapsed = check_contact([], ALICE_CASE, MOBILE, _by(trained), local(SHANGHAI, 2026, 12, 7, 10, 0), CN)
    assert lapsed.blocking_rule == "cn.collector_training" and lapsed.next_allowed_at is None
    reason = next(r for r in lapsed.reasons if r.rule_id == "cn.collector_training")
    assert "2025-12-07" in reason.text_zh and "12" in reason.text_en and "培训" in reason.source


def test_cn_training_binds_only_where_the_team_requires_it_and_only_people() -> None:
    never = Collector(trained_on=None, training_required=True)
    at = local(SHANGHAI, 2026, 6, 10, 10, 0)
    assert check_contact([], ALICE_CASE, MOBILE, _by(never), at, CN).blocking_rule == "cn.collector_training"
    free_team = Collector(trained_on=None, training_required=False)
    assert check_contact([], ALICE_CASE, MOBILE, _by(free_team), at, CN).allowed
    # A machine's reminder is nobody's contact; letters are not in the rule's channels.
    assert check_contact([], ALICE_CASE, MOBILE, _by(never, Channel.SMS, automated=True), at, CN).allowed
    assert check_contact([], ALICE_CASE, ADDRESS, _by(never, Channel.LETTER), at, CN).allowed
    # The US and UK packs carry no training rule.
    us_time = local(NEW_YORK, 2026, 6, 10, 10, 0)
    assert check_contact([], BOB_CASE, MOBILE, _by(never), us_time, US).allowed


def test_cn_an_outsourced_collector_uses_no_private_phone_without_consent() -> None:
    agent = Collector(trained_on=date(2026, 5, 1), training_required=True, outsourced=True)
    at = local(SHANGHAI, 2026, 6, 10, 10, 0)
    refused = check_contact([], ALICE_CASE, MOBILE, _by(agent, private_means=True), at, CN)
    assert refused.blocking_rule == "cn.outsourced_private_means" and refused.next_allowed_at is None
    consented = replace(ALICE_CASE, private_means_consent=True)
    assert check_contact([], consented, MOBILE, _by(agent, private_means=True), at, CN).allowed
    assert check_contact([], ALICE_CASE, MOBILE, _by(agent), at, CN).allowed
    staff = replace(agent, outsourced=False)
    assert check_contact([], ALICE_CASE, MOBILE, _by(staff, private_means=True), at, CN).allowed


@settings(max_examples=300, deadline=None)
@given(today=st.dates(min_value=date(2000, 3, 1), max_value=date(2099, 12, 31)), months=st.integers(1, 36))
def test_training_is_current_for_exactly_the_months_before_today(today: date, months: int) -> None:
    edge = add_months(today, -months)
    assert not training_current(edge, today, months)
    assert training_current(edge + timedelta(days=1), today, months)
    assert training_current(today, today, months)
    assert not training_current(None, today, months)
