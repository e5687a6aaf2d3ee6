"""The play page and the debrief as the templates read them, from the engine's state and debrief.

A thin adapter: the engine's records carry both languages and codes; this picks the page's language and
turns codes into labels, and never decides anything the engine decides.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from huikuan.compliance.labels import FLAG_CATEGORIES
from huikuan.kernel.qa.scorecard import load_scorecard
from huikuan.kernel.training import NOTE_LABELS, RunState, debrief, suggestions
from huikuan.training.actions import run_state, scenario_of
from huikuan.training.models import OUTCOME_LABELS, TrainingRun


@dataclass
class Line:
    speaker: str  # trainee / persona
    text: str


@dataclass
class PlayView:
    title: str
    lines: list[Line]
    facts: list[tuple[str, str]]
    history: list[str]
    suggestions: list[str]
    ended: bool


@dataclass
class TurnNote:
    said: str
    reply: str
    worked: list[str] = field(default_factory=list)
    broke: list[str] = field(default_factory=list)
    better: str = ""


@dataclass
class ItemRow:
    id: str
    title: str
    passed: bool | None
    note: str


@dataclass
class DebriefView:
    title: str
    outcome: str
    summary: str
    items: list[ItemRow]
    turns: list[TurnNote]


def _lang(run: TrainingRun) -> str:
    return "en" if run.language == "en" else "zh"


def _pick(value: Any, lang: str) -> str:
    if isinstance(value, dict):
        return str(value.get(lang) or value.get("zh") or next(iter(value.values()), ""))
    return "" if value is None else str(value)


def _money(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def outcome_label(code: str) -> str:
    return str(OUTCOME_LABELS.get(code, code))


def facts_rows(state: RunState, lang: str) -> tuple[list[tuple[str, str]], list[str]]:
    f = state.facts
    rows = [
        (_("Debtor"), f.name(lang)),
        (_("Product"), _pick(f.product, lang)),
        (_("Owed now"), _money(f.balance)),
        (_("Overdue instalments"), _money(f.overdue_amount)),
        (_("Monthly instalment"), _money(f.monthly_instalment)),
        (_("Days past due"), str(f.dpd)),
        (_("Due day"), str(f.due_day)),
        (_("Phone"), f"****{f.phone_tail}"),
        (
            _("Last payment"),
            _("%(amount)s, %(days)s days ago")
            % {"amount": _money(f.last_payment_amount), "days": f.last_payment_days_ago},
        ),
    ]
    return rows, [_pick(line, lang) for line in f.history]


def play_view(run: TrainingRun) -> PlayView:
    scenario = scenario_of(run.scenario)
    state = run_state(run)
    lang = _lang(run)
    lines: list[Line] = []
    if state.opening:
        lines.append(Line("persona", state.opening))
    for turn in state.turns:
        lines.append(Line("trainee", turn.text))
        if turn.reply:
            lines.append(Line("persona", turn.reply))
    facts, history = facts_rows(state, lang)
    return PlayView(
        title=_pick(scenario.title, lang),
        lines=lines,
        facts=facts,
        history=history,
        suggestions=[] if state.ended else list(suggestions(scenario, state, lang))[:4],
        ended=state.ended,
    )


def _page_lang() -> str:
    return "en" if (get_language() or "").startswith("en") else "zh"


def debrief_view(run: TrainingRun) -> DebriefView:
    """The engine's debrief: labels in the page's language, the dialogue and sentences in the run's."""
    scenario = scenario_of(run.scenario)
    state = run_state(run)
    lang = _page_lang()
    result = debrief(scenario, state)
    card = load_scorecard(result.score.version)
    items = []
    for item in result.score.items:
        spec = card.item(item.id)
        title = spec.title_en if lang == "en" else spec.title_zh
        evidence = _("turn %(n)s") % {"n": item.evidence_turn} if item.evidence_turn is not None else ""
        items.append(ItemRow(item.id, title, item.passed, evidence))
    turns = []
    for note in result.notes:
        broke = [f"{FLAG_CATEGORIES.get(v.code, v.code)}: “{v.phrase}”" for v in note.broke]
        broke += [_label(code, lang) for code in note.missed if code in BROKE_NOTES]
        turns.append(
            TurnNote(
                said=note.text,
                reply=note.reply,
                worked=[_label(code, lang) for code in note.worked],
                broke=broke,
                better=note.better,
            )
        )
    summary = []
    if result.broken_promise:
        summary.append(_label("broken_promise", lang))
    summary.append(
        _("The debtor could pay at most %(amount)s a month; the scenario's own pass mark is %(mark)s.")
        % {"amount": _money(result.capacity), "mark": result.pass_mark}
    )
    return DebriefView(
        title=_pick(scenario.title, lang),
        outcome=outcome_label(result.outcome),
        summary=" ".join(summary),
        items=items,
        turns=turns,
    )


# Notes the engine files under "missed" that are mistakes rather than things left out.
BROKE_NOTES = frozenset({"figures_wrong", "debt_before_identity", "plan_above_capacity", "pressure", "hung_up"})


def _label(code: str, lang: str) -> str:
    return NOTE_LABELS.get(code, {}).get(lang, code)
