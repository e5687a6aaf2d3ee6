"""The legal case (法诉): its stages, the moves between them, what each move needs, and the evidence pack's rules.

A case handed to legal is reviewed first; it then goes forward one step at a time, lawyer's letter → filed →
hearing → judgment → enforcement → closed, because each step rests on the one before (no judgment without a
suit filed). A hearing may be adjourned and held again (hearing → hearing). At any open step the creditor may
withdraw or the parties settle; closed, withdrawn and settled are final: a case that comes back to legal opens
a new legal case, so each file's history stays as it was.

A move out of order is refused with the stages allowed next, so the person sees what they can do instead. A
move that records a court step needs that step's facts: the court and the case number (案号) to file, the
hearing's date to schedule one, the judgment's amount and date to record a judgment.

The evidence pack's rules are here too: the ledger statement's running balance (to the fen) and the
manifest, which lists every file with its SHA-256 in name order, so the same files give the same manifest
byte for byte.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from huikuan.kernel.money import ZERO, quantize_fen


class Stage(StrEnum):
    REVIEW = "review"
    LETTER = "letter"  # lawyer's letter (律师函)
    FILED = "filed"
    HEARING = "hearing"
    JUDGMENT = "judgment"
    ENFORCEMENT = "enforcement"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"
    SETTLED = "settled"


# The way forward, in order; withdrawn and settled may end any open stage.
FORWARD: tuple[Stage, ...] = (
    Stage.REVIEW,
    Stage.LETTER,
    Stage.FILED,
    Stage.HEARING,
    Stage.JUDGMENT,
    Stage.ENFORCEMENT,
    Stage.CLOSED,
)
STAGES = frozenset(s.value for s in Stage)
FINAL = frozenset({Stage.CLOSED, Stage.WITHDRAWN, Stage.SETTLED})
ENDINGS = (Stage.WITHDRAWN, Stage.SETTLED)

TRANSITIONS: Mapping[Stage, tuple[Stage, ...]] = {
    Stage.REVIEW: (Stage.LETTER, Stage.FILED, *ENDINGS),  # a review may go straight to filing
    Stage.LETTER: (Stage.FILED, *ENDINGS),
    Stage.FILED: (Stage.HEARING, *ENDINGS),
    Stage.HEARING: (Stage.HEARING, Stage.JUDGMENT, *ENDINGS),  # adjourned: another hearing date
    Stage.JUDGMENT: (Stage.ENFORCEMENT, Stage.CLOSED, Stage.SETTLED),  # paid after judgment: closed
    Stage.ENFORCEMENT: (Stage.CLOSED, Stage.SETTLED),
    Stage.CLOSED: (),
    Stage.WITHDRAWN: (),
    Stage.SETTLED: (),
}


def allowed_next(stage: str) -> tuple[Stage, ...]:
    """The stages a legal case at ``stage`` may move to, in the order a person would take them."""
    return TRANSITIONS[Stage(stage)] if stage in STAGES else ()


@dataclass(frozen=True, slots=True)
class MoveFacts:
    """What a move records, as the person gave it (None: not given)."""

    court: str = ""
    case_number: str = ""
    law_firm: str = ""
    filed_on: date | None = None
    next_hearing: datetime | None = None
    judgment_on: date | None = None
    judgment_amount: Decimal | None = None
    awarded_costs: Decimal | None = None
    claim_amount: Decimal | None = None
    costs: Decimal | None = None


@dataclass(frozen=True, slots=True)
class MoveError:
    field: str  # "stage" for the move itself, else the fact that is missing or wrong
    code: str
    allowed: tuple[Stage, ...] = ()


def check_move(stage: str, to: str, facts: MoveFacts, *, today: date) -> list[MoveError]:
    """Why the move from ``stage`` to ``to`` with ``facts`` cannot be made; [] when it can.

    ``today`` is the day the move is made: a suit is not filed, nor a judgment given, in the future.
    """
    allowed = allowed_next(stage)
    if to not in allowed:
        return [MoveError("stage", "out_of_order", allowed)]
    errors: list[MoveError] = []
    target = Stage(to)
    if target is Stage.FILED:
        errors += _required(facts, "court", "case_number", "filed_on")
        if facts.filed_on is not None and facts.filed_on > today:
            errors.append(MoveError("filed_on", "future"))
    if target is Stage.HEARING and facts.next_hearing is None:
        errors.append(MoveError("next_hearing", "required"))
    if target is Stage.JUDGMENT:
        errors += _required(facts, "judgment_on", "judgment_amount")
        if facts.judgment_on is not None and facts.judgment_on > today:
            errors.append(MoveError("judgment_on", "future"))
    for name in ("judgment_amount", "awarded_costs", "claim_amount", "costs"):
        value = getattr(facts, name)
        if value is not None and (value < 0 or value != quantize_fen(value)):
            errors.append(MoveError(name, "amount"))
    return errors


def _required(facts: MoveFacts, *names: str) -> list[MoveError]:
    return [MoveError(name, "required") for name in names if getattr(facts, name) in (None, "")]


def holds_case(stage: str) -> bool:
    """Whether the legal hold is on: from the review until the file is closed, withdrawn or settled."""
    return Stage(stage) not in FINAL


def costs_to_post(awarded: Decimal | None, posted: Decimal) -> Decimal:
    """The legal costs still to post as a fee: what the judgment awards less what was posted already.

    Only awarded costs are charged to the debtor; costs the creditor bears stay off the ledger. A judgment
    recorded again (corrected) posts only the difference upwards; a lower award is not reversed here (that is
    a reversal of the fee entry, a finance decision)."""
    if awarded is None:
        return ZERO
    return max(quantize_fen(awarded) - posted, ZERO)


def hearing_reminder_due(hearing: datetime | None, now: datetime, days_ahead: int) -> bool:
    """A hearing is announced from ``days_ahead`` days before it until it starts."""
    if hearing is None:
        return False
    return now <= hearing and (hearing - now).total_seconds() <= days_ahead * 86400


# --- The evidence pack ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StatementLine:
    account: str
    day: date
    kind: str
    reference: str
    amount: Decimal  # the entry's net effect on what is owed
    balance: Decimal  # what is owed on the account after it


def statement(entries: Iterable[tuple[str, date, str, str, Decimal]]) -> list[StatementLine]:
    """The ledger statement with a running balance per account, to the fen, in the order given.

    Entries are (account, day, kind, reference, amount owed moved), ordered by account then as posted.
    """
    running: dict[str, Decimal] = {}
    lines = []
    for account, day, kind, reference, amount in entries:
        balance = running.get(account, ZERO) + amount
        running[account] = balance
        lines.append(StatementLine(account, day, kind, reference, quantize_fen(amount), quantize_fen(balance)))
    return lines


def closing_balances(lines: Sequence[StatementLine]) -> dict[str, Decimal]:
    """Each account's balance at the end of the statement."""
    closing: dict[str, Decimal] = {}
    for line in lines:
        closing[line.account] = line.balance
    return closing


