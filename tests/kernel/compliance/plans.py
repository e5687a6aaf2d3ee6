"""Random contact situations shared by the agreement and property tests (seeded: failures reproduce)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from huikuan.kernel.compliance.gate import (
    CaseFacts,
    Channel,
    ContactEvent,
    ContactPoint,
    Hold,
    Outreach,
    Owner,
    PointKind,
)

ZONES = (
    "Asia/Shanghai",
    "America/New_York",
    "America/Los_Angeles",
    "Europe/London",
    "Australia/Sydney",
    "Asia/Kolkata",
    "America/Havana",
)
# Days where something interesting happens: DST changes, Golden Week, Spring Festival make-up days, Christmas.
SPECIAL = (
    date(2026, 3, 8),
    date(2026, 11, 1),
    date(2026, 3, 29),
    date(2026, 10, 25),
    date(2026, 10, 1),
    date(2026, 2, 14),
    date(2026, 2, 16),
    date(2026, 12, 25),
    date(2026, 5, 1),
    date(2026, 7, 3),
)


@dataclass(frozen=True)
class Situation:
    history: tuple[ContactEvent, ...]
    facts: CaseFacts
    point: ContactPoint
    outreach: Outreach
    at: datetime


FITTING = {
    Channel.CALL: PointKind.HOME,
    Channel.SMS: PointKind.MOBILE,
    Channel.EMAIL: PointKind.EMAIL,
    Channel.LETTER: PointKind.POSTAL,
    Channel.VISIT: PointKind.POSTAL,
}


def random_situation(rng: random.Random) -> Situation:
    if rng.random() < 0.4:
        base = datetime.combine(rng.choice(SPECIAL), datetime.min.time(), tzinfo=UTC) - timedelta(hours=14)
        at = base + timedelta(minutes=rng.randrange(0, 60 * 48))
    else:
        at = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(0, 60 * 24 * 364))
    owner = rng.choices(list(Owner), weights=(6, 1, 3))[0]
    channel = rng.choices(list(Channel), weights=(6, 2, 1, 1, 1))[0]
    # Mostly a point the channel can reach, so the other rules get their say; sometimes any kind at all.
    kind = rng.choice(list(PointKind)) if rng.random() < 0.15 else FITTING[channel]
    point = ContactPoint(
        id="p1",
        kind=kind,
        owner=owner,
        relation=None if owner is Owner.DEBTOR else "spouse",
        valid=rng.random() > 0.05,
        do_not_contact=rng.random() < 0.04,
    )
    holds = frozenset(h for h in Hold if rng.random() < 0.03)
    facts = CaseFacts(
        debt_id="d1",
        timezone=rng.choice(ZONES),
        holds=holds,
        breathing_space_until=(at.date() + timedelta(days=rng.randint(-5, 70))) if rng.random() < 0.08 else None,
        unreachable=rng.random() < 0.1,
        incapacitated=rng.random() < 0.03,
        debtor_point_ids=frozenset({"p1", "p2"} if owner is Owner.DEBTOR else {"p2"}),
        valid_debtor_points=rng.choice((None, None, None, 0, 1, 2)),
        stopped_channels=frozenset(c for c in Channel if rng.random() < 0.03),
        quiet_hours_consent=rng.random() < 0.08,
        # What the full history says about third parties, beyond the recent events below.
        refused_points=frozenset({"p1"} if rng.random() < 0.05 else ()),
        answered_points=frozenset({"p1"} if rng.random() < 0.1 else ()),
        closed=rng.random() < 0.05,
        validation_dispute_open=rng.random() < 0.04,
        time_barred=rng.random() < 0.1,
    )
    events = []
    for _ in range(rng.choice((0, 1, 3, 5, 7, 9, 12, 16))):
        # Many events today (caps), some over the last 9 days (7-in-7, conversation quiet period).
        back = (
            timedelta(minutes=rng.randrange(1, 60 * 20))
            if rng.random() < 0.5
            else timedelta(minutes=rng.randrange(1, 60 * 24 * 9))
        )
        talked = rng.random() < 0.25
        events.append(
            ContactEvent(
                at=at - back,
                channel=rng.choices((Channel.CALL, Channel.SMS), weights=(5, 1))[0],
                contact_point_id=rng.choice(("p1", "p1", "p2", "p3")),
                debt_id=rng.choices(("d1", "d2"), weights=(5, 1))[0],
                answered=talked or rng.random() < 0.1,
                conversation=talked,
                voicemail=not talked and rng.random() < 0.3,
                refused=rng.random() < 0.03,
            )
        )
    outreach = Outreach(
        channel=channel,
        automated=rng.random() < 0.4,
        collectors=rng.choice((1, 2, 2)),
        service=rng.random() < 0.1,
        legal=channel is Channel.LETTER and rng.random() < 0.5,
    )
    return Situation(tuple(events), facts, point, outreach, at)
