"""Rule packs: the legal limits as data (packs/*.yaml), validated when loaded.

A pack is a list of rules; each rule names a ``kind`` (the pure function in gate.py that evaluates it),
its parameters, a severity, its legal source and the reason text in zh-Hans and English. Validation
happens once at load time and names the file and the rule, because a typo in a pack is a compliance
incident waiting to happen and must stop the process at start-up, not at the first blocked call.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from huikuan.kernel.holidays import CALENDARS, Calendar, HolidayTable
from huikuan.kernel.regions import region_code

PACK_DIR = Path(__file__).parent / "packs"
SEVERITIES = ("block", "warn")
CHANNELS = ("call", "sms", "email", "letter", "visit")
HOLDS = ("dispute", "complaint", "hardship_review", "plan_honoured", "deceased", "bankruptcy", "legal")
THIRD_PARTY_GROUNDS = ("unreachable", "deceased", "incapacitated")
POINT_KINDS = ("mobile", "home", "work", "email", "postal")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class PackError(ValueError):
    """A rule pack that cannot be trusted: the message names the file and the rule."""


Check = Callable[[object], str | None]


def _int_at_least(low: int) -> Check:
    def check(value: object) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            return f"must be an integer >= {low}"
        return None

    return check


def _boolean(value: object) -> str | None:
    return None if isinstance(value, bool) else "must be true or false"


def _hhmm(value: object) -> str | None:
    return None if isinstance(value, str) and _HHMM.match(value) else "must be a time 'HH:MM'"


def _channel_kinds(value: object) -> str | None:
    """Every channel mapped to the point kinds that can receive it: a channel left out could reach anything."""
    if not isinstance(value, dict) or set(value) != set(CHANNELS):
        return f"must map each of {', '.join(CHANNELS)} to a list of point kinds"
    for kinds in value.values():
        if not isinstance(kinds, list) or not kinds or any(kind not in POINT_KINDS for kind in kinds):
            return f"each channel's kinds must be a non-empty list drawn from {', '.join(POINT_KINDS)}"
    return None


def _one_of(choices: tuple[str, ...]) -> Check:
    def check(value: object) -> str | None:
        return None if value in choices else f"must be one of {', '.join(choices)}"

    return check


def _subset_of(choices: tuple[str, ...]) -> Check:
    def check(value: object) -> str | None:
        if not isinstance(value, list) or any(item not in choices for item in value):
            return f"must be a list drawn from {', '.join(choices)}"
        return None

    return check


def _disclosures(value: object) -> str | None:
    """Region code -> {language: wording}, each with an English wording (the one the statutes prescribe)."""
    if not isinstance(value, dict) or not value:
        return "must map region codes (e.g. CA) to their wordings, e.g. {CA: {en: '...', zh: '...'}}"
    for region, texts in value.items():
        if not isinstance(region, str) or region != region_code(region) or not region:
            return f"region {region!r} must be written as its code (e.g. CA, not California)"
        if not isinstance(texts, dict) or not isinstance(texts.get("en"), str) or not texts["en"].strip():
            return f"region {region}: needs an English wording under 'en'"
        if any(lang not in ("en", "zh") or not isinstance(t, str) or not t.strip() for lang, t in texts.items()):
            return f"region {region}: wordings are non-empty texts under 'en' and 'zh'"
    return None


# kind -> {param: check}; every listed parameter is required, none other is allowed.
KINDS: dict[str, dict[str, Check]] = {
    "do_not_contact": {},
    "invalid_point": {},
    "stop_medium": {},
    "holds": {"holds": _subset_of(HOLDS), "debtor_only_holds": _subset_of(HOLDS)},
    "breathing_space": {"days": _int_at_least(1)},
    "third_party": {
        "unreachable_after_failed_attempts": _int_at_least(1),
        "guarantor_is_party": _boolean,
        "allowed_when": _subset_of(THIRD_PARTY_GROUNDS),
        "once_per_person": _boolean,
    },
    "case_closed": {},
    "channel_fits_point": {"fits": _channel_kinds},
    "collector_training": {"months": _int_at_least(1), "channels": _subset_of(CHANNELS)},
    "outsourced_private_means": {},
    "validation_dispute": {},
    "time_barred_suit": {},
    "time_barred_disclosure": {"channels": _subset_of(CHANNELS), "disclosures": _disclosures},
    "visit_collectors": {"min": _int_at_least(1)},
    "quiet_hours": {
        "start": _hhmm,
        "end": _hhmm,
        "consent_allows": _boolean,
        "channels": _subset_of(CHANNELS),
    },
    "point_daily_attempts": {
        "limit": _int_at_least(1),
        "count": _one_of(("all", "unanswered")),
        "channels": _subset_of(CHANNELS),
    },
    "debtor_daily_conversations": {"limit": _int_at_least(1), "channels": _subset_of(CHANNELS)},
    "rolling_attempts_per_debt": {
        "limit": _int_at_least(1),
        "days": _int_at_least(1),
        "channels": _subset_of(CHANNELS),
    },
    "after_conversation_quiet": {"days": _int_at_least(1), "channels": _subset_of(CHANNELS)},
    "automated_holiday": {"channels": _subset_of(CHANNELS)},
}
# Placeholders a rule's function fills in when it objects (besides the rule's own parameters).
EXTRA_PLACEHOLDERS = ("active", "channel_zh", "channel_en", "kind_zh", "kind_en", "trained_on", "region")
_RULE_FIELDS = {"id", "kind", "severity", "params", "source", "reason_zh", "reason_en"}
_PACK_FIELDS = {"pack", "title_zh", "title_en", "default_timezone", "holiday_calendar", "rules"}


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    kind: str
    severity: str
    params: Mapping[str, Any]
    source: str
    reason_zh: str
    reason_en: str

    def texts(self, **extra: object) -> tuple[str, str]:
        """The reason in Chinese and English; an extra given as a (zh, en) pair fills each in its language."""
        zh = {**self.params, **{k: v[0] if isinstance(v, tuple) else v for k, v in extra.items()}}
        en = {**self.params, **{k: v[1] if isinstance(v, tuple) else v for k, v in extra.items()}}
        return self.reason_zh.format(**zh), self.reason_en.format(**en)


@dataclass(frozen=True, slots=True)
class Pack:
    name: str
    title_zh: str
    title_en: str
    default_timezone: str
    holiday_calendar: str
    rules: tuple[Rule, ...]
    origin: str = field(default="", compare=False)
    # The installation's official days for ``holiday_calendar`` (the holidays app loads them); None: the
    # library's calendar alone.
    holiday_table: HolidayTable | None = field(default=None, compare=False)

    @property
    def calendar(self) -> Calendar:
        """What the holiday rules read: the official table when the installation has one, else the library."""
        return self.holiday_table if self.holiday_table is not None else self.holiday_calendar

    def of_kind(self, kind: str) -> tuple[Rule, ...]:
        return tuple(rule for rule in self.rules if rule.kind == kind)

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)


def _rule_from(raw: object, origin: str, index: int) -> Rule:
    if not isinstance(raw, dict):
        raise PackError(f"{origin}: rule #{index + 1}: must be a mapping")
    rid = raw.get("id")
    where = f"{origin}: rule {rid!r}" if isinstance(rid, str) and rid else f"{origin}: rule #{index + 1}"
    missing = _RULE_FIELDS - raw.keys()
    unknown = raw.keys() - _RULE_FIELDS
    if missing:
        raise PackError(f"{where}: missing {', '.join(sorted(missing))}")
    if unknown:
        raise PackError(f"{where}: unknown field(s) {', '.join(sorted(map(str, unknown)))}")
    for text_field in ("id", "source", "reason_zh", "reason_en"):
        if not isinstance(raw[text_field], str) or not raw[text_field].strip():
            raise PackError(f"{where}: {text_field} must be non-empty text")
    kind = raw["kind"]
    if kind not in KINDS:
        raise PackError(f"{where}: unknown kind {kind!r}; known: {', '.join(sorted(KINDS))}")
    if raw["severity"] not in SEVERITIES:
        raise PackError(f"{where}: severity must be block or warn, not {raw['severity']!r}")
    params = raw["params"] or {}
    if not isinstance(params, dict):
        raise PackError(f"{where}: params must be a mapping")
    schema = KINDS[kind]
    for name in schema.keys() - params.keys():
        raise PackError(f"{where}: parameter {name!r} is required for kind {kind}")
    for name in params.keys() - schema.keys():
        raise PackError(f"{where}: parameter {name!r} is not known for kind {kind}")
    for name, check in schema.items():
        problem = check(params[name])
        if problem:
            raise PackError(f"{where}: parameter {name!r} {problem} (got {params[name]!r})")
    rule = Rule(
        id=raw["id"],
        kind=kind,
        severity=raw["severity"],
        params=MappingProxyType(dict(params)),
        source=raw["source"],
        reason_zh=raw["reason_zh"],
        reason_en=raw["reason_en"],
    )
    try:
        rule.texts(**dict.fromkeys(EXTRA_PLACEHOLDERS, "x"))
    except (KeyError, IndexError, ValueError) as exc:
        raise PackError(f"{where}: reason text refers to an unknown placeholder {exc}") from exc
    return rule


def pack_from_mapping(raw: object, origin: str) -> Pack:
    """Validate a parsed pack; ``origin`` (usually the file path) prefixes every error."""
    if not isinstance(raw, dict):
        raise PackError(f"{origin}: a pack must be a mapping")
    missing = _PACK_FIELDS - raw.keys()
    if missing:
        raise PackError(f"{origin}: missing {', '.join(sorted(missing))}")
    unknown = raw.keys() - _PACK_FIELDS
    if unknown:
        raise PackError(f"{origin}: unknown field(s) {', '.join(sorted(map(str, unknown)))}")
    if raw["holiday_calendar"] not in CALENDARS:
        raise PackError(f"{origin}: holiday_calendar must be one of {', '.join(CALENDARS)}")
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(str(raw["default_timezone"]))
    except Exception as exc:
        raise PackError(f"{origin}: default_timezone {raw['default_timezone']!r} is not an IANA zone") from exc
    if not isinstance(raw["rules"], list) or not raw["rules"]:
        raise PackError(f"{origin}: rules must be a non-empty list")
    rules = tuple(_rule_from(item, origin, i) for i, item in enumerate(raw["rules"]))
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise PackError(f"{origin}: rule {rule.id!r}: duplicate id")
        seen.add(rule.id)
    return Pack(
        name=str(raw["pack"]),
        title_zh=str(raw["title_zh"]),
        title_en=str(raw["title_en"]),
        default_timezone=str(raw["default_timezone"]),
        holiday_calendar=str(raw["holiday_calendar"]),
        rules=rules,
        origin=origin,
    )


def load_pack_file(path: Path) -> Pack:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise PackError(f"{path}: not valid YAML: {exc}") from exc
    return pack_from_mapping(raw, str(path))


@lru_cache(maxsize=16)
def _builtin(name: str) -> Pack:
    path = PACK_DIR / f"{name}.yaml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in PACK_DIR.glob("*.yaml")))
        raise PackError(f"no rule pack {name!r}; known: {known}")
    return load_pack_file(path)


def load_pack(name: str = "cn", overrides: Mapping[str, Mapping[str, Any]] | None = None) -> Pack:
    """A built-in pack ('cn', 'us', 'uk'), optionally with per-rule overrides from settings.

    ``overrides`` maps a rule id to {"severity": ..., "params": {...}} (params are merged); the result is
    validated like a file, so a bad override fails with the rule's name.
    """
    pack = _builtin(name)
    if not overrides:
        return pack
    ids = {rule.id for rule in pack.rules}
    for rule_id in overrides:
        if rule_id not in ids:
            raise PackError(f"{pack.origin} (overrides): rule {rule_id!r}: no such rule")
    raw_rules = []
    for rule in pack.rules:
        change = overrides.get(rule.id, {})
        raw_rules.append(
            {
                "id": rule.id,
                "kind": rule.kind,
                "severity": change.get("severity", rule.severity),
                "params": {**rule.params, **dict(change.get("params", {}))},
                "source": rule.source,
                "reason_zh": rule.reason_zh,
                "reason_en": rule.reason_en,
            }
        )
    raw = {
        "pack": pack.name,
        "title_zh": pack.title_zh,
        "title_en": pack.title_en,
        "default_timezone": pack.default_timezone,
        "holiday_calendar": pack.holiday_calendar,
        "rules": raw_rules,
    }
    return pack_from_mapping(raw, f"{pack.origin} (overrides)")


def available_packs() -> tuple[str, ...]:
    return tuple(sorted(p.stem for p in PACK_DIR.glob("*.yaml")))
