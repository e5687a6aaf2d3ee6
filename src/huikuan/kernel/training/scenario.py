"""Training scenarios: debtor personas and their case facts, as versioned YAML an admin can edit.

A scenario fixes who answers (the debtor, a spouse, a colleague, a stranger on a wrong number, a company's
finance officer), the persona's hidden state at the start (mood, trust, willingness, the monthly amount it
can really pay, its patience), the ranges the case facts are drawn from, what it takes to reach an
agreement (``needs``), the right ending, the rules that move the state when the trainee makes a move
(``rules``) and the reply bank by situation (``replies``). A ``common`` section holds the rules and replies
every scenario shares; a scenario's own rules for a move replace the common ones for that move.

Parsing never trusts the text (an admin edits it): ``parse_scenarios`` returns the scenarios it could read
and every problem as ``source: scenarios[i] (key): field: what is wrong``, and never raises on bad YAML.
The case facts are drawn from the seed (``case_facts``) so two seeds give different, plausible cases and
one seed always the same case.
"""

from __future__ import annotations

import random
import string
import zlib
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from huikuan.kernel.scripts.library import OBJECTION_KEYS

SCENARIO_DIR = Path(__file__).parent / "scenarios"
# libyaml's safe loader when PyYAML was built with it (same rules as safe_load, several times faster on the
# library's ~700 lines, which the app parses for every stored version it reads).
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DUMPER: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
LANGS = ("zh", "en")
KINDS = ("person", "company")
# Who picks up: the debtor (for a company, its finance officer), a third party who knows the debtor, or a
# stranger who has the number now.
ANSWERERS = ("debtor", "third_party", "wrong_number")
# The right ending of a scenario: an agreement with a plan, a third party asked to pass on a call-back
# request without being told anything, or an apology and the end of the call on a wrong number.
ENDINGS = ("agreement", "callback_arranged", "closed_correctly")
STATE_FIELDS = ("mood", "trust", "willingness", "patience")
STATE_MIN, STATE_MAX = -5, 5
END_REASONS = ("agreement", "no_agreement", "hung_up", "callback_arranged", "closed_correctly", "trainee_ended")
# The moves the engine recognises (kernel/training/moves.yaml holds their cues and labels).
MOVE_CODES = (
    "greeting",
    "identity_check",
    "state_debt",
    "empathy",
    "ask_reason",
    "ask_capacity",
    "offer_plan",
    "read_back",
    "promise_request",
    "explain_bill",
    "payment_reference",
    "verify_channel",
    "callback_request",
    "apologise",
    "repeat",
    "close",
    "pressure",
    "threat",
    "insult",
    "disclosure_third_party",
)
# The situations a persona answers in; the reply bank is keyed by them.
SITUATIONS = (
    "opening",
    "greeting",
    "identity_confirmed",
    "who_are_you",
    "objection",
    "reason",
    "soothed",
    "capacity",
    "evasive",
    "payday",
    "bill_explained",
    "reference_checked",
    "verified",
    "repeated",
    "plan_vague",
    "plan_refused",
    "plan_accepted",
    "plan_reluctant",
    "confirmed",
    "pushed",
    "confused",
    "goodbye",
    "hang_up",
    "tp_not_here",
    "tp_will_pass",
    "tp_shocked",
    "wn_wrong",
    "wn_ok",
    "too_long",
)
# The placeholders a reply may name (engine._values fills them) and those a coach sentence may name
# (engine.playbook_values, the call-script library's names).
REPLY_FIELDS = frozenset(
    {
        "name",
        "balance",
        "amount",
        "overdue",
        "principal",
        "dpd",
        "capacity",
        "last_amount",
        "last_days",
        "payday",
        "product",
        "relation",
        "tail",
        "agreed_amount",
        "instalments",
        "agreed_total",
    }
)
COACH_FIELDS = frozenset(
    {"org", "agent", "name", "tail", "tail_digits", "amount", "dpd", "agreed_amount", "plan_count", "plan_total"}
)
# Situations added after the first stored versions: a library without replies for them is still valid.
LATER_SITUATIONS = frozenset({"too_long"})
SURNAMES = (
    "王",
    "李",
    "张",
    "刘",
    "陈",
    "杨",
    "赵",
    "黄",
    "周",
    "吴",
    "徐",
    "孙",
    "胡",
    "朱",
    "高",
    "林",
    "何",
    "郭",
    "马",
    "罗",
)
SURNAMES_EN = {
    "王": "Wang",
    "李": "Li",
    "张": "Zhang",
    "刘": "Liu",
    "陈": "Chen",
    "杨": "Yang",
    "赵": "Zhao",
    "黄": "Huang",
    "周": "Zhou",
    "吴": "Wu",
    "徐": "Xu",
    "孙": "Sun",
    "胡": "Hu",
    "朱": "Zhu",
    "高": "Gao",
    "林": "Lin",
    "何": "He",
    "郭": "Guo",
    "马": "Ma",
    "罗": "Luo",
}
CITIES = (("深圳", "Shenzhen"), ("杭州", "Hangzhou"), ("成都", "Chengdu"), ("武汉", "Wuhan"), ("苏州", "Suzhou"))
FEN = Decimal("0.01")
HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class Persona:
    role: dict[str, str]  # zh/en: who the persona is, for the scenario list
    kind: str  # person / company
    answerer: str  # debtor / third_party / wrong_number
    relation: dict[str, str]  # zh/en of the third party's relation to the debtor ({} for the debtor)
    mood: int
    trust: int
    willingness: int
    patience: int  # turns before it hangs up without a plan; 0: never
    capacity: tuple[Decimal, Decimal]  # monthly yuan it can really pay, drawn from this range
    objection: str  # the playbook objection it raises (kernel/scripts/default.yaml), "" for none
    payday: int = 0  # day of the month its pay arrives (0: not relevant)
    # The longest turn it follows, in Chinese characters / English words ({} or 0: any): a slow listener
    # asks for one thing at a time.
    max_words: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FactsSpec:
    """The ranges a case is drawn from."""

    principal: tuple[Decimal, Decimal]
    dpd: tuple[int, int]
    product: dict[str, str]
    fee_rate: tuple[Decimal, Decimal] = (Decimal("0.05"), Decimal("0.18"))  # interest and fees over principal
    term_months: int = 12


