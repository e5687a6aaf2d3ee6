"""The debrief of a practice call: the conversation scorecard, the outcome and turn-by-turn notes.

The practice call is scored by the same engine QA uses on real calls (``kernel.qa.scorecard.score``) with
the simulated case's figures, so a trainee learns the marks a real call gets. On top of the score:

- the outcome: an agreement within the persona's capacity; an ``unrealistic_agreement`` (the persona said
  yes to more a month than it can pay: the debrief calls it the broken promise it would become); no
  agreement; the persona hung up; or ``failed_compliance`` (any blocking flag from the screener, or any
  word about the debt to a third party), which fails the run whatever the score;
- per turn: what worked, what broke a rule (with the phrase), what was missed, and the compliant sentence
  from the playbook (kernel/scripts/default.yaml) or the scenario's coach that would have served, filled
  with the case's figures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from huikuan.kernel.qa.scorecard import CaseFigures, ScoreResult, load_scorecard, score, total
from huikuan.kernel.qa.transcript import Transcript, Turn
from huikuan.kernel.training.engine import (
    RunState,
    TurnRecord,
    fitting_plan,
    plan_sentence,
    play,
    playbook_sentences,
    playbook_values,
    read_back_sentence,
    start,
    suggestions,
    yuan,
)
from huikuan.kernel.training.moves import Violation
from huikuan.kernel.training.scenario import Scenario

OUTCOMES = (
    "agreement",
    "unrealistic_agreement",
    "no_agreement",
    "hung_up",
    "failed_compliance",
    "callback_arranged",
    "closed_correctly",
)
# What a note may say, zh/en, for the debrief page (the app renders these; codes are stable).
NOTE_LABELS: dict[str, dict[str, str]] = {
    "identity_checked": {"zh": "先核实了身份", "en": "Identity checked first"},
    "figures_exact": {"zh": "金额和逾期天数准确", "en": "Amount and days overdue exact"},
    "figures_wrong": {"zh": "金额或逾期天数与案件不符", "en": "Amount or days overdue not as on the case"},
    "figures_missing": {
        "zh": "说明欠款时没有说出金额和逾期天数",
        "en": "The debt stated without the amount and days overdue",
    },
    "debt_before_identity": {"zh": "未核实身份就说明欠款", "en": "Debt stated before identity was confirmed"},
    "empathy_shown": {"zh": "表达了共情", "en": "Empathy shown"},
    "reason_asked": {"zh": "询问了原因", "en": "Asked the reason"},
    "capacity_asked": {"zh": "询问了还款能力", "en": "Asked what they can pay"},
    "plan_within_capacity": {"zh": "方案在对方能力范围内", "en": "Plan within what they can pay"},
    "plan_above_capacity": {
        "zh": "方案超出对方能力：承诺将会落空",
        "en": "Plan above what they can pay: a broken promise",
    },
    "plan_too_early": {"zh": "时机未到就提方案", "en": "Plan offered before the persona was ready"},
    "plan_without_figures": {"zh": "方案没有具体金额和期数", "en": "Plan without figures"},
    "read_back": {"zh": "复述确认了约定", "en": "Agreement read back"},
    "read_back_without_figures": {
        "zh": "确认时没有复述金额、期数和日期",
        "en": "Confirmed without restating the amount, count and date",
    },
    "closed_politely": {"zh": "礼貌结束通话", "en": "Closed politely"},
    "callback_requested": {"zh": "只请对方转告回电", "en": "Only asked for a call-back"},
    "apologised": {"zh": "致歉", "en": "Apologised"},
    "bill_explained": {"zh": "核对了账单明细", "en": "Went through the bill"},
    "reference_asked": {"zh": "请求了还款凭证", "en": "Asked for the payment reference"},
    "verify_offered": {"zh": "提供了官方核实渠道", "en": "Offered an official way to verify"},
    "repeated_slowly": {"zh": "放慢语速重复", "en": "Slowed down and repeated"},
    "date_asked": {"zh": "问了具体日期", "en": "Asked for an exact date"},
    "pressure": {"zh": "施压", "en": "Pressure"},
    "not_understood": {"zh": "对方没听懂这句话的用意", "en": "The persona could not tell what you meant"},
    "too_long": {"zh": "一句话说得太长，对方跟不上", "en": "Too much in one turn for this listener"},
    "hung_up": {"zh": "对方挂断了电话", "en": "The persona hung up"},
    "broken_promise": {
        "zh": "承诺将会落空：每期金额超出对方每月能力",
        "en": "Broken promise: the instalment is above what they can pay a month",
    },
}
OUTCOME_LABELS: dict[str, dict[str, str]] = {
    "agreement": {"zh": "达成可行的还款约定", "en": "A realistic agreement"},
    "unrealistic_agreement": {
        "zh": "约定超出对方能力（承诺将会落空）",
        "en": "An unrealistic agreement (a broken promise)",
    },
    "no_agreement": {"zh": "未达成约定", "en": "No agreement"},
    "hung_up": {"zh": "对方挂断", "en": "The persona hung up"},
    "failed_compliance": {"zh": "违规，未通过", "en": "Failed on compliance"},
    "callback_arranged": {"zh": "未透露信息，请第三方转告回电", "en": "Call-back requested, nothing disclosed"},
    "closed_correctly": {"zh": "致歉并结束通话", "en": "Apologised and ended the call"},
}
_WORKED = {
    "empathy": "empathy_shown",
    "ask_reason": "reason_asked",
    "ask_capacity": "capacity_asked",
    "callback_request": "callback_requested",
    "apologise": "apologised",
    "explain_bill": "bill_explained",
    "payment_reference": "reference_asked",
    "verify_channel": "verify_offered",
    "repeat": "repeated_slowly",
    "promise_request": "date_asked",
}
_EN_AMOUNT = re.compile(
    r"[¥￥]\s?([0-9][0-9,]*(?:\.[0-9]{1,2})?)|([0-9][0-9,]*(?:\.[0-9]{1,2})?)\s?(?:yuan|rmb|cny)\b", re.I
)


@dataclass(frozen=True, slots=True)
class TurnNote:
    index: int
    text: str
    reply: str
    moves: tuple[str, ...]
    worked: tuple[str, ...]  # NOTE_LABELS codes
    broke: tuple[Violation, ...]  # rules broken, with the phrase
    missed: tuple[str, ...]  # NOTE_LABELS codes
    better: str  # the compliant sentence that would have served ("" when the turn was fine)

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "text": self.text,
            "reply": self.reply,
            "moves": list(self.moves),
            "worked": list(self.worked),
            "broke": [v.to_dict() for v in self.broke],
            "missed": list(self.missed),
            "better": self.better,
        }


@dataclass(frozen=True, slots=True)
class Debrief:
    passed: bool
    total: Decimal
    score: ScoreResult  # the kernel.qa scorecard result (items with evidence turns)
    outcome: str
    notes: tuple[TurnNote, ...]
    broken_promise: bool
    pass_mark: Decimal
    capacity: Decimal  # the persona's hidden monthly capacity, revealed in the debrief
    transcript: Transcript

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "total": str(self.total),
            "outcome": self.outcome,
            "broken_promise": self.broken_promise,
            "pass_mark": str(self.pass_mark),
            "capacity": str(self.capacity),
            "items": [item.as_dict() for item in self.score.items],
            "scorecard_version": self.score.version,
            "notes": [note.to_dict() for note in self.notes],
        }


def transcript(state: RunState) -> Transcript:
    """The practice call as a kernel.qa transcript: the trainee is the agent, the persona the other side."""
    other = "debtor" if state.answerer == "debtor" else "third_party"
    turns: list[Turn] = [Turn(0, other, state.opening or "…")]
    for record in state.turns:
        if record.text:
            turns.append(Turn(len(turns), "agent", record.text))
        turns.append(Turn(len(turns), other, record.reply or "…"))
    return Transcript(turns=tuple(turns), language=state.language, audience=state.audience)


def _for_scoring(t: Transcript) -> Transcript:
    """The scorecard's English cues read an amount as "$N"; the simulator's English says "N yuan"."""
    if t.language != "en":
        return t

    def dollars(m: re.Match[str]) -> str:
        return f"${m.group(1) or m.group(2)}"

    turns = tuple(
        Turn(turn.index, turn.speaker, _EN_AMOUNT.sub(dollars, turn.text), turn.start, turn.end) for turn in t.turns
    )
    return Transcript(turns=turns, language=t.language, audience=t.audience)


def outcome(scenario: Scenario, state: RunState) -> str:
    if state.violations:
        return "failed_compliance"
    if scenario.ending == "agreement":
        if state.agreement is not None:
            return "agreement" if state.agreement.within_capacity else "unrealistic_agreement"
        return "hung_up" if state.end_reason == "hung_up" else "no_agreement"
    if state.end_reason == scenario.ending:
        return scenario.ending
    return "hung_up" if state.end_reason == "hung_up" else "no_agreement"


def _identity_line(scenario: Scenario, state: RunState, lang: str) -> str:
    name = state.facts.name(lang)
    if lang == "en":
        return f"Hello, this is Alex from Huikuan. Am I speaking with {name}?"
    return f"您好，我是回款公司的客服专员小李，请问是{name}{'的财务负责人' if state.facts.company else '本人'}吗？"


def _debt_line(state: RunState, lang: str) -> str:
    f = state.facts
    if lang == "en":
        return f"The account has an outstanding balance of {yuan(f.balance)} yuan, {f.dpd} days overdue."
    return f"您在我司的账户目前欠款共计{yuan(f.balance)}元，已逾期{f.dpd}天。"


def _coach(scenario: Scenario, state: RunState, move: str, lang: str) -> str:
    sentence = scenario.coach.get(move, {}).get(lang, "")
    if not sentence:
        return ""
    try:
        return sentence.format_map(playbook_values(scenario, state, lang))
    except (KeyError, ValueError, IndexError, AttributeError):
        return sentence


def _note(scenario: Scenario, state: RunState, record: TurnRecord, seen_before: set[str], model: str) -> TurnNote:
    lang = state.language
    moves = set(record.moves)
    worked: list[str] = []
    missed: list[str] = []
    better = ""
    if "identity_check" in moves and "identity_check" not in seen_before:
        worked.append("identity_checked")
    if "state_debt" in moves and state.answerer == "debtor":
        if "identity_check" not in seen_before and "identity_check" not in moves:
            missed.append("debt_before_identity")
            better = _identity_line(scenario, state, lang)
        f = state.facts
        wrong = (record.amounts and f.balance not in record.amounts) or (record.dpd not in (None, f.dpd))
        if wrong:
            missed.append("figures_wrong")
            better = better or _debt_line(state, lang)
        elif not record.amounts and record.dpd is None:
            missed.append("figures_missing")
            better = better or _debt_line(state, lang)
        elif f.balance in record.amounts and record.dpd == f.dpd:
            worked.append("figures_exact")
    worked.extend(code for move, code in _WORKED.items() if move in moves)
    if record.situation in ("plan_accepted", "plan_reluctant") and record.offer is not None:
        if record.situation == "plan_accepted":
            worked.append("plan_within_capacity")
        else:
            missed.append("plan_above_capacity")
            better = plan_sentence(state, lang, fitting_plan(_told(state), lang))
    elif record.situation == "plan_refused":
        missed.append("plan_too_early")
        unmet = [m for m in scenario.needs.moves if m not in seen_before and m not in moves]
        better = _coach(scenario, state, unmet[0], lang) if unmet else ""
        better = better or next(iter(playbook_sentences(scenario, state, lang)), "")
    elif record.situation == "plan_vague":
        missed.append("plan_without_figures")
        better = plan_sentence(state, lang, fitting_plan(_told(state), lang))
    if "read_back" in moves and record.situation in ("confirmed", "goodbye"):
        if record.offer is not None:
            worked.append("read_back")
        else:
            missed.append("read_back_without_figures")
            better = better or read_back_sentence(state, lang)
    if "close" in moves and not record.violations:
        worked.append("closed_politely")
    if "pressure" in moves:
        missed.append("pressure")
        better = (
            better
            or _coach(scenario, state, "empathy", lang)
            or next(iter(playbook_sentences(scenario, state, lang, "emotional")), "")
        )
    if record.situation == "confused" and not record.violations:
        missed.append("not_understood")
    if record.situation == "too_long":
        missed.append("too_long")
    if record.end_reason == "hung_up":
        missed.append("hung_up")
    if record.violations:
        codes = {v.code for v in record.violations}
        if "disclosure" in codes:
            better = next(iter(playbook_sentences(scenario, state, lang, "third_party")), "")
        else:
            better = (
                _coach(scenario, state, "empathy", lang)
                or next(iter(playbook_sentences(scenario, state, lang)), "")
                or next(iter(playbook_sentences(scenario, state, lang, "emotional")), "")
            )
    if state.answerer != "debtor" and (missed or record.violations):
        # With a third party or a stranger on the line, the only right words are the call-back request or
        # the apology: never a debtor's line, which would disclose the debt to them.
        key = "third_party" if state.answerer == "third_party" else "wrong_number"
        better = next(iter(playbook_sentences(scenario, state, lang, key)), "") or model
    if not better and (missed or record.violations):
        better = model
    return TurnNote(
        index=record.index,
        text=record.text,
        reply=record.reply,
        moves=record.moves,
        worked=tuple(dict.fromkeys(worked)),
        broke=record.violations,
        missed=tuple(dict.fromkeys(missed)),
        better=better,
    )


def _told(state: RunState) -> RunState:
    # In the debrief the persona's capacity is no secret: the better plan is one it could really pay.
    return replace(state, capacity_told=True)


def _held_to_violations(result: ScoreResult, state: RunState) -> ScoreResult:
    """The simulator fails a run on more than the screener's words (any word of the debt to a third party,
    its own threat cues): the scorecard's screening item says so too, and the cap applies."""
    clean = result.item("screening_clean")
    if not state.violations or clean.passed is False:
        return result
    first = next(turn for turn in state.turns if turn.violations)
    agent_turns = [turn for turn in transcript(state).turns if turn.speaker == "agent"]
    said = sum(1 for turn in state.turns if turn.text and turn.index <= first.index)
    evidence = agent_turns[said - 1].index if 0 < said <= len(agent_turns) else None
    failed = replace(clean, passed=False, evidence_turn=evidence, note=f"flagged_{first.violations[0].code}")
    items = tuple(failed if item.id == "screening_clean" else item for item in result.items)
    return replace(result, items=items, total=total(load_scorecard(result.version), items))


