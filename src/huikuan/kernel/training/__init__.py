"""The training simulator's engine (场景化培训): scenarios as data, a rule-driven persona, the debrief.

Pure: no Django, no network model. ``start`` a run of a ``Scenario`` for a seed, ``play`` one trainee turn
at a time (each returns a new immutable ``RunState``, JSON-able with ``to_dict``/``from_dict``), offer
``suggestions``, and ``debrief`` the run with the conversation scorecard (kernel.qa). See docs/training.md.
"""

from huikuan.kernel.training.debrief import (
    NOTE_LABELS,
    OUTCOME_LABELS,
    OUTCOMES,
    Debrief,
    TurnNote,
    debrief,
    outcome,
    transcript,
)
from huikuan.kernel.training.engine import (
    LANGUAGES,
    MAX_TURNS,
    Agreement,
    Hidden,
    RunState,
    TurnRecord,
    end_call,
    play,
    start,
    suggestions,
)
from huikuan.kernel.training.moves import Offer, Recognition, Violation, move_label, move_specs, recognise
from huikuan.kernel.training.scenario import (
    ANSWERERS,
    ENDINGS,
    MOVE_CODES,
    SITUATIONS,
    CaseFacts,
    FactsSpec,
    Needs,
    Persona,
    Reply,
    Rule,
    Scenario,
    default_scenarios,
    default_yaml,
    dump,
    parse_scenarios,
    scenario_by_key,
    scenario_dict,
    scenario_yaml,
)

MOVES = MOVE_CODES

__all__ = [
    "ANSWERERS",
    "ENDINGS",
    "LANGUAGES",
    "MAX_TURNS",
    "MOVES",
    "MOVE_CODES",
    "NOTE_LABELS",
    "OUTCOMES",
    "OUTCOME_LABELS",
    "SITUATIONS",
    "Agreement",
    "CaseFacts",
    "Debrief",
    "FactsSpec",
    "Hidden",
    "Needs",
    "Offer",
    "Persona",
    "Recognition",
    "Reply",
    "Rule",
    "RunState",
    "Scenario",
    "TurnNote",
    "TurnRecord",
    "Violation",
    "debrief",
    "default_scenarios",
    "default_yaml",
    "dump",
    "end_call",
    "move_label",
    "move_specs",
    "outcome",
    "parse_scenarios",
    "play",
    "recognise",
    "scenario_by_key",
    "scenario_dict",
    "scenario_yaml",
    "start",
    "suggestions",
    "transcript",
]
