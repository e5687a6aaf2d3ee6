"""Guided call scripts and the objection playbook: a YAML library, composition from case facts, matching."""

from huikuan.kernel.scripts.compose import DEFAULT_TONES, Agreement, Script, ScriptFacts, ScriptStep, compose, values
from huikuan.kernel.scripts.library import (
    ACTIONS,
    OBJECTION_KEYS,
    STEP_KEYS,
    Library,
    LibraryError,
    ObjectionSpec,
    default_library,
    load_library,
    parse_library,
)
from huikuan.kernel.scripts.objections import Match, ObjectionCard, card, match_objections

__all__ = [
    "ACTIONS",
    "DEFAULT_TONES",
    "OBJECTION_KEYS",
    "STEP_KEYS",
    "Agreement",
    "Library",
    "LibraryError",
    "Match",
    "ObjectionCard",
    "ObjectionSpec",
    "Script",
    "ScriptFacts",
    "ScriptStep",
    "card",
    "compose",
    "default_library",
    "load_library",
    "match_objections",
    "parse_library",
    "values",
]