def _model_lines(scenario: Scenario, state: RunState) -> list[str]:
    """For each turn, the model line the simulator would have suggested there: the run is replayed from its
    seed (deterministic), so the state before each turn is known. Empty when the scenario has changed
    since the run (its case no longer draws the same), rather than advice for another case."""
    current = start(scenario, state.seed, state.language)
    if current.facts != state.facts:
        return []
    lines = []
    for record in state.turns:
        options = suggestions(scenario, current)
        lines.append(options[0] if options else "")
        current = play(scenario, current, record.text)
    return lines


def debrief(scenario: Scenario, state: RunState) -> Debrief:
    """Score the run with the conversation scorecard and explain it turn by turn."""
    t = transcript(state)
    figures = CaseFigures(amount=state.facts.balance, dpd=state.facts.dpd)
    result = _held_to_violations(score(_for_scoring(t), figures), state)
    code = outcome(scenario, state)
    notes = []
    seen: set[str] = set()
    models = _model_lines(scenario, state)
    for record in state.turns:
        model = models[record.index - 1] if record.index <= len(models) else ""
        notes.append(_note(scenario, state, record, seen, model))
        seen.update(record.moves)
    broken = state.agreement is not None and not state.agreement.within_capacity
    passed = code == scenario.ending and result.total >= scenario.pass_mark and not state.violations
    return Debrief(
        passed=passed,
        total=result.total,
        score=result,
        outcome=code,
        notes=tuple(notes),
        broken_promise=broken,
        pass_mark=scenario.pass_mark,
        capacity=state.hidden.capacity,
        transcript=t,
    )
