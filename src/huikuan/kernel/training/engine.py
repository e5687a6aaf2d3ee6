"""The dialogue engine: one trainee turn in, the persona's state moved by the scenario's rules, a reply out.

``start`` draws the case for the seed and gives the persona's first line; ``play`` takes one typed turn and
returns a new ``RunState`` (states are immutable values, so the app stores each as JSON and a replay of the
same seed and inputs gives the same transcript). The reply is a variant of the situation's bank chosen by
(seed, turn, situation), so two runs do not read the same but one run always does.

How a turn is read (``_situation``): the call is with the debtor, a third party or a stranger (the
scenario's ``answerer``). With a third party anything about the debt is a disclosure that fails the run;
the right ending is a call-back request and a polite close. With a stranger, an apology and a close. With
the debtor the persona follows the four steps: who is calling (identity), what is owed (the objection), why
(the reason), what can be paid (capacity), the plan (accepted when ``needs`` are met; above the persona's
capacity it may still say yes, which the debrief calls a broken promise), the read-back and the close.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, replace
from decimal import ROUND_UP, Decimal
from typing import Any

from huikuan.kernel.qa.scorecard import load_scorecard
from huikuan.kernel.scripts.library import Library, default_library
from huikuan.kernel.scripts.objections import card
from huikuan.kernel.training.moves import MAX_TEXT, Offer, Violation, plan_total, recognise
from huikuan.kernel.training.scenario import STATE_MAX, STATE_MIN, CaseFacts, Scenario

LANGUAGES = ("zh", "en")
MAX_TURNS = 60  # a practice call longer than this ends: the trainee is going round in circles
FEN = Decimal("0.01")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Agreement:
    """The plan the persona said yes to (each instalment, how many, the first day of the month)."""

    instalment: Decimal
    instalments: int
    first_day: int | None
    total: Decimal
    within_capacity: bool  # False: the persona said yes to what it cannot pay (a broken promise to come)
    read_back: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "instalment": str(self.instalment),
            "instalments": self.instalments,
            "first_day": self.first_day,
            "total": str(self.total),
            "within_capacity": self.within_capacity,
            "read_back": self.read_back,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Agreement:
        return cls(
            instalment=Decimal(d["instalment"]),
            instalments=int(d["instalments"]),
            first_day=d.get("first_day"),
            total=Decimal(d["total"]),
            within_capacity=bool(d["within_capacity"]),
            read_back=bool(d.get("read_back", False)),
        )


@dataclass(frozen=True, slots=True)
class Hidden:
    """The persona's hidden state: what the trainee has to read from the replies."""

    mood: int
    trust: int
    willingness: int
    patience: int  # turns left before it hangs up without a plan (for a persona with patience at all)
    capacity: Decimal  # monthly yuan it can really pay

    def to_dict(self) -> dict[str, Any]:
        return {
            "mood": self.mood,
            "trust": self.trust,
            "willingness": self.willingness,
            "patience": self.patience,
            "capacity": str(self.capacity),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Hidden:
        return cls(int(d["mood"]), int(d["trust"]), int(d["willingness"]), int(d["patience"]), Decimal(d["capacity"]))


@dataclass(frozen=True, slots=True)
class TurnRecord:
    """One trainee turn and the persona's answer, with what the engine read in it."""

    index: int  # 1-based trainee turn
    text: str  # what the trainee typed
    moves: tuple[str, ...]
    offer: Offer | None
    reply: str  # the persona's answer
    situation: str  # which reply bank answered
    deltas: tuple[tuple[str, int], ...]  # hidden-state changes this turn
    violations: tuple[Violation, ...]
    ended: bool
    end_reason: str | None
    amounts: tuple[Decimal, ...] = ()
    dpd: int | None = None
    # The persona's mood and trust after this turn, so the debrief can draw how the call felt to it.
    mood: int = 0
    trust: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "text": self.text,
            "moves": list(self.moves),
            "offer": self.offer.to_dict() if self.offer else None,
            "reply": self.reply,
            "situation": self.situation,
            "deltas": [[k, v] for k, v in self.deltas],
            "violations": [v.to_dict() for v in self.violations],
            "ended": self.ended,
            "end_reason": self.end_reason,
            "amounts": [str(a) for a in self.amounts],
            "dpd": self.dpd,
            "mood": self.mood,
            "trust": self.trust,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TurnRecord:
        return cls(
            index=int(d["index"]),
            text=str(d["text"]),
            moves=tuple(d["moves"]),
            offer=Offer.from_dict(d["offer"]) if d.get("offer") else None,
            reply=str(d["reply"]),
            situation=str(d["situation"]),
            deltas=tuple((str(k), int(v)) for k, v in d["deltas"]),
            violations=tuple(Violation.from_dict(v) for v in d["violations"]),
            ended=bool(d["ended"]),
            end_reason=d.get("end_reason"),
            amounts=tuple(Decimal(a) for a in d.get("amounts", ())),
            dpd=d.get("dpd"),
            mood=int(d.get("mood", 0)),
            trust=int(d.get("trust", 0)),
        )


@dataclass(frozen=True, slots=True)
class RunState:
    """One practice call so far: an immutable value (``play`` returns a new one), stored by the app as
    ``to_dict()`` JSON. The case and the persona's hidden state travel with it, so a stored run keeps its
    figures even if the scenario's YAML is edited later."""

    scenario_key: str
    scenario_version: int
    seed: int
    language: str
    facts: CaseFacts
    hidden: Hidden
    opening: str  # the persona's first line
    turns: tuple[TurnRecord, ...] = ()
    seen: tuple[str, ...] = ()  # every move made so far, in first-made order
    ended: bool = False
    end_reason: str | None = None
    agreement: Agreement | None = None
    capacity_told: bool = False  # the persona has said what it can pay a month
    # Who is on the line, kept in the state so a stored run replays even if the scenario's YAML changes.
    answerer: str = "debtor"

    @property
    def violations(self) -> tuple[Violation, ...]:
        return tuple(v for turn in self.turns for v in turn.violations)

    @property
    def audience(self) -> str:
        return "debtor" if self.answerer == "debtor" else "third_party"

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario_key": self.scenario_key,
            "scenario_version": self.scenario_version,
            "seed": self.seed,
            "language": self.language,
            "facts": self.facts.to_dict(),
            "hidden": self.hidden.to_dict(),
            "opening": self.opening,
            "turns": [t.to_dict() for t in self.turns],
            "seen": list(self.seen),
            "ended": self.ended,
            "end_reason": self.end_reason,
            "agreement": self.agreement.to_dict() if self.agreement else None,
            "capacity_told": self.capacity_told,
            "answerer": self.answerer,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunState:
        return cls(
            scenario_key=str(d["scenario_key"]),
            scenario_version=int(d["scenario_version"]),
            seed=int(d["seed"]),
            language=str(d["language"]),
            facts=CaseFacts.from_dict(d["facts"]),
            hidden=Hidden.from_dict(d["hidden"]),
            opening=str(d["opening"]),
            turns=tuple(TurnRecord.from_dict(t) for t in d["turns"]),
            seen=tuple(d["seen"]),
            ended=bool(d["ended"]),
            end_reason=d.get("end_reason"),
            agreement=Agreement.from_dict(d["agreement"]) if d.get("agreement") else None,
            capacity_told=bool(d.get("capacity_told", False)),
            answerer=str(d.get("answerer", "debtor")),
        )


_WORD = re.compile(r"[\u4e00-\u9fff]|[0-9][0-9,.]*|[a-z']+", re.IGNORECASE)


def words(text: str, lang: str) -> int:
    """How long a turn is to a listener: Chinese characters (a number counts as one), English words."""
    found = _WORD.findall(text)
    return len(found) if lang == "zh" else sum(1 for w in found if not ("\u4e00" <= w[0] <= "\u9fff"))


def yuan(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def ordinal(day: int) -> str:
    if 10 <= day % 100 <= 20:
        return f"{day}th"
    return f"{day}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(day % 10, 'th') }"


def _values(
    scenario: Scenario, state_facts: CaseFacts, hidden: Hidden, lang: str, agreement: Agreement | None
) -> dict[str, str]:
    f = state_facts
    persona = scenario.persona
    values = {
        "name": f.name(lang),
        "balance": yuan(f.balance),
        "amount": yuan(f.balance),
        "overdue": yuan(f.overdue_amount),
        "principal": yuan(f.principal),
        "dpd": str(f.dpd),
        "capacity": yuan(hidden.capacity),
        "last_amount": yuan(f.last_payment_amount),
        "last_days": str(f.last_payment_days_ago),
        # English says "on the 15th", Chinese "15号": the ordinal belongs to the language, not the YAML.
        "payday": ordinal(persona.payday or f.due_day) if lang == "en" else str(persona.payday or f.due_day),
        "product": f.product.get(lang, ""),
        "relation": persona.relation.get(lang, ""),
        "tail": f.phone_tail,
    }
    if agreement is not None:
        values.update(
            {
                "agreed_amount": yuan(agreement.instalment),
                "instalments": str(agreement.instalments),
                "agreed_total": yuan(agreement.total),
            }
        )
    return values


class _Missing(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "…"


def _pick(
    scenario: Scenario, situation: str, seed: int, turn: int, lang: str, values: dict[str, str], hidden: Hidden
) -> str:
    """A variant of the situation's replies that fits the persona's mood and trust now (one written for
    that state first), chosen by (seed, turn, situation); when none fits, any of them."""
    fitting = [v for v in scenario.replies[situation] if v.fits(hidden.mood, hidden.trust)]
    # A variant written for this state (a range narrower than the scale) wins over the general ones.
    specific = [v for v in fitting if v.mood != (STATE_MIN, STATE_MAX) or v.trust != (STATE_MIN, STATE_MAX)]
    variants = specific or fitting or list(scenario.replies[situation])
    index = zlib.crc32(f"{seed}:{turn}:{situation}".encode()) % len(variants)
    text = variants[index][lang]
    try:
        return text.format_map(_Missing(values))
    except (ValueError, IndexError, AttributeError):  # an admin's stray brace: say the line as written
        return text


def start(scenario: Scenario, seed: int, language: str = "zh") -> RunState:
    """A new run of ``scenario`` for ``seed``: the case drawn, the hidden state set, the persona's first line."""
    lang = language if language in LANGUAGES else "zh"
    facts = scenario.case_facts(seed)
    p = scenario.persona
    hidden = Hidden(p.mood, p.trust, p.willingness, p.patience, facts.capacity)
    opening = _pick(scenario, "opening", seed, 0, lang, _values(scenario, facts, hidden, lang, None), hidden)
    return RunState(
        scenario_key=scenario.key,
        scenario_version=scenario.version,
        seed=seed,
        language=lang,
        facts=facts,
        hidden=hidden,
        opening=opening,
        answerer=p.answerer,
    )


def _clamp(name: str, value: int) -> int:
    if name == "patience":
        return max(0, value)
    return max(STATE_MIN, min(STATE_MAX, value))


def _apply(hidden: Hidden, deltas: dict[str, int]) -> Hidden:
    changed: dict[str, Any] = {name: _clamp(name, getattr(hidden, name) + d) for name, d in deltas.items() if d}
    return replace(hidden, **changed) if changed else hidden


def _needs_met(scenario: Scenario, hidden: Hidden, seen: set[str]) -> bool:
    needs = scenario.needs
    return (
        hidden.trust >= needs.trust and hidden.willingness >= needs.willingness and all(m in seen for m in needs.moves)
    )


def _affordable(scenario: Scenario, hidden: Hidden, offer: Offer) -> bool:
    """Whether the persona could keep this plan: each instalment within what it can pay a month and, for a
    persona paid on a fixed day, the first payment not due before its pay arrives."""
    payday = scenario.persona.payday
    early = payday > 0 and offer.first_day is not None and offer.first_day < payday
    return offer.instalment <= hidden.capacity and not early


def _debtor_situation(
    scenario: Scenario, state: RunState, moves: set[str], offer: Offer | None, seen: set[str], hidden: Hidden
) -> tuple[str, str | None, Agreement | None, bool]:
    """(situation, end reason or None, the agreement after this turn, capacity told)."""
    agreement = state.agreement
    told = state.capacity_told
    identified = "identity_check" in seen
    # A read-back restates the figures: the same instalment confirms the agreement; other figures are a new
    # offer (below); "对吗？" alone gets a yes but is no read-back (the debrief says the figures were missing).
    same = offer is not None and agreement is not None and offer.instalment == agreement.instalment
    if "read_back" in moves and agreement is not None and (same or offer is None):
        if same:
            agreement = replace(agreement, read_back=True)
        if "close" in moves:
            return "goodbye", "agreement", agreement, told
        return "confirmed", None, agreement, told
    if "offer_plan" in moves and identified and not (offer is None and "ask_capacity" in moves):
        if "state_debt" not in seen:
            # A plan for a debt nobody has named yet: the persona cannot tell what it is agreeing to.
            return "confused", None, agreement, told
        if offer is None:
            return "plan_vague", None, agreement, told
        if not _needs_met(scenario, hidden, seen):
            return "plan_refused", None, agreement, told
        within = _affordable(scenario, hidden, offer)
        made = Agreement(
            offer.instalment, offer.instalments, offer.first_day, offer.total, within, "read_back" in moves
        )
        return ("plan_accepted" if within else "plan_reluctant"), None, made, told
    if "close" in moves:
        return "goodbye", ("agreement" if agreement is not None else "no_agreement"), agreement, told
    if "repeat" in moves and identified:
        return "repeated", None, agreement, told
    if "state_debt" in moves:
        if not identified:
            return "who_are_you", None, agreement, told
        return "objection", None, agreement, told
    if "identity_check" in moves and "identity_check" not in state.seen:
        return "identity_confirmed", None, agreement, told
    substantive = {"ask_reason", "ask_capacity", "explain_bill", "payment_reference", "offer_plan", "read_back"}
    if not identified and moves & substantive:
        return "who_are_you", None, agreement, told
    if "verify_channel" in moves:
        return "verified", None, agreement, told
    if "explain_bill" in moves:
        return "bill_explained", None, agreement, told
    if "payment_reference" in moves:
        return "reference_checked", None, agreement, told
    if "ask_capacity" in moves:
        if hidden.trust >= scenario.needs.trust:
            return "capacity", None, agreement, True
        return "evasive", None, agreement, told
    if "promise_request" in moves:
        return "payday", None, agreement, told
    if "ask_reason" in moves:
        return "reason", None, agreement, told
    if "repeat" in moves:
        return "repeated", None, agreement, told
    if "empathy" in moves:
        return "soothed", None, agreement, told
    if moves & {"pressure", "threat", "insult"}:
        return "pushed", None, agreement, told
    if "identity_check" in moves:
        return "identity_confirmed", None, agreement, told
    if "greeting" in moves:
        return "greeting", None, agreement, told
    return "confused", None, agreement, told


def _other_situation(answerer: str, moves: set[str], seen: set[str]) -> tuple[str, str | None]:
    """A third party or a stranger on the line."""
    if answerer == "third_party":
        if "disclosure_third_party" in moves:
            return "tp_shocked", None
        if "close" in moves:
            done = "callback_request" in seen and "disclosure_third_party" not in seen
            return "goodbye", ("callback_arranged" if done else "trainee_ended")
        if "callback_request" in moves:
            return "tp_will_pass", None
        if "identity_check" in moves or "greeting" in moves:
            return "tp_not_here", None
        return "confused", None
    if "disclosure_third_party" in moves:
        return "tp_shocked", None
    if "close" in moves:
        done = "apologise" in seen and "disclosure_third_party" not in seen
        return "goodbye", ("closed_correctly" if done else "trainee_ended")
    if "apologise" in moves:
        return "wn_ok", None
    if "identity_check" in moves or "greeting" in moves:
        return "wn_wrong", None
    return "confused", None


def play(scenario: Scenario, state: RunState, text: str) -> RunState:
    """One trainee turn and the persona's reply. A run that has ended stays as it is."""
    if state.ended:
        return state
    lang = state.language
    clean = "".join(ch for ch in str(text)[:MAX_TEXT] if ch.isprintable() or ch in "\n\t").strip()
    found = recognise(clean, lang, state.audience, state.facts.balance) if clean else None
    moves = set(found.moves) if found else set()
    index = len(state.turns) + 1
    seen_list = list(state.seen)
    for move in found.moves if found else ():
        if move not in seen_list:
            seen_list.append(move)
    seen = set(seen_list)

    # The scenario's rules for each move made this turn (a `once` rule only the first time).
    deltas: dict[str, int] = {}
    rule_end: str | None = None
    rule_say: str | None = None
    for move in found.moves if found else ():
        for rule in scenario.rules_for(move):
            if rule.once and move in state.seen:
                continue
            for name, delta in rule.delta:
                deltas[name] = deltas.get(name, 0) + delta
            if rule.end and rule_end is None:
                rule_end, rule_say = rule.end, rule.say or "hang_up"
    hidden = _apply(state.hidden, deltas)

    agreement = state.agreement
    told = state.capacity_told
    end_reason: str | None
    answerer = state.answerer
    if rule_end is not None:
        situation, end_reason = rule_say or "hang_up", rule_end
    elif answerer == "debtor":
        situation, end_reason, agreement, told = _debtor_situation(
            scenario, state, moves, found.offer if found else None, seen, hidden
        )
    else:
        situation, end_reason = _other_situation(answerer, moves, seen)

    # A slow listener does not follow a long turn: it asks for one thing at a time, and nothing in the turn
    # (a plan, a figure) reached it. Endings by a rule (a threat) stand.
    limit = scenario.persona.max_words.get(lang, 0)
    if limit and answerer == "debtor" and rule_end is None and words(clean, lang) > limit and "close" not in moves:
        situation, end_reason, agreement, told = "too_long", None, state.agreement, state.capacity_told

    # An impatient persona counts its turns down (a rule may take more, e.g. on pressure); out of patience
    # or out of temper, it hangs up before any plan is agreed.
    if scenario.persona.patience > 0:
        hidden = replace(hidden, patience=max(0, hidden.patience - 1))
    if end_reason is None and agreement is None and answerer == "debtor":
        out_of_patience = scenario.persona.patience > 0 and hidden.patience == 0
        if out_of_patience or hidden.mood <= STATE_MIN:
            situation, end_reason = "hang_up", "hung_up"
    if end_reason is None and index >= MAX_TURNS:
        situation = "goodbye"
        end_reason = "agreement" if agreement is not None else "no_agreement"

    values = _values(scenario, state.facts, hidden, lang, agreement)
    if found and found.offer is not None and situation in ("plan_refused", "plan_vague"):
        values.update({"agreed_amount": yuan(found.offer.instalment), "instalments": str(found.offer.instalments)})
    reply = _pick(scenario, situation, state.seed, index, lang, values, hidden)
    record = TurnRecord(
        index=index,
        text=clean,
        moves=found.moves if found else (),
        offer=found.offer if found else None,
        reply=reply,
        situation=situation,
        deltas=tuple(sorted((k, v) for k, v in deltas.items() if v)),
        violations=found.violations if found else (),
        ended=end_reason is not None,
        end_reason=end_reason,
        amounts=found.amounts if found else (),
        dpd=found.dpd if found else None,
        mood=hidden.mood,
        trust=hidden.trust,
    )
    return replace(
        state,
        hidden=hidden,
        turns=(*state.turns, record),
        seen=tuple(seen_list),
        ended=end_reason is not None,
        end_reason=end_reason,
        agreement=agreement,
        capacity_told=told,
    )


def end_call(state: RunState) -> RunState:
    """The trainee puts the phone down: the run ends where it stands. An agreement made stays made, and a
    call-back asked of a third party (or an apology to a stranger) with nothing disclosed is the right
    ending however the line was closed; otherwise ``trainee_ended``. Ending without a polite word is what
    the scorecard's ending item marks."""
    if state.ended:
        return state
    seen = set(state.seen)
    clean = "disclosure_third_party" not in seen
    if state.answerer == "debtor":
        reason = "agreement" if state.agreement is not None else "trainee_ended"
    elif state.answerer == "third_party":
        reason = "callback_arranged" if clean and "callback_request" in seen else "trainee_ended"
    else:
        reason = "closed_correctly" if clean and "apologise" in seen else "trainee_ended"
    return replace(state, ended=True, end_reason=reason)


# --- Suggestions ----------------------------------------------------------------------------------


def playbook_values(scenario: Scenario, state: RunState, lang: str) -> dict[str, str]:
    """The kernel.scripts placeholders filled from the simulated case."""
    f = state.facts
    org = default_library().organisation.get(lang)
    values = {
        "org": org,
        "agent": "小李" if lang == "zh" else "Alex",
        "name": f.name(lang),
        "tail": f"尾号{f.phone_tail}",
        "tail_digits": f.phone_tail,
        "amount": yuan(f.balance),
        "dpd": str(f.dpd),
    }
    if state.agreement is not None:
        values["agreed_amount"] = yuan(state.agreement.instalment)
        values["plan_count"] = str(state.agreement.instalments)
        values["plan_total"] = yuan(state.agreement.total)
    return values


def _held(scenario: Scenario, state: RunState) -> set[str]:
    held = {"company" if scenario.persona.kind == "company" else "person", "not_time_barred", "no_promise"}
    if state.agreement is None:
        held.add("nothing_agreed")
    return held


def playbook_sentences(scenario: Scenario, state: RunState, lang: str, objection: str | None = None) -> list[str]:
    """The playbook's sentences for the scenario's objection (or the one named), filled with the case."""
    library: Library = default_library()
    spec = library.objection(objection or scenario.persona.objection)
    if spec is None:
        return []
    return list(card(spec, lang, playbook_values(scenario, state, lang), _held(scenario, state)).sentences)


def fitting_plan(state: RunState, lang: str, first_day: int | None = None) -> Offer:
    """A plan the trainee could offer: within the capacity the persona told, else over twelve months."""
    balance = state.facts.balance
    monthly = state.hidden.capacity if state.capacity_told else (balance / 12).quantize(FEN, rounding=ROUND_UP)
    if monthly <= 0:
        monthly = balance
    count = max(1, int((balance / monthly).to_integral_value(rounding=ROUND_UP)))
    per = (balance / count).quantize(FEN, rounding=ROUND_UP)
    return Offer(per, count, first_day or state.facts.due_day, plan_total(per, count, balance))


def plan_sentence(state: RunState, lang: str, offer: Offer) -> str:
    if lang == "en":
        return (
            f"We can set up a payment plan: {offer.instalments} instalments of {yuan(offer.instalment)} yuan "
            f"a month, the first on the {ordinal(offer.first_day or state.facts.due_day)}. Would that work for you?"
        )
    day = offer.first_day or state.facts.due_day
    per = yuan(offer.instalment)
    return f"我们可以为您办理分期：分{offer.instalments}期，每期{per}元，每月{day}号还款，您看可以吗？"


def read_back_sentence(state: RunState, lang: str) -> str:
    a = state.agreement
    if a is None:
        return ""
    day = a.first_day or state.facts.due_day
    if lang == "en":
        return (
            f"To confirm: {a.instalments} instalments of {yuan(a.instalment)} yuan a month, "
            f"the first on the {ordinal(day)}, {yuan(a.total)} yuan in all. Is that right?"
        )
    return (
        f"我跟您确认一下：分{a.instalments}期，每期{yuan(a.instalment)}元，每月{day}号还款，共{yuan(a.total)}元，对吗？"
    )


def _last_voiced_hardship(state: RunState) -> bool:
    """Whether the persona's last line voiced hardship or emotion, as the scorecard reads it (so the
    suggested next turn opens with empathy, which the scorecard's empathy item asks for)."""
    last = state.turns[-1].reply if state.turns else state.opening
    cues = load_scorecard().cues.get(state.language) or load_scorecard().cues["zh"]
    text = _SPACES.sub("", last) if state.language == "zh" else _SPACES.sub(" ", last.lower())
    return cues["hardship"].search(text) is not None


def _coach_line(scenario: Scenario, state: RunState, move: str, lang: str) -> str:
    sentence = scenario.coach.get(move, {}).get(lang, "")
    try:
        return sentence.format_map(_Missing(playbook_values(scenario, state, lang)))
    except (ValueError, IndexError, AttributeError):
        return sentence


def suggestions(scenario: Scenario, state: RunState, language: str | None = None) -> list[str]:
    """Three or four next moves for the trainee to pick, filled with the case's figures.

    The first is the model next move (the tests and the benchmark play it to reach each scenario's right
    ending); the others are plausible alternatives, not all of them as good.
    """
    lang = language if language in LANGUAGES else state.language
    f = state.facts
    name = f.name(lang)
    seen = set(state.seen)
    en = lang == "en"
    out: list[str] = []
    if state.ended:
        return []
    answerer = state.answerer
    if answerer != "debtor":
        if "identity_check" not in seen:
            out.append(f"Hello, may I speak to {name}, please?" if en else f"您好，请问是{name}本人吗？")
        if answerer == "third_party" and "callback_request" not in seen:
            out.append(
                f"Could you please ask {name} to call us back at our office number? Thank you."
                if en
                else "麻烦您转告他尽快回电，号码是我司官方客服热线，谢谢。"
            )
        elif answerer == "wrong_number" and "apologise" not in seen:
            out.append(
                "Sorry to disturb you; we will update our records and not call this number again."
                if en
                else "抱歉打扰了，我们会更新记录，不会再拨打这个号码。"
            )
        out.append("Thank you, goodbye." if en else "好的，谢谢您，再见。")
        out.extend(_fillers(state, lang, "other"))
        return list(dict.fromkeys(out))[:4]
    soothe = ""
    if _last_voiced_hardship(state):
        soothe = "I understand, that sounds hard. " if en else "我理解您的难处。"
    if "identity_check" not in seen:
        if f.company:
            out.append(
                f"Hello, this is Alex from Huikuan. Am I speaking with the finance manager of {name}?"
                if en
                else f"您好，我是回款公司的客服专员小李，请问您是财务负责人吗？我找{name}。"
            )
        else:
            out.append(
                f"Hello, this is Alex from Huikuan. Am I speaking with {name}?"
                if en
                else f"您好，我是回款公司的客服专员小李，请问是{name}本人吗？"
            )
        out.append(
            "To confirm it is you, could you tell me the last four digits of your ID number?"
            if en
            else "为核实身份，请您说一下身份证号码的后四位。"
        )
    elif "state_debt" not in seen:
        out.append(
            f"The account has an outstanding balance of {yuan(f.balance)} yuan, {f.dpd} days overdue."
            if en
            else f"您在我司的账户目前欠款共计{yuan(f.balance)}元，已逾期{f.dpd}天。"
        )
    elif state.agreement is None:
        for move in scenario.needs.moves:
            if move not in seen and move not in ("empathy", "ask_reason"):
                line = _coach_line(scenario, state, move, lang)
                if line:
                    out.append(soothe + line)
                    break
        if "empathy" not in seen or "ask_reason" not in seen:
            out.append(
                "I understand. May I ask what happened?" if en else "我理解您的情况，方便说一下是遇到什么困难了吗？"
            )
        if not state.capacity_told:
            out.append(
                soothe + "How much could you set aside each month towards this?"
                if en
                else soothe + "请问您每个月大概能拿出多少钱用于还款？"
            )
        plan = fitting_plan(state, lang, scenario.persona.payday or None)
        out.append(soothe + plan_sentence(state, lang, plan))
        out.extend(playbook_sentences(scenario, state, lang)[:1])
    else:
        if not state.agreement.read_back:
            out.append(read_back_sentence(state, lang))
        out.append(
            "I will record this agreement. Thank you for your time. Goodbye."
            if en
            else "我会把这个约定记录下来，感谢您的配合，再见。"
        )
    out.extend(_fillers(state, lang, "debtor"))
    return list(dict.fromkeys(out))[:4]


def _fillers(state: RunState, lang: str, side: str) -> list[str]:
    """Other lines a trainee might pick, all compliant but not all well timed (a question about the reason
    before the debt is stated, a vague plan): the choice between them is the exercise."""
    en = lang == "en"
    f = state.facts
    if side == "other":
        return (
            ["May I ask whether you are a family member?", "Is there a better time to reach him?"]
            if en
            else ["请问您是他的家人吗？", "请问他什么时候方便接电话？"]
        )
    if state.agreement is not None:
        return (
            [
                "Do you have any other questions?",
                "Please pay through our official channels; you will receive a confirmation once it arrives.",
                "Is now a convenient time to talk?",
            ]
            if en
            else ["请问您还有其他问题吗？", "请通过我司官方渠道还款，到账后会给您发送确认。", "请问您现在方便接听吗？"]
        )
    return (
        [
            "Is now a convenient time to talk?",
            f"The account has an outstanding balance of {yuan(f.balance)} yuan.",
            "We can look at instalments or a deferral for you.",
            "May I ask what happened?",
        ]
        if en
        else [
            "请问您现在方便接听吗？",
            f"您在我司的账户目前欠款共计{yuan(f.balance)}元。",
            "我们可以为您申请分期或延期。",
            "方便说一下是什么原因吗？",
        ]
    )
