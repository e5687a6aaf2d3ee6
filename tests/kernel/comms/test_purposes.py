"""Message purposes: receipts pass holds and a closed case, pre-due reminders a closed case, collection neither."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from huikuan.kernel.comms.purposes import DUE_REMINDER, SERVICE, collects_case, for_purpose, is_service
from huikuan.kernel.compliance.gate import CaseFacts, Channel, ContactPoint, Hold, Outreach, PointKind, check_contact
from huikuan.kernel.compliance.packs import load_pack

PURPOSES = sorted(
    {*SERVICE, DUE_REMINDER, "reminder", "e_bill", "promise_reminder", "broken_promise", "holiday_greeting",
     "demand_letter", "lawyer_letter"}
)  # fmt: skip
# Friday 20 November 2026, 10:00 in Shanghai: inside every window of the cn pack.
AT = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
PACK = load_pack("cn")
POINT = ContactPoint(id="m1", kind=PointKind.MOBILE)


def test_receipts_are_service_and_a_pre_due_reminder_is_not_collection_of_the_case() -> None:
    assert all(is_service(p) and not collects_case(p) for p in SERVICE)
    assert not is_service(DUE_REMINDER) and not collects_case(DUE_REMINDER)
    assert collects_case("reminder") and not is_service("reminder")


@given(st.sampled_from(PURPOSES), st.booleans(), st.sets(st.sampled_from([Hold.DISPUTE, Hold.PLAN_HONOURED])))
def test_the_gate_refuses_for_a_closed_case_or_a_hold_exactly_what_the_purposes_say(
    purpose: str, closed: bool, holds: set[Hold]
) -> None:
    facts = for_purpose(CaseFacts(closed=closed, holds=frozenset(holds)), purpose)
    outreach = Outreach(Channel.SMS, automated=True, service=is_service(purpose))
    decision = check_contact([], facts, POINT, outreach, AT, PACK)
    rules = {r.rule_id for r in decision.reasons if r.severity == "block"}
    assert ("cn.case_closed" in rules) == (closed and collects_case(purpose))
    assert ("cn.holds" in rules) == (bool(holds) and not is_service(purpose))
    assert decision.allowed == (not rules)