@dataclass(frozen=True, slots=True)
class CaseFacts:
    debtor_name: str  # masked-looking: 王** / Wang ** / 深圳**贸易有限公司
    debtor_name_en: str
    company: bool
    principal: Decimal
    balance: Decimal  # what is owed now: principal left, interest and fees (the figure to state)
    overdue_amount: Decimal  # the instalments missed
    monthly_instalment: Decimal
    dpd: int
    product: dict[str, str]
    due_day: int
    last_payment_amount: Decimal
    last_payment_days_ago: int
    capacity: Decimal  # hidden: what the persona can really pay a month
    phone_tail: str
    history: tuple[dict[str, str], ...]  # zh/en lines, oldest first

    def name(self, lang: str) -> str:
        return self.debtor_name_en if lang == "en" else self.debtor_name

    def to_dict(self) -> dict[str, Any]:
        return {
            "debtor_name": self.debtor_name,
            "debtor_name_en": self.debtor_name_en,
            "company": self.company,
            "principal": str(self.principal),
            "balance": str(self.balance),
            "overdue_amount": str(self.overdue_amount),
            "monthly_instalment": str(self.monthly_instalment),
            "dpd": self.dpd,
            "product": dict(self.product),
            "due_day": self.due_day,
            "last_payment_amount": str(self.last_payment_amount),
            "last_payment_days_ago": self.last_payment_days_ago,
            "capacity": str(self.capacity),
            "phone_tail": self.phone_tail,
            "history": [dict(line) for line in self.history],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CaseFacts:
        return cls(
            debtor_name=str(d["debtor_name"]),
            debtor_name_en=str(d["debtor_name_en"]),
            company=bool(d["company"]),
            principal=Decimal(d["principal"]),
            balance=Decimal(d["balance"]),
            overdue_amount=Decimal(d["overdue_amount"]),
            monthly_instalment=Decimal(d["monthly_instalment"]),
            dpd=int(d["dpd"]),
            product=dict(d["product"]),
            due_day=int(d["due_day"]),
            last_payment_amount=Decimal(d["last_payment_amount"]),
            last_payment_days_ago=int(d["last_payment_days_ago"]),
            capacity=Decimal(d["capacity"]),
            phone_tail=str(d["phone_tail"]),
            history=tuple(dict(line) for line in d["history"]),
        )


@dataclass(frozen=True, slots=True)
class Rule:
    """``on`` a move: add ``delta`` to the hidden state, optionally end the call (``end``) with a reply of
    the situation ``say``; ``once``: only the first time the move is made."""

    on: str
    delta: tuple[tuple[str, int], ...] = ()
    end: str | None = None
    say: str | None = None
    once: bool = False


@dataclass(frozen=True, slots=True)
class Reply:
    """One variant of a situation's reply, said only while the persona's mood and trust are in its ranges
    (the whole scale by default): the same situation reads differently to a calm and an angry persona."""

    zh: str
    en: str
    mood: tuple[int, int] = (STATE_MIN, STATE_MAX)
    trust: tuple[int, int] = (STATE_MIN, STATE_MAX)

    def __getitem__(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh

    def fits(self, mood: int, trust: int) -> bool:
        return self.mood[0] <= mood <= self.mood[1] and self.trust[0] <= trust <= self.trust[1]

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"zh": self.zh, "en": self.en}
        if self.mood != (STATE_MIN, STATE_MAX):
            out["mood"] = list(self.mood)
        if self.trust != (STATE_MIN, STATE_MAX):
            out["trust"] = list(self.trust)
        return out


@dataclass(frozen=True, slots=True)
class Needs:
    """What it takes for the persona to accept a plan: trust and willingness at least these, and these
    moves made. (The default willingness, the scale's floor, asks nothing of it.)"""

    trust: int = 0
    moves: tuple[str, ...] = ()
    willingness: int = STATE_MIN


@dataclass(frozen=True, slots=True)
class Scenario:
    key: str
    version: int
    title: dict[str, str]
    summary: dict[str, str]
    persona: Persona
    facts: FactsSpec  # the ranges; ``case_facts(seed)`` draws one case
    needs: Needs
    ending: str
    rules: tuple[Rule, ...]  # the scenario's own rules followed by the common ones it does not replace
    replies: dict[str, tuple[Reply, ...]]  # situation -> variants (zh/en), common ones included
    coach: dict[str, dict[str, str]] = field(default_factory=dict)  # move -> the compliant sentence (zh/en)
    pass_mark: Decimal = Decimal(70)
    source: str = ""  # the YAML text the scenario was read from (its whole file)

    def case_facts(self, seed: int) -> CaseFacts:
        return draw_facts(self, seed)

    def rules_for(self, move: str) -> tuple[Rule, ...]:
        return tuple(rule for rule in self.rules if rule.on == move)


def _rng(scenario_key: str, seed: int, salt: str) -> random.Random:
    # A stable seed (str hashes change per process): the key's CRC mixed with the trainee's seed.
    return random.Random(f"{zlib.crc32(scenario_key.encode())}:{seed}:{salt}")


def _between(rng: random.Random, low: Decimal, high: Decimal, step: Decimal) -> Decimal:
    steps = int((high - low) / step)
    return low + step * rng.randint(0, max(steps, 0))


def draw_facts(scenario: Scenario, seed: int) -> CaseFacts:
    """The case of this scenario for this seed: plausible figures within the YAML's ranges."""
    rng = _rng(scenario.key, seed, "facts")
    spec = scenario.facts
    persona = scenario.persona
    principal = _between(rng, spec.principal[0], spec.principal[1], HUNDRED)
    fee = Decimal(rng.randint(int(spec.fee_rate[0] * 1000), int(spec.fee_rate[1] * 1000))) / 1000
    balance = (principal * (1 + fee) + Decimal(rng.randint(0, 99)) / 100).quantize(FEN, rounding=ROUND_HALF_UP)
    monthly = (principal * (1 + fee) / spec.term_months).quantize(FEN, rounding=ROUND_HALF_UP)
    dpd = rng.randint(spec.dpd[0], spec.dpd[1])
    missed = max(1, (dpd + 29) // 30)
    overdue = min(balance, monthly * missed)
    capacity = _between(rng, persona.capacity[0], persona.capacity[1], HUNDRED)
    surname = rng.choice(SURNAMES)
    if persona.kind == "company":
        city, city_en = rng.choice(CITIES)
        name, name_en = f"{city}**贸易有限公司", f"{city_en} ** Trading Co., Ltd."
    else:
        name, name_en = f"{surname}**", f"{SURNAMES_EN[surname]} **"
    last_days = dpd + rng.randint(3, 25)
    last_amount = (monthly * Decimal(rng.choice(("0.5", "1", "1")))).quantize(FEN)
    history = [
        {
            "zh": f"{last_days}天前：最后一次还款{last_amount:,.2f}元",
            "en": f"{last_days} days ago: last payment of {last_amount:,.2f} yuan",
        },
        {"zh": "逾期第3天：短信提醒，未回复", "en": "Day 3 overdue: text reminder, no reply"},
    ]
    if dpd > 20:
        history.append(
            {"zh": "逾期第15天：电话联系，未接通", "en": "Day 15 overdue: called, no answer"},
        )
    if dpd > 45:
        promised = (monthly / 2).quantize(HUNDRED / 100)
        history.append(
            {
                "zh": f"逾期第40天：承诺还款{promised:,.2f}元，未兑现",
                "en": f"Day 40 overdue: promised {promised:,.2f} yuan, broken",
            }
        )
    return CaseFacts(
        debtor_name=name,
        debtor_name_en=name_en,
        company=persona.kind == "company",
        principal=principal,
        balance=balance,
        overdue_amount=overdue,
        monthly_instalment=monthly,
        dpd=dpd,
        product=dict(spec.product),
        due_day=rng.randint(1, 28),
        last_payment_amount=last_amount,
        last_payment_days_ago=last_days,
        capacity=capacity,
        phone_tail=f"{rng.randint(0, 9999):04d}",
        history=tuple(history),
    )


# --- Parsing ---------------------------------------------------------------------------------------


class _Reader:
    """Collects problems instead of raising, so an admin sees every one of them at once."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[str] = []

    def bad(self, where: str, message: str) -> None:
        self.problems.append(f"{self.source}: {where}: {message}")

    def text(self, value: Any, where: str, required: bool = True) -> dict[str, str]:
        if value is None and not required:
            return {}
        if not isinstance(value, dict):
            self.bad(where, "must map zh and en to a text")
            return {lang: "" for lang in LANGS}
        out = {}
        for lang in LANGS:
            item = value.get(lang)
            if not isinstance(item, str) or not item.strip():
                self.bad(f"{where}.{lang}", "missing or empty (both zh and en are required)")
                item = ""
            out[lang] = item
        return out

    def placeholders(self, texts: dict[str, str], where: str, allowed: frozenset[str]) -> None:
        for lang, text in texts.items():
            try:
                names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
            except ValueError as exc:
                self.bad(f"{where}.{lang}", f"unbalanced braces: {exc}")
                continue
            unknown = names - allowed
            if unknown:
                self.bad(
                    f"{where}.{lang}",
                    f"unknown placeholder(s) {', '.join(sorted('{' + n + '}' for n in unknown))}; "
                    f"known: {', '.join(sorted(allowed))}",
                )

    def limits(self, value: Any, where: str) -> dict[str, int]:
        if value is None or value == {}:
            return {}
        if not isinstance(value, dict) or set(value) - set(LANGS):
            self.bad(where, "must map zh and/or en to a whole number of characters / words")
            return {}
        return {str(lang): self.integer(n, f"{where}.{lang}", 1, 10000, 1) for lang, n in value.items()}

    def integer(self, value: Any, where: str, low: int, high: int, default: int | None = None) -> int:
        if value is None and default is not None:
            return default
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.bad(where, f"must be a whole number from {low} to {high}, got {value!r}")
            return default if default is not None else low
        return value

    def decimal_range(self, value: Any, where: str, low: Decimal, high: Decimal) -> tuple[Decimal, Decimal]:
        ok = isinstance(value, list) and len(value) == 2 and not any(isinstance(v, bool) for v in value)
        if ok:
            try:
                a, b = (Decimal(str(v)) for v in value)
                ok = a.is_finite() and b.is_finite() and low <= a <= b <= high
            except ArithmeticError:  # not a number at all, NaN
                ok = False
        if not ok:
            self.bad(where, f"must be [min, max] with {low} ≤ min ≤ max ≤ {high}, got {value!r}")
            return (low, low)
        return (a, b)

    def int_range(self, value: Any, where: str, low: int, high: int) -> tuple[int, int]:
        ok = (
            isinstance(value, list)
            and len(value) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
        )
        if not ok or not low <= value[0] <= value[1] <= high:
            self.bad(where, f"must be [min, max] whole numbers with {low} ≤ min ≤ max ≤ {high}, got {value!r}")
            return (low, low)
        return (value[0], value[1])

    def choice(self, value: Any, where: str, allowed: tuple[str, ...], default: str | None = None) -> str:
        if value is None and default is not None:
            return default
        if value not in allowed:
            self.bad(where, f"must be one of {', '.join(allowed)}, got {value!r}")
            return default if default is not None else allowed[0]
        return str(value)

    def rules(self, value: Any, where: str) -> list[Rule]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.bad(where, "must be a list of {on: move, trust: +1, end: hung_up, ...}")
            return []
        out = []
        for i, raw in enumerate(value):
            here = f"{where}[{i}]"
            if not isinstance(raw, dict):
                self.bad(here, "must be a mapping with on: and what changes")
                continue
            # YAML 1.1 (PyYAML) reads a bare `on:` key as the boolean True: take it as the word meant.
            if True in raw and "on" not in raw:
                raw = {("on" if k is True else k): v for k, v in raw.items()}
            on = self.choice(raw.get("on"), f"{here}.on", MOVE_CODES)
            delta = []
            for name in STATE_FIELDS:
                if name in raw:
                    delta.append((name, self.integer(raw[name], f"{here}.{name}", -10, 10, 0)))
            end = raw.get("end")
            if end is not None:
                end = self.choice(end, f"{here}.end", END_REASONS)
            say = raw.get("say")
            if say is not None:
                say = self.choice(say, f"{here}.say", SITUATIONS)
            unknown = set(raw) - {"on", "end", "say", "once", *STATE_FIELDS}
            if unknown:
                self.bad(here, f"unknown field(s) {', '.join(sorted(map(str, unknown)))}")
            out.append(Rule(on=on, delta=tuple(delta), end=end, say=say, once=bool(raw.get("once", False))))
        return out

    def replies(self, value: Any, where: str) -> dict[str, tuple[Reply, ...]]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.bad(where, "must map a situation to a list of {zh, en} variants")
            return {}
        out = {}
        for situation, variants in value.items():
            here = f"{where}.{situation}"
            if situation not in SITUATIONS:
                self.bad(here, f"unknown situation; known: {', '.join(SITUATIONS)}")
                continue
            if not isinstance(variants, list) or not variants:
                self.bad(here, "must be a non-empty list of {zh, en} variants")
                continue
            texts = []
            for i, variant in enumerate(variants):
                at = f"{here}[{i}]"
                text = self.text(variant, at)
                self.placeholders(text, at, REPLY_FIELDS)
                ranges = {}
                if isinstance(variant, dict):
                    for name in ("mood", "trust"):
                        if name in variant:
                            ranges[name] = self.int_range(variant[name], f"{at}.{name}", STATE_MIN, STATE_MAX)
                    unknown = set(variant) - {"zh", "en", "mood", "trust"}
                    if unknown:
                        self.bad(at, f"unknown field(s) {', '.join(sorted(map(str, unknown)))}")
                texts.append(
                    Reply(
                        zh=text["zh"],
                        en=text["en"],
                        mood=ranges.get("mood", (STATE_MIN, STATE_MAX)),
                        trust=ranges.get("trust", (STATE_MIN, STATE_MAX)),
                    )
                )
            out[str(situation)] = tuple(texts)
        return out


def parse_scenarios(text: str, source: str = "scenarios.yaml") -> tuple[list[Scenario], list[str]]:
    """The scenarios of a YAML document and every problem found; never raises on bad input."""
    reader = _Reader(source)
    try:
        raw: Any = yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "document"
        reader.bad(where, f"not valid YAML: {getattr(exc, 'problem', None) or exc}")
        return [], reader.problems
    except (ValueError, RecursionError) as exc:  # e.g. NUL characters, absurd nesting
        reader.bad("document", f"not valid YAML: {exc}")
        return [], reader.problems
    if not isinstance(raw, dict):
        reader.bad("document", "must be a mapping with version, common and scenarios")
        return [], reader.problems
    version = reader.integer(raw.get("version"), "version", 1, 10**6, None)
    common = raw.get("common") or {}
    if not isinstance(common, dict):
        reader.bad("common", "must be a mapping with rules and replies")
        common = {}
    common_rules = reader.rules(common.get("rules"), "common.rules")
    common_replies = reader.replies(common.get("replies"), "common.replies")
    missing = [s for s in SITUATIONS if s not in common_replies and s not in LATER_SITUATIONS]
    if missing and "replies" in common:
        reader.bad("common.replies", f"every situation needs a common reply; missing: {', '.join(missing)}")
    items = raw.get("scenarios")
    if not isinstance(items, list) or not items:
        reader.bad("scenarios", "must be a non-empty list")
        return [], reader.problems
    scenarios: list[Scenario] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        before = len(reader.problems)
        scenario = _scenario(reader, item, i, version, common_rules, common_replies, text)
        if scenario is None or len(reader.problems) > before:
            continue
        if scenario.key in seen:
            reader.bad(f"scenarios[{i}].key", f"duplicate key {scenario.key!r}")
            continue
        seen.add(scenario.key)
        scenarios.append(scenario)
    return scenarios, reader.problems


def _scenario(
    reader: _Reader,
    item: Any,
    i: int,
    version: int,
    common_rules: list[Rule],
    common_replies: dict[str, tuple[Reply, ...]],
    text: str,
) -> Scenario | None:
    if not isinstance(item, dict):
        reader.bad(f"scenarios[{i}]", "must be a mapping")
        return None
    key = item.get("key")
    if not isinstance(key, str) or not key.replace("_", "").isalnum() or not key.isascii() or len(key) > 40:
        reader.bad(f"scenarios[{i}].key", f"must be a short ascii identifier, got {key!r}")
        key = f"#{i}"
    where = f"scenarios[{i}] ({key})"
    p = item.get("persona")
    if not isinstance(p, dict):
        reader.bad(f"{where}.persona", "must be a mapping")
        p = {}
    answerer = reader.choice(p.get("answerer"), f"{where}.persona.answerer", ANSWERERS, "debtor")
    persona = Persona(
        role=reader.text(p.get("role"), f"{where}.persona.role"),
        kind=reader.choice(p.get("kind"), f"{where}.persona.kind", KINDS, "person"),
        answerer=answerer,
        relation=reader.text(p.get("relation"), f"{where}.persona.relation", required=answerer == "third_party"),
        mood=reader.integer(p.get("mood"), f"{where}.persona.mood", STATE_MIN, STATE_MAX, 0),
        trust=reader.integer(p.get("trust"), f"{where}.persona.trust", STATE_MIN, STATE_MAX, 0),
        willingness=reader.integer(p.get("willingness"), f"{where}.persona.willingness", STATE_MIN, STATE_MAX, 0),
        patience=reader.integer(p.get("patience"), f"{where}.persona.patience", 0, 50, 0),
        capacity=reader.decimal_range(p.get("capacity"), f"{where}.persona.capacity", Decimal(0), Decimal(10**7)),
        objection=reader.choice(p.get("objection") or "", f"{where}.persona.objection", ("", *OBJECTION_KEYS)),
        payday=reader.integer(p.get("payday"), f"{where}.persona.payday", 0, 28, 0),
        max_words=reader.limits(p.get("max_words"), f"{where}.persona.max_words"),
    )
    f = item.get("facts")
    if not isinstance(f, dict):
        reader.bad(f"{where}.facts", "must be a mapping")
        f = {}
    facts = FactsSpec(
        principal=reader.decimal_range(f.get("principal"), f"{where}.facts.principal", Decimal(100), Decimal(10**8)),
        dpd=reader.int_range(f.get("dpd"), f"{where}.facts.dpd", 1, 3650),
        product=reader.text(f.get("product"), f"{where}.facts.product"),
        term_months=reader.integer(f.get("term_months"), f"{where}.facts.term_months", 1, 120, 12),
    )
    n = item.get("needs") or {}
    if not isinstance(n, dict):
        reader.bad(f"{where}.needs", "must be a mapping with trust and moves")
        n = {}
    moves = n.get("moves") or []
    if not isinstance(moves, list):
        reader.bad(f"{where}.needs.moves", "must be a list of move codes")
        moves = []
    needs = Needs(
        trust=reader.integer(n.get("trust"), f"{where}.needs.trust", STATE_MIN, STATE_MAX, 0),
        moves=tuple(reader.choice(m, f"{where}.needs.moves", MOVE_CODES) for m in moves),
        willingness=reader.integer(n.get("willingness"), f"{where}.needs.willingness", STATE_MIN, STATE_MAX, STATE_MIN),
    )
    default_ending = {"debtor": "agreement", "third_party": "callback_arranged", "wrong_number": "closed_correctly"}
    ending = reader.choice(item.get("ending"), f"{where}.ending", ENDINGS, default_ending[answerer])
    own_rules = reader.rules(item.get("rules"), f"{where}.rules")
    replaced = {rule.on for rule in own_rules}
    rules = (*own_rules, *(rule for rule in common_rules if rule.on not in replaced))
    replies = dict(common_replies)
    replies.update(reader.replies(item.get("replies"), f"{where}.replies"))
    for situation in SITUATIONS:
        if situation not in replies and situation in LATER_SITUATIONS:
            # A version stored before this situation existed still reads: the shipped common reply stands in.
            replies[situation] = _shipped_replies(situation)
        elif situation not in replies:
            reader.bad(f"{where}.replies.{situation}", "no reply for this situation here nor in common.replies")
    coach_raw = item.get("coach") or {}
    coach = {}
    if not isinstance(coach_raw, dict):
        reader.bad(f"{where}.coach", "must map a move to a {zh, en} sentence")
    else:
        for move, sentence in coach_raw.items():
            reader.choice(move, f"{where}.coach.{move}", MOVE_CODES)
            coach[str(move)] = reader.text(sentence, f"{where}.coach.{move}")
            reader.placeholders(coach[str(move)], f"{where}.coach.{move}", COACH_FIELDS)
    pass_mark = reader.integer(item.get("pass_mark"), f"{where}.pass_mark", 0, 100, 70)
    return Scenario(
        key=key,
        version=version,
        title=reader.text(item.get("title"), f"{where}.title"),
        summary=reader.text(item.get("summary"), f"{where}.summary"),
        persona=persona,
        facts=facts,
        needs=needs,
        ending=ending,
        rules=rules,
        replies=replies,
        coach=coach,
        pass_mark=Decimal(pass_mark),
        source=text,
    )


@lru_cache(maxsize=8)
def _shipped_replies(situation: str) -> tuple[Reply, ...]:
    raw: Any = yaml.load((SCENARIO_DIR / "default.yaml").read_text(encoding="utf-8"), Loader=_LOADER)
    return tuple(Reply(zh=v["zh"], en=v["en"]) for v in raw["common"]["replies"][situation])


@lru_cache(maxsize=1)
def _default() -> tuple[Scenario, ...]:
    path = SCENARIO_DIR / "default.yaml"
    scenarios, problems = parse_scenarios(path.read_text(encoding="utf-8"), source=str(path.name))
    if problems:
        raise ValueError("the shipped scenario library is invalid:\n" + "\n".join(problems))
    return tuple(scenarios)


def default_scenarios() -> list[Scenario]:
    """The shipped scenario library (scenarios/default.yaml)."""
    return list(_default())


def default_yaml() -> str:
    return (SCENARIO_DIR / "default.yaml").read_text(encoding="utf-8")


def scenario_by_key(key: str, scenarios: list[Scenario] | None = None) -> Scenario | None:
    for scenario in scenarios if scenarios is not None else _default():
        if scenario.key == key:
            return scenario
    return None


def _number(value: Decimal) -> int | str:
    # A whole amount as a YAML number; anything else as its exact decimal text (a float would round it).
    return int(value) if value == value.to_integral_value() else str(value)


def _dump_rule(rule: Rule) -> dict[str, Any]:
    out: dict[str, Any] = {"on": rule.on}
    out.update(dict(rule.delta))
    if rule.end:
        out["end"] = rule.end
    if rule.say:
        out["say"] = rule.say
    if rule.once:
        out["once"] = True
    return out


def scenario_dict(scenario: Scenario) -> dict[str, Any]:
    """One scenario as the mapping its YAML holds (common rules and replies written out in full)."""
    p = scenario.persona
    persona: dict[str, Any] = {
        "role": dict(p.role),
        "kind": p.kind,
        "answerer": p.answerer,
        "mood": p.mood,
        "trust": p.trust,
        "willingness": p.willingness,
        "patience": p.patience,
        "capacity": [_number(p.capacity[0]), _number(p.capacity[1])],
        "objection": p.objection,
        "payday": p.payday,
        "max_words": dict(p.max_words),
    }
    if p.relation:
        persona["relation"] = dict(p.relation)
    f = scenario.facts
    return {
        "key": scenario.key,
        "title": dict(scenario.title),
        "summary": dict(scenario.summary),
        "persona": persona,
        "facts": {
            "principal": [_number(f.principal[0]), _number(f.principal[1])],
            "dpd": [f.dpd[0], f.dpd[1]],
            "product": dict(f.product),
            "term_months": f.term_months,
        },
        "needs": {
            "trust": scenario.needs.trust,
            "willingness": scenario.needs.willingness,
            "moves": list(scenario.needs.moves),
        },
        "ending": scenario.ending,
        "pass_mark": int(scenario.pass_mark),
        "rules": [_dump_rule(rule) for rule in scenario.rules],
        "replies": {k: [v.as_dict() for v in variants] for k, variants in scenario.replies.items()},
        "coach": {k: dict(v) for k, v in scenario.coach.items()},
    }


def dump(scenarios: list[Scenario], version: int | None = None) -> str:
    """Scenarios as one self-contained YAML document that ``parse_scenarios`` reads back to the same."""
    doc = {
        "version": version if version is not None else (scenarios[0].version if scenarios else 1),
        "scenarios": [scenario_dict(s) for s in scenarios],
    }
    return yaml.dump(doc, Dumper=_DUMPER, allow_unicode=True, sort_keys=False, width=120)


def scenario_yaml(scenario_key: str, scenarios: list[Scenario] | None = None) -> str:
    """One scenario of the library (the shipped one by default) as a self-contained YAML document."""
    scenario = scenario_by_key(scenario_key, scenarios)
    if scenario is None:
        raise KeyError(scenario_key)
    return dump([scenario])
