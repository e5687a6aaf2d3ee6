"""Field visits (外访): what a visit's outcome means, who heard the notes, and what may be uploaded.

A visit is recorded as an interaction of the channel ``visit`` at the debtor's address, so the gate, the
strategy and the timeline read it like any contact. Its own outcome is finer than a call's and is kept on
the visit; ``interaction_outcome`` says which contact outcome it is, and from that the rest follows
(``kernel.contacts``): meeting the debtor is a right-party contact and makes the address valid, an address
that is wrong or that the debtor left is recorded as a wrong number — invalid from now on, and a step
toward 失联 (``contacts.counts_toward_unreachable``) — and a family member met at the door is a third party.

The rules return problems (codes with their parameters) rather than raising; the app words them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from huikuan.kernel.contacts import Outcome


class VisitOutcome(StrEnum):
    MET_DEBTOR = "met_debtor"
    NOT_HOME = "not_home"
    MOVED = "moved"
    ADDRESS_INVALID = "address_invalid"
    PROMISE = "promise"
    PAID = "paid"
    REFUSED = "refused"


class PersonMet(StrEnum):
    DEBTOR = "debtor"
    FAMILY = "family"  # spouse, parent, child living there: the third party of the rules
    OTHER = "other"  # a neighbour, the property manager, a new tenant


# Outcomes only the debtor gives: recording one needs the debtor among the persons met.
DEBTOR_OUTCOMES = frozenset({VisitOutcome.MET_DEBTOR, VisitOutcome.PROMISE, VisitOutcome.PAID, VisitOutcome.REFUSED})
# Outcomes that say the address no longer reaches the debtor.
ADDRESS_GONE = frozenset({VisitOutcome.MOVED, VisitOutcome.ADDRESS_INVALID})

_CONTACT_OUTCOME = {
    VisitOutcome.MET_DEBTOR: Outcome.RIGHT_PARTY,
    VisitOutcome.PAID: Outcome.RIGHT_PARTY,
    VisitOutcome.PROMISE: Outcome.PROMISE,
    VisitOutcome.REFUSED: Outcome.REFUSAL,
    VisitOutcome.MOVED: Outcome.WRONG_NUMBER,
    VisitOutcome.ADDRESS_INVALID: Outcome.WRONG_NUMBER,
}


def interaction_outcome(outcome: VisitOutcome, met: Iterable[PersonMet], *, plan: bool = False) -> Outcome:
    """The contact outcome a visit is recorded with.

    Not at home: a third party when somebody else opened the door (the rules for third parties then
    apply), nobody answered otherwise. A plan agreed at the door is an accepted plan, as on the phone.
    """
    if outcome is VisitOutcome.NOT_HOME:
        return Outcome.THIRD_PARTY if set(met) - {PersonMet.DEBTOR} else Outcome.NO_ANSWER
    if plan and outcome in (VisitOutcome.MET_DEBTOR, VisitOutcome.PROMISE):
        return Outcome.PLAN_ACCEPTED
    return _CONTACT_OUTCOME[outcome]


def audience(met: Iterable[PersonMet]) -> str:
    """Whom the notes are screened for: a third party as soon as anyone but the debtor was there, since
    whatever was said at the door was said in front of them."""
    return "third_party" if set(met) - {PersonMet.DEBTOR} else "debtor"


# How long after a visit it may still be recorded, and how long one visit may last.
RECORD_WITHIN = timedelta(days=2)
LONGEST_VISIT = timedelta(hours=8)
# A clock a few minutes ahead on the collector's phone is not a visit in the future.
CLOCK_SLACK = timedelta(minutes=5)


@dataclass(frozen=True)
class Problem:
    code: str
    field: str
    params: tuple[tuple[str, str], ...] = ()


def visit_problems(
    outcome: VisitOutcome, met: Iterable[PersonMet], arrived: datetime, left: datetime, now: datetime
) -> list[Problem]:
    """Everything wrong with a visit as entered, at once (times are aware instants)."""
    met = set(met)
    problems = []
    if outcome in DEBTOR_OUTCOMES and PersonMet.DEBTOR not in met:
        problems.append(Problem("debtor_not_met", "persons_met"))
    if outcome is VisitOutcome.NOT_HOME and PersonMet.DEBTOR in met:
        problems.append(Problem("debtor_met_not_home", "persons_met"))
    if left <= arrived:
        problems.append(Problem("left_before_arrival", "left_at"))
    elif left - arrived > LONGEST_VISIT:
        problems.append(Problem("too_long", "left_at", (("hours", str(LONGEST_VISIT.seconds // 3600)),)))
    if left > now + CLOCK_SLACK:
        problems.append(Problem("in_future", "left_at"))
    if arrived < now - RECORD_WITHIN:
        problems.append(Problem("too_old", "arrived_at", (("days", str(RECORD_WITHIN.days)),)))
    return problems


# ------------------------------------------------------------------------------------------- uploads

# What a visit's evidence may be: photos and scanned receipts. Read from the file's first bytes, never from
# its name or the browser's content type, which anyone can set.
_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"%PDF-", 0, "application/pdf"),
    (b"WEBP", 8, "image/webp"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
)
HEAD_BYTES = 16
UPLOAD_LIMIT = 10 * 1024 * 1024  # 10 MiB: a phone photo or a scanned page, not a video


def media_type(head: bytes) -> str | None:
    """The media type the file's first bytes show, or None for anything else."""
    for signature, offset, kind in _SIGNATURES:
        if head[offset : offset + len(signature)] == signature and (kind != "image/webp" or head[:4] == b"RIFF"):
            return kind
    return None


def upload_problem(head: bytes, size: int, limit: int = UPLOAD_LIMIT) -> Problem | None:
    """Why this upload cannot be kept (empty, too large, not an image or a PDF), or None."""
    if size <= 0:
        return Problem("empty", "files")
    if size > limit:
        return Problem("too_large", "files", (("limit_mb", f"{limit / 1024 / 1024:g}"),))
    if media_type(head) is None:
        return Problem("file_type", "files")
    return None


# ----------------------------------------------------------------------------------------- districts

# An address written the Chinese way runs from the largest unit to the smallest: 省 → 市 → 区/县.
_ADDRESS = re.compile(
    r"(?P<province>[^省市区县]{2,7}?(?:省|自治区))?"
    r"(?P<city>[^省市区县]{1,8}?(?:市|自治州|地区|盟))?"
    r"(?P<district>[^省市区县路街号]{1,8}?(?:区|县|旗))?"
)


def district_of(address: str) -> str:
    """The district a visit list groups an address under: its city and district (北京市朝阳区), else the
    largest units it names (青海省敏县, 上海市); "" when it names none (an address written another way).

    Always a prefix of the address with its outer spaces removed: grouping never invents a place.
    """
    text = address.strip()
    match = _ADDRESS.match(text)
    if match is None or not any(match.groups()):
        return ""
    return text[: match.end()]
