"""The conversation scorecard: a transcript scored against the four-step structure, conduct and screening.

Pure: a ``Transcript`` (kernel/qa/transcript.py), the case's figures and a versioned scorecard
(``scorecards/v<N>.yaml``) in, a ``ScoreResult`` out, each item with its evidence turn. The QA workflow
(huikuan.qa) prefills a review with it; the training simulator calls the same ``score`` on the transcript
of a practice conversation, so a trainee and a real call are marked by one engine.

Items (ids as in the YAML):
- identity_before_debt: an agent turn confirms identity before any agent turn states the debt;
- amount_exact / dpd_exact: the amount and the days past due stated in the debt statement equal the case's;
- solution_offered: an agent turn offers a plan (instalments, extension, reduction...);
- agreement_read_back: after the solution, an agent turn reads the agreement back for confirmation;
- no_interruption: the agent does not start speaking before the debtor has finished giving a reason (times);
- empathy_after_hardship: the agent's first turn after a debtor's hardship or emotion shows empathy;
- compliant_ending: the last agent turn closes politely and is not flagged;
- screening_clean: no agent turn is flagged (screened with the transcript's audience).

An item that cannot apply (no hardship was voiced, a third party was on the line, no times for
interruption) is ``passed=None`` and counts neither way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from huikuan.kernel.compliance.screening import Flag, ScreenContext, screen
from huikuan.kernel.qa.transcript import Transcript, Turn

SCORECARD_DIR = Path(__file__).parent / "scorecards"
ITEM_IDS = (
    "identity_before_debt",
    "amount_exact",
    "dpd_exact",
    "solution_offered",
    "agreement_read_back",
    "no_interruption",
    "empathy_after_hardship",
    "compliant_ending",
    "screening_clean",
)
CUES = (
    "identity",
    "debt_statement",
    "amount",
    "dpd",
    "solution",
    "read_back",
    "reason",
    "hardship",
    "empathy",
    "ending",
)
GROUPS = ("structure", "conduct", "screening")
_SPACES = re.compile(r"\s+")


class ScorecardError(ValueError):
    """A scorecard file that cannot be used, or an override that cannot be applied: says which and why."""


@dataclass(frozen=True, slots=True)
class ItemSpec:
    id: str
    group: str
    weight: int
    title_zh: str
    title_en: str


@dataclass(frozen=True, slots=True)
class Scorecard:
    version: int
    items: tuple[ItemSpec, ...]
    caps: dict[str, int]
    cues: dict[str, dict[str, re.Pattern[str]]]  # language -> cue -> pattern

    def item(self, item_id: str) -> ItemSpec:
        for spec in self.items:
            if spec.id == item_id:
                return spec
        raise ScorecardError(f"scorecard version {self.version} has no item {item_id!r}")


@dataclass(frozen=True, slots=True)
class CaseFigures:
    """What the call should have said: the case's amount due and days past due on the call's day."""

    amount: Decimal | None = None
    dpd: int | None = None


@dataclass(frozen=True, slots=True)
class TurnFlag:
    turn: int
    start: float | None  # the turn's time in the recording, so QA jumps to the passage
    flag: Flag


@dataclass(frozen=True, slots=True)
class ItemResult:
    id: str
    passed: bool | None  # None: does not apply to this conversation
    evidence_turn: int | None
    note: str  # a short machine reason (English identifiers), rendered by the UI
    automatic: bool = True
    override_reason: str = ""

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "passed": self.passed,
            "evidence_turn": self.evidence_turn,
            "note": self.note,
            "automatic": self.automatic,
            "override_reason": self.override_reason,
        }


@dataclass(frozen=True, slots=True)
class ScoreResult:
    version: int
    items: tuple[ItemResult, ...]
    total: Decimal  # percent, one decimal
    flags: tuple[TurnFlag, ...]

    def item(self, item_id: str) -> ItemResult:
        for result in self.items:
            if result.id == item_id:
                return result
        raise ScorecardError(f"no item {item_id!r} in this result")


def _compile_cues(path: Path, raw: object) -> dict[str, dict[str, re.Pattern[str]]]:
    if not isinstance(raw, dict):
        raise ScorecardError(f"{path}: cues must map a language to its cue patterns")
    cues: dict[str, dict[str, re.Pattern[str]]] = {}
    for lang, table in raw.items():
        if not isinstance(table, dict) or set(table) != set(CUES):
            raise ScorecardError(f"{path}: cues for {lang!r} must be exactly: {', '.join(CUES)}")
        try:
            cues[lang] = {name: re.compile(str(pattern)) for name, pattern in table.items()}
        except re.error as exc:
            raise ScorecardError(f"{path}: cues for {lang!r}: bad regular expression: {exc}") from exc
    return cues


def scorecard_versions() -> list[int]:
    return sorted(int(p.stem[1:]) for p in SCORECARD_DIR.glob("v*.yaml") if p.stem[1:].isdigit())


@lru_cache(maxsize=8)
def load_scorecard(version: int | None = None) -> Scorecard:
    """The scorecard of that version (the newest when None)."""
    versions = scorecard_versions()
    if version is None:
        version = versions[-1]
    if version not in versions:
        raise ScorecardError(f"no scorecard version {version}; known: {', '.join(map(str, versions))}")
    path = SCORECARD_DIR / f"v{version}.yaml"
    raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict) or raw.get("version") != version:
        raise ScorecardError(f"{path}: 'version' must be {version}")
    items: list[ItemSpec] = []
    for entry in raw.get("items") or []:
        where = f"{path}: item {entry.get('id')!r}"
        if entry.get("id") not in ITEM_IDS:
            raise ScorecardError(f"{where}: unknown item; known: {', '.join(ITEM_IDS)}")
        if entry.get("group") not in GROUPS:
            raise ScorecardError(f"{where}: group must be one of {', '.join(GROUPS)}")
        weight = entry.get("weight")
        if not isinstance(weight, int) or isinstance(weight, bool) or weight < 0:
            raise ScorecardError(f"{where}: weight must be a whole number of points ≥ 0")
        items.append(ItemSpec(entry["id"], entry["group"], weight, entry["title_zh"], entry["title_en"]))
    if [i.id for i in items] != list(ITEM_IDS):
        raise ScorecardError(f"{path}: items must be, in this order: {', '.join(ITEM_IDS)}")
    caps = raw.get("caps") or {}
    for item_id, cap in caps.items():
        if item_id not in ITEM_IDS or not isinstance(cap, int) or not 0 <= cap <= 100:
            raise ScorecardError(f"{path}: cap {item_id!r}: {cap!r} must cap a known item at 0..100")
    return Scorecard(version=version, items=tuple(items), caps=dict(caps), cues=_compile_cues(path, raw.get("cues")))


def _norm(text: str, lang: str) -> str:
    return _SPACES.sub("", text) if lang == "zh" else _SPACES.sub(" ", text.lower())


def _decimal(raw: str) -> Decimal | None:
    try:
        return Decimal(raw.replace(",", "").replace("，", ""))
    except InvalidOperation:
        return None


def screen_transcript(transcript: Transcript) -> list[TurnFlag]:
    """Every agent turn screened as said to the transcript's audience; each flag with the turn's time."""
    context = ScreenContext(lang=transcript.language, audience=transcript.audience, source="transcript")
    return [
        TurnFlag(turn=turn.index, start=turn.start, flag=flag)
        for turn in transcript.agent_turns()
        for flag in screen(turn.text, context)
    ]


class _Reader:
    def __init__(self, transcript: Transcript, card: Scorecard) -> None:
        self.transcript = transcript
        self.cues = card.cues.get(transcript.language) or card.cues["zh"]
        self.lang = transcript.language
        self.text = {turn.index: _norm(turn.text, self.lang) for turn in transcript.turns}

    def has(self, turn: Turn, cue: str) -> bool:
        return self.cues[cue].search(self.text[turn.index]) is not None

    def first(self, cue: str, speaker: str = "agent", after: int = -1) -> Turn | None:
        for turn in self.transcript.turns:
            if turn.index > after and turn.speaker == speaker and self.has(turn, cue):
                return turn
        return None

    def numbers(self, turn: Turn, cue: str) -> list[str]:
        return [m.group(1) for m in self.cues[cue].finditer(self.text[turn.index])]


def _identity(r: _Reader) -> ItemResult:
    identity = r.first("identity")
    debt = r.first("debt_statement")
    if identity is None:
        return ItemResult("identity_before_debt", False, debt.index if debt else None, "identity_not_confirmed")
    if debt is not None and debt.index < identity.index:
        return ItemResult("identity_before_debt", False, debt.index, "debt_stated_before_identity")
    return ItemResult("identity_before_debt", True, identity.index, "identity_first")


def _stated(r: _Reader, item_id: str, cue: str, expected: Decimal | None) -> ItemResult:
    if expected is None:
        return ItemResult(item_id, None, None, "no_case_figure")
    stated: list[tuple[Turn, Decimal]] = []
    for turn in r.transcript.agent_turns():
        if r.has(turn, "debt_statement"):
            stated.extend((turn, value) for raw in r.numbers(turn, cue) if (value := _decimal(raw)) is not None)
    for turn, value in stated:
        if value == expected:
            return ItemResult(item_id, True, turn.index, "matches_case")
    if stated:
        return ItemResult(item_id, False, stated[0][0].index, f"stated_{stated[0][1]}_case_{expected}")
    return ItemResult(item_id, False, None, "not_stated")


def _solution(r: _Reader) -> ItemResult:
    turn = r.first("solution")
    return ItemResult("solution_offered", turn is not None, turn.index if turn else None, "offered" if turn else "none")


def _read_back(r: _Reader) -> ItemResult:
    solution = r.first("solution")
    if solution is None:
        return ItemResult("agreement_read_back", False, None, "no_solution_to_read_back")
    turn = r.first("read_back", after=solution.index - 1)
    if turn is None:
        return ItemResult("agreement_read_back", False, None, "not_read_back")
    return ItemResult("agreement_read_back", True, turn.index, "read_back")


def _next_agent(r: _Reader, after: Turn) -> Turn | None:
    for turn in r.transcript.turns[after.index + 1 :]:
        if turn.speaker == "agent":
            return turn
    return None


def _interruption(r: _Reader) -> ItemResult:
    reasons = [t for t in r.transcript.turns if t.speaker == "debtor" and r.has(t, "reason")]
    timed = [t for t in reasons if t.end is not None]
    if not reasons:
        return ItemResult("no_interruption", None, None, "no_reason_given")
    if not timed:
        return ItemResult("no_interruption", None, reasons[0].index, "no_times")
    for reason in timed:
        reply = _next_agent(r, reason)
        assert reason.end is not None
        if reply is not None and reply.start is not None and reply.start < reason.end:
            return ItemResult("no_interruption", False, reply.index, "agent_spoke_over_reason")
    return ItemResult("no_interruption", True, timed[0].index, "reason_heard_out")


def _empathy(r: _Reader) -> ItemResult:
    hardships = [t for t in r.transcript.turns if t.speaker == "debtor" and r.has(t, "hardship")]
    if not hardships:
        return ItemResult("empathy_after_hardship", None, None, "no_hardship_voiced")
    for hardship in hardships:
        reply = _next_agent(r, hardship)
        if reply is None or not r.has(reply, "empathy"):
            evidence = reply.index if reply is not None else hardship.index
            return ItemResult("empathy_after_hardship", False, evidence, "no_empathy_after_hardship")
    reply = _next_agent(r, hardships[0])
    return ItemResult("empathy_after_hardship", True, reply.index if reply else None, "empathy_shown")


def _ending(r: _Reader, flagged_turns: set[int]) -> ItemResult:
    agents = r.transcript.agent_turns()
    if not agents:
        return ItemResult("compliant_ending", False, None, "no_agent_turn")
    last = agents[-1]
    if last.index in flagged_turns:
        return ItemResult("compliant_ending", False, last.index, "last_turn_flagged")
    if not r.has(last, "ending"):
        return ItemResult("compliant_ending", False, last.index, "no_closing")
    return ItemResult("compliant_ending", True, last.index, "closed_politely")


def _screening(flags: list[TurnFlag]) -> ItemResult:
    blocking = [f for f in flags if f.flag.severity == "block"]
    if blocking:
        return ItemResult("screening_clean", False, blocking[0].turn, f"flagged_{blocking[0].flag.category}")
    return ItemResult("screening_clean", True, None, "clean")


def total(card: Scorecard, items: tuple[ItemResult, ...]) -> Decimal:
    """Points earned over the points of the items that apply, in percent (one decimal), then the caps."""
    earned = possible = 0
    for result in items:
        if result.passed is None:
            continue
        weight = card.item(result.id).weight
        possible += weight
        earned += weight if result.passed else 0
    value = Decimal(100) if possible == 0 else (Decimal(100) * earned / possible)
    for item_id, cap in card.caps.items():
        if any(r.id == item_id and r.passed is False for r in items):
            value = min(value, Decimal(cap))
    return value.quantize(Decimal("0.1"))


def score(transcript: Transcript, figures: CaseFigures | None = None, version: int | None = None) -> ScoreResult:
    """Score one conversation. ``figures`` are the case's; without them the exact-figure items do not apply."""
    card = load_scorecard(version)
    figures = figures or CaseFigures()
    reader = _Reader(transcript, card)
    flags = screen_transcript(transcript)
    to_debtor = transcript.audience == "debtor"
    skipped = "third_party_on_the_line"
    items = (
        _identity(reader) if to_debtor else ItemResult("identity_before_debt", None, None, skipped),
        _stated(reader, "amount_exact", "amount", figures.amount)
        if to_debtor
        else ItemResult("amount_exact", None, None, skipped),
        _stated(reader, "dpd_exact", "dpd", None if figures.dpd is None else Decimal(figures.dpd))
        if to_debtor
        else ItemResult("dpd_exact", None, None, skipped),
        _solution(reader) if to_debtor else ItemResult("solution_offered", None, None, skipped),
        _read_back(reader) if to_debtor else ItemResult("agreement_read_back", None, None, skipped),
        _interruption(reader),
        _empathy(reader),
        _ending(reader, {f.turn for f in flags if f.flag.severity == "block"}),
        _screening(flags),
    )
    return ScoreResult(version=card.version, items=items, total=total(card, items), flags=tuple(flags))


def apply_overrides(result: ScoreResult, overrides: dict[str, tuple[bool | None, str]]) -> ScoreResult:
    """QA's decisions over the automatic items: item id -> (passed, reason); a changed item needs a reason."""
    card = load_scorecard(result.version)
    items = list(result.items)
    for item_id, (passed, reason) in overrides.items():
        position = next((i for i, r in enumerate(items) if r.id == item_id), None)
        if position is None:
            raise ScorecardError(f"unknown item {item_id!r}; known: {', '.join(ITEM_IDS)}")
        current = items[position]
        if passed == current.passed:
            continue
        if not reason.strip():
            raise ScorecardError(f"item {item_id!r}: overriding the automatic result needs a reason")
        items[position] = replace(current, passed=passed, automatic=False, override_reason=reason.strip())
    frozen = tuple(items)
    return replace(result, items=frozen, total=total(card, frozen))
