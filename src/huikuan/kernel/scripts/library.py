"""The call-script library: four steps and the objection playbook, parsed from YAML into frozen values.

A library is data an admin edits, so parsing never trusts it: every text needs both languages, every
placeholder must be one the composer knows, the steps are exactly the four of a collection call in order,
and the playbook covers every objection the workbench offers a button for. ``parse_library`` returns the
library or the list of problems (beancount style), so the admin can show all of them at once.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

DEFAULT_PATH = Path(__file__).parent / "default.yaml"
LANGS = ("zh", "en")
STEP_KEYS = ("opening", "debt", "solutions", "confirm")
TONES = ("gentle", "firm", "legal")
OBJECTION_KEYS = (
    "hardship",
    "dispute",
    "already_paid",
    "refuses",
    "pay_later",
    "emotional",
    "abusive",
    "third_party",
    "wrong_number",
    "reduction",
    "stop_calling",
    "complaint",
)
# What the workbench can do from an objection card; each maps to a button there.
ACTIONS = frozenset(
    {
        "offer_plan",
        "record_promise",
        "open_bill",
        "log_dispute",
        "payment_reference",
        "log_refusal",
        "callback",
        "end_call",
        "log_third_party",
        "mark_wrong_number",
        "stop_calls",
        "complaint_hold",
    }
)
# The facts a line may name; compose.ScriptFacts fills them.
FIELDS = frozenset(
    {
        "org",
        "agent",
        "name",
        "tail",
        "tail_digits",
        "amount",
        "dpd",
        "deadline",
        "promise_amount",
        "promise_date",
        "option_full",
        "option_instalments",
        "option_ladder",
        # What the debtor agreed in this call (step 3's option or the promise typed), for step 4.
        "agreed_amount",
        "agreed_date",
        "plan_choice",
        "plan_number",
        "plan_count",
        "plan_total",
    }
)
# Conditions a line may carry (`when:` one name, or a list that must all hold); anything else is a typo
# that would silently hide the line.
CONDITIONS = frozenset(
    {
        "has_promise",
        "no_promise",
        "has_id",
        "company",
        "person",
        "agreed",
        "agreed_promise",
        "agreed_plan",
        "nothing_agreed",
        "plan_one_payment",
        "plan_several",
        "time_barred",
        "not_time_barred",
    }
)


class LibraryError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True, slots=True)
class Text:
    zh: str
    en: str

    def get(self, lang: str) -> str:
        return self.en if lang.startswith("en") else self.zh


@dataclass(frozen=True, slots=True)
class Line:
    text: Text
    when: tuple[str, ...] = ()

    def holds(self, held: set[str]) -> bool:
        return all(condition in held for condition in self.when)


@dataclass(frozen=True, slots=True)
class StepSpec:
    key: str
    title: Text
    hint: Text
    lines: tuple[Line, ...]
    third_party: tuple[Line, ...] = ()
    tones: tuple[tuple[str, tuple[Line, ...]], ...] = ()

    def tone_lines(self, tone: str) -> tuple[Line, ...]:
        return dict(self.tones).get(tone, ())


@dataclass(frozen=True, slots=True)
class ObjectionSpec:
    key: str
    label: Text
    keywords_zh: tuple[str, ...]
    keywords_en: tuple[str, ...]
    sentences: tuple[Line, ...]
    actions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Library:
    version: int
    organisation: Text
    steps: tuple[StepSpec, ...]
    objections: tuple[ObjectionSpec, ...]

    def objection(self, key: str) -> ObjectionSpec | None:
        return next((o for o in self.objections if o.key == key), None)


class _Reader:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def text(self, value: Any, where: str) -> Text:
        if not isinstance(value, dict):
            self.problems.append(f"{where}: expected zh and en texts")
            return Text("", "")
        for lang in LANGS:
            if not isinstance(value.get(lang), str) or not value[lang].strip():
                self.problems.append(f"{where}.{lang}: missing")
            else:
                self.placeholders(value[lang], f"{where}.{lang}")
        return Text(str(value.get("zh", "")).strip(), str(value.get("en", "")).strip())

    def placeholders(self, text: str, where: str) -> None:
        try:
            names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
        except ValueError as exc:
            self.problems.append(f"{where}: {exc}")
            return
        for name in sorted(names - FIELDS):
            self.problems.append(f"{where}: unknown placeholder {{{name}}}")

    def lines(self, value: Any, where: str) -> tuple[Line, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            self.problems.append(f"{where}: expected a list")
            return ()
        result = []
        for i, item in enumerate(value):
            raw = item.get("when", ()) if isinstance(item, dict) else ()
            when = tuple(str(c) for c in (raw if isinstance(raw, list) else [raw] if raw else []))
            for condition in when:
                if condition not in CONDITIONS:
                    self.problems.append(f"{where}[{i}].when: unknown condition {condition!r}")
            result.append(Line(self.text(item, f"{where}[{i}]"), when))
        return tuple(result)

    def words(self, value: Any, where: str) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(w, str) and w.strip() for w in value):
            self.problems.append(f"{where}: expected a list of words")
            return ()
        return tuple(w.strip().lower() for w in value)


def parse_library(source: str) -> tuple[Library | None, list[str]]:
    """The library in ``source`` (YAML), or None and every problem found."""
    try:
        data = yaml.safe_load(source)
    except yaml.YAMLError as exc:
        return None, [f"YAML: {exc}"]
    if not isinstance(data, dict):
        return None, ["the library must be a mapping with steps and objections"]
    r = _Reader()
    organisation = r.text(data.get("organisation"), "organisation")
    steps = []
    raw_steps: list[Any] = data["steps"] if isinstance(data.get("steps"), list) else []
    keys = tuple(s.get("key") if isinstance(s, dict) else None for s in raw_steps)
    if keys != STEP_KEYS:
        r.problems.append(f"steps: expected {', '.join(STEP_KEYS)} in that order, found {keys}")
    for i, raw in enumerate(raw_steps):
        if not isinstance(raw, dict):
            continue
        where = f"steps[{i}]"
        tones: list[tuple[str, tuple[Line, ...]]] = []
        raw_tones = raw.get("tones") or {}
        if raw.get("key") == "debt":
            for tone in TONES:
                if tone not in raw_tones:
                    r.problems.append(f"{where}.tones: missing {tone}")
        for tone, lines in raw_tones.items():
            if tone not in TONES:
                r.problems.append(f"{where}.tones: unknown tone {tone!r}")
            tones.append((str(tone), r.lines(lines, f"{where}.tones.{tone}")))
        steps.append(
            StepSpec(
                key=str(raw.get("key")),
                title=r.text(raw.get("title"), f"{where}.title"),
                hint=r.text(raw.get("hint"), f"{where}.hint"),
                lines=r.lines(raw.get("lines"), f"{where}.lines"),
                third_party=r.lines(raw.get("third_party"), f"{where}.third_party"),
                tones=tuple(tones),
            )
        )
    objections = []
    raw_objections: list[Any] = data["objections"] if isinstance(data.get("objections"), list) else []
    for i, raw in enumerate(raw_objections):
        if not isinstance(raw, dict):
            r.problems.append(f"objections[{i}]: expected a mapping")
            continue
        where = f"objections[{i}]"
        keywords = raw.get("keywords") or {}
        actions = raw.get("actions") or []
        for action in actions:
            if action not in ACTIONS:
                r.problems.append(f"{where}.actions: unknown action {action!r}")
        objections.append(
            ObjectionSpec(
                key=str(raw.get("key")),
                label=r.text(raw.get("label"), f"{where}.label"),
                keywords_zh=r.words(keywords.get("zh"), f"{where}.keywords.zh"),
                keywords_en=r.words(keywords.get("en"), f"{where}.keywords.en"),
                sentences=r.lines(raw.get("sentences"), f"{where}.sentences"),
                actions=tuple(str(a) for a in actions),
            )
        )
    missing = set(OBJECTION_KEYS) - {o.key for o in objections}
    for key in sorted(missing):
        r.problems.append(f"objections: missing {key}")
    if r.problems:
        return None, r.problems
    version = data.get("version", 1)
    return Library(int(version) if isinstance(version, int) else 1, organisation, tuple(steps), tuple(objections)), []


def load_library(source: str) -> Library:
    """``parse_library`` for callers that cannot go on without a library: raises LibraryError."""
    library, problems = parse_library(source)
    if library is None:
        raise LibraryError(problems)
    return library


@lru_cache(maxsize=1)
def default_library() -> Library:
    """The library shipped with the code; used until an admin puts a version in force."""
    return load_library(DEFAULT_PATH.read_text(encoding="utf-8"))
