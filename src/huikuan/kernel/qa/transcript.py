"""Call transcripts: speaker turns with times, read from a speech-to-text JSON document or plain text.

JSON (what a speech-to-text service produces, documented in docs/qa.md)::

    {"language": "zh", "audience": "debtor",
     "turns": [{"speaker": "agent", "start": 0.0, "end": 3.2, "text": "您好，请问是王磊先生吗？"}, ...]}

``speaker`` is ``agent`` (the collector), ``debtor`` or ``third_party`` (the synonyms in ``SPEAKERS`` are
accepted); ``start``/``end`` are seconds from the start of the recording, optional but both or neither.
``audience`` says to whom the agent spoke: ``third_party`` when the person on the line is not the debtor.

Plain text, one turn a line, an optional ``[mm:ss]`` or ``[hh:mm:ss]`` start time before the speaker::

    [00:00] 坐席: 您好，请问是王磊先生吗？
    [00:04] 客户: 是我。

A transcript that cannot be read raises ``TranscriptError`` naming the turn or line and what is wrong.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

SPEAKERS = {
    "agent": "agent",
    "collector": "agent",
    "坐席": "agent",
    "催收员": "agent",
    "客服": "agent",
    "员工": "agent",
    "debtor": "debtor",
    "customer": "debtor",
    "客户": "debtor",
    "债务人": "debtor",
    "借款人": "debtor",
    "third_party": "third_party",
    "third party": "third_party",
    "第三方": "third_party",
    "家属": "third_party",
    "联系人": "third_party",
}
AUDIENCES = ("debtor", "third_party")
MAX_TURNS = 2000
MAX_TURN_CHARS = 4000
_LINE = re.compile(r"^\s*(?:\[(?:(\d{1,2}):)?(\d{1,2}):(\d{2})(?:\.(\d+))?\]\s*)?([^:：\[\]]{1,20})\s*[:：]\s*(.*)$")


class TranscriptError(ValueError):
    """A transcript that cannot be read: the message names the turn (or line) and the problem."""


@dataclass(frozen=True, slots=True)
class Turn:
    index: int
    speaker: str  # agent / debtor / third_party
    text: str
    start: float | None = None  # seconds from the start of the recording
    end: float | None = None

    def as_dict(self) -> dict[str, object]:
        return {"index": self.index, "speaker": self.speaker, "text": self.text, "start": self.start, "end": self.end}


@dataclass(frozen=True, slots=True)
class Transcript:
    turns: tuple[Turn, ...]
    language: str = "zh"
    audience: str = "debtor"

    def agent_turns(self) -> list[Turn]:
        return [turn for turn in self.turns if turn.speaker == "agent"]

    def as_dict(self) -> dict[str, object]:
        return {
            "language": self.language,
            "audience": self.audience,
            "turns": [turn.as_dict() for turn in self.turns],
        }


def _speaker(raw: object, where: str) -> str:
    key = str(raw).strip().lower() if raw is not None else ""
    if key not in SPEAKERS:
        raise TranscriptError(f"{where}: unknown speaker {raw!r}; use agent, debtor or third_party")
    return SPEAKERS[key]


def _seconds(raw: object, where: str, name: str) -> float | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise TranscriptError(f"{where}: {name} must be seconds (a number), got {raw!r}")
    try:
        value = float(raw)
    except ValueError as exc:
        raise TranscriptError(f"{where}: {name} must be seconds (a number), got {raw!r}") from exc
    if not 0 <= value < 86400:
        raise TranscriptError(f"{where}: {name} must be between 0 and 86400 seconds, got {raw!r}")
    return value


def _check(turns: list[Turn], language: str, audience: str) -> Transcript:
    if not turns:
        raise TranscriptError("the transcript has no turns")
    if len(turns) > MAX_TURNS:
        raise TranscriptError(f"the transcript has {len(turns)} turns; at most {MAX_TURNS}")
    if language not in ("zh", "en"):
        raise TranscriptError(f"language must be zh or en, got {language!r}")
    if audience not in AUDIENCES:
        raise TranscriptError(f"audience must be debtor or third_party, got {audience!r}")
    return Transcript(turns=tuple(turns), language=language, audience=audience)


def _turn(index: int, speaker: str, text: str, start: float | None, end: float | None, where: str) -> Turn:
    text = text.strip()
    if not text:
        raise TranscriptError(f"{where}: the text is empty")
    if "\x00" in text:
        raise TranscriptError(f"{where}: the text has a NUL character")
    if len(text) > MAX_TURN_CHARS:
        raise TranscriptError(f"{where}: the text has {len(text)} characters; at most {MAX_TURN_CHARS}")
    if start is not None and end is not None and end < start:
        raise TranscriptError(f"{where}: end {end} is before start {start}")
    return Turn(index=index, speaker=speaker, text=text, start=start, end=end)


def parse_json(data: str | bytes | dict[str, object]) -> Transcript:
    """A transcript from the documented JSON document (text, bytes or already decoded)."""
    if isinstance(data, str | bytes):
        try:
            data = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise TranscriptError(f"not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise TranscriptError("the JSON document must be an object with a list of turns")
    raw_turns = data.get("turns")
    if not isinstance(raw_turns, list):
        raise TranscriptError("the JSON document needs 'turns', a list of {speaker, text, start, end}")
    turns: list[Turn] = []
    for i, raw in enumerate(raw_turns):
        where = f"turn {i + 1}"
        if not isinstance(raw, dict):
            raise TranscriptError(f"{where}: must be an object with speaker and text")
        text = raw.get("text")
        if not isinstance(text, str):
            raise TranscriptError(f"{where}: text must be a string")
        turns.append(
            _turn(
                i,
                _speaker(raw.get("speaker"), where),
                text,
                _seconds(raw.get("start"), where, "start"),
                _seconds(raw.get("end"), where, "end"),
                where,
            )
        )
    return _check(turns, str(data.get("language") or "zh"), str(data.get("audience") or "debtor"))


def parse_text(text: str, language: str = "zh", audience: str = "debtor") -> Transcript:
    """A transcript from ``坐席: ...`` lines, each optionally led by ``[mm:ss]``; blank lines are skipped.

    A line without a speaker continues the turn above (speech-to-text output wraps long turns). A turn's end
    is the next timed turn's start, so a plain-text transcript with times still tells who spoke over whom
    only coarsely: the JSON form carries real end times.
    """
    turns: list[Turn] = []
    pending: list[tuple[str, str, float | None, int]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = _LINE.match(line)
        if match is None:
            if not pending or line.lstrip().startswith("["):
                raise TranscriptError(f"line {number}: expected 'speaker: text', e.g. '坐席: 您好' (got {line[:40]!r})")
            speaker, body, start, first = pending[-1]
            pending[-1] = (speaker, f"{body}{line.strip()}", start, first)
            continue
        hours, minutes, seconds, fraction, who, body = match.groups()
        start = None
        if seconds is not None:
            start = int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + float(f"0.{fraction or 0}")
            if int(seconds) >= 60 or (hours is not None and int(minutes) >= 60):
                raise TranscriptError(f"line {number}: time [{line.split(']')[0][1:]}] is not a clock time")
        pending.append((_speaker(who, f"line {number}"), body, start, number))
    for i, (speaker, body, start, number) in enumerate(pending):
        end = pending[i + 1][2] if i + 1 < len(pending) else None
        if start is None or (end is not None and end < start):
            end = None
        turns.append(_turn(i, speaker, body, start, end, f"line {number}"))
    return _check(turns, language, audience)


def parse(payload: str | bytes, language: str = "zh", audience: str = "debtor") -> Transcript:
    """JSON when the payload is a JSON object, the plain-text form otherwise."""
    text = payload.decode("utf-8-sig") if isinstance(payload, bytes) else payload
    if text.lstrip().startswith("{"):
        return parse_json(text)
    return parse_text(text, language=language, audience=audience)