def manifest(files: Mapping[str, bytes], header: Mapping[str, object]) -> bytes:
    """The pack's manifest: the header and every file's size and SHA-256, sorted by name, as canonical JSON.

    The header holds the pack's inputs (the case, the state of the data it was built from), never the time it
    was built: the same inputs give the same bytes."""
    listing = [
        {"name": name, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        for name, data in sorted(files.items())
    ]
    document = {**header, "files": listing}
    return (json.dumps(document, ensure_ascii=False, sort_keys=True, indent=1, default=str) + "\n").encode()


def check_manifest(document: Mapping[str, object], files: Mapping[str, bytes]) -> list[str]:
    """The files whose content does not match the manifest (or that one lacks the other); [] when it holds."""
    entries = document.get("files")
    listed = {str(f["name"]): f for f in entries if isinstance(f, dict)} if isinstance(entries, list) else {}
    problems = [name for name in sorted(set(listed) ^ set(files))]
    for name in sorted(set(listed) & set(files)):
        if listed[name].get("sha256") != hashlib.sha256(files[name]).hexdigest():
            problems.append(name)
    return problems


# --- Uploads -------------------------------------------------------------------------------------------------

# What a legal document may be, told by its first bytes rather than its name or the browser's word: a scan or
# photo, a PDF, or a recording. Anything else (an office file, an archive, a script) is refused.
_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"%PDF-", 0, "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"WEBP", 8, "image/webp"),
    (b"WAVE", 8, "audio/wav"),
    (b"ID3", 0, "audio/mpeg"),
    (b"OggS", 0, "audio/ogg"),
    (b"#!AMR", 0, "audio/amr"),
    (b"fLaC", 0, "audio/flac"),
    (b"ftypM4A", 4, "audio/mp4"),
)


def sniff_content_type(head: bytes) -> str | None:
    """The document's type from its first 16 bytes (image, PDF or audio), or None when it is none of those."""
    for signature, offset, content_type in _SIGNATURES:
        if head[offset : offset + len(signature)] == signature:
            if content_type in ("image/webp", "audio/wav") and not head.startswith(b"RIFF"):
                continue
            return content_type
    # An MPEG audio frame without a tag: eleven sync bits, then a layer that is not "reserved".
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0 and head[1] & 0x06:
        return "audio/mpeg"
    return None
