"""Composition of the guided call script from a case's facts and the library.

Every figure the collector reads out comes from ``ScriptFacts``, which the adapter fills from the ledger and
the plan designer: the composer formats, it never computes money. Amounts are always shown to the fen, since
a figure said in a call is one the debtor may hold us to.

Step 4 reads back what was agreed in this call and nothing else: the plan option picked in step 3 or the
promise typed (``Agreement``). Without an agreement it has no read-back line, rather than a figure that was
never agreed (the whole balance by the deadline) or an older promise.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from huikuan.kernel.compliance.validation import mentions_suit
from huikuan.kernel.money import format_yuan
from huikuan.kernel.plans.designer import OptionKind, PlanOption
from huikuan.kernel.plans.render import en_date, summary, zh_date
from huikuan.kernel.scripts.library import Library, Line

# The tone of each collection stage when the policy in force does not say (docs/strategy.md stages).
DEFAULT_TONES = {"reminder": "gentle", "early": "gentle", "middle": "firm", "late": "legal", "legal": "legal"}


_ZH_NUMBERS = "一二三四五六七八九十"


@dataclass(frozen=True, slots=True)
class Agreement:
    """What the debtor agreed in the call: its first (or only) payment, and the plan option if one was picked."""

    amount: Decimal
    due: date
    option: PlanOption | None = None
    number: int = 0  # the option's number as read out in step 3 (1, 2, 3)

    @classmethod
    def of_option(cls, options: tuple[PlanOption, ...], kind: str) -> Agreement | None:
        """The agreement of the option of this kind (an OptionKind value), None when there is none."""
        for number, option in enumerate(options, start=1):
            if option.kind.value == kind:
                first = option.schedule[0]
                return cls(first.amount, first.due_date, option, number)
        return None


@dataclass(frozen=True, slots=True)
class ScriptFacts:
    name: str  # as addressed: 王先生 / Mr Wang / the company's name
    agent: str
    amount: Decimal
    dpd: int
    stage: str
    deadline: date | None = None
    phone_tail: str = ""  # last four digits of the debtor's own mobile
    tone: str = ""  # gentle / firm / legal; empty: DEFAULT_TONES[stage]
    promise_amount: Decimal | None = None
    promise_date: date | None = None
    options: tuple[PlanOption, ...] = ()
    has_id: bool = False
    company: bool = False
    whole_yuan: bool = False  # plan summaries may drop ".00"; the debt itself is always to the fen
    agreed: Agreement | None = None
    time_barred: bool = False  # the statute of limitations has run: no line may speak of a suit
    # What the debtor's state requires a collector to say of a time-barred debt (the US pack's
    # us.time_barred_disclosure), read out when the debt is stated; "" where no law asks it.
    time_bar_disclosure: str = ""


@dataclass(frozen=True, slots=True)
class ScriptStep:
    key: str
    n: int
    title: str
    hint: str
    lines: tuple[str, ...]
    third_party: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Script:
    lang: str
    tone: str
    steps: tuple[ScriptStep, ...]

    def text(self) -> str:
        """Everything the collector may say, for screening and for tests."""
        return "\n".join(line for step in self.steps for line in (*step.lines, *step.third_party))


def _date(day: date, lang: str) -> str:
    return en_date(day) if lang.startswith("en") else zh_date(day)


def values(facts: ScriptFacts, library: Library, lang: str) -> dict[str, str]:
    """The placeholder values for ``lang``; a fact the case lacks is absent, so its lines are left out."""
    found: dict[str, str] = {
        "org": library.organisation.get(lang),
        "agent": facts.agent,
        "name": facts.name,
        "amount": format_yuan(facts.amount),
        "dpd": str(facts.dpd),
    }
    if facts.phone_tail:
        found["tail"] = f"尾号{facts.phone_tail}"
        found["tail_digits"] = facts.phone_tail
    if facts.deadline is not None:
        found["deadline"] = _date(facts.deadline, lang)
    if facts.promise_amount is not None and facts.promise_date is not None:
        found["promise_amount"] = format_yuan(facts.promise_amount)
        found["promise_date"] = _date(facts.promise_date, lang)
    names = {
        OptionKind.FULL_WITH_WAIVER: "option_full",
        OptionKind.INSTALMENTS: "option_instalments",
        OptionKind.LADDER: "option_ladder",
    }
    for option in facts.options:
        if option.kind in names:
            found[names[option.kind]] = summary(option, lang, facts.whole_yuan)
    if facts.agreed is not None:
        found.update(_agreed_values(facts.agreed, lang, facts.whole_yuan))
    return found


def _agreed_values(agreed: Agreement, lang: str, whole_yuan: bool) -> dict[str, str]:
    found = {"agreed_amount": format_yuan(agreed.amount), "agreed_date": _date(agreed.due, lang)}
    option = agreed.option
    if option is not None:
        zh = not lang.startswith("en") and 1 <= agreed.number <= len(_ZH_NUMBERS)
        found["plan_choice"] = summary(option, lang, whole_yuan)
        found["plan_number"] = _ZH_NUMBERS[agreed.number - 1] if zh else str(agreed.number)
        found["plan_count"] = str(len(option.schedule))
        found["plan_total"] = format_yuan(option.total)
    return found


def _conditions(facts: ScriptFacts) -> set[str]:
    held = {"company" if facts.company else "person", "time_barred" if facts.time_barred else "not_time_barred"}
    held.add("has_promise" if facts.promise_amount is not None and facts.promise_date is not None else "no_promise")
    if facts.has_id:
        held.add("has_id")
    agreed = facts.agreed
    if agreed is None:
        held.add("nothing_agreed")
    elif agreed.option is None:
        held |= {"agreed", "agreed_promise"}
    else:
        held |= {"agreed", "agreed_plan"}
        held.add("plan_one_payment" if len(agreed.option.schedule) == 1 else "plan_several")
    return held


def fill(lines: tuple[Line, ...], lang: str, known: Mapping[str, str], held: set[str]) -> tuple[str, ...]:
    """The lines whose condition holds and whose placeholders are all known, filled in."""
    out = []
    for line in lines:
        if not line.holds(held):
            continue
        text = line.text.get(lang)
        needed = {name for _, name, _, _ in string.Formatter().parse(text) if name}
        if needed - known.keys():
            continue
        out.append(text.format_map(known))
    return tuple(out)


def compose(facts: ScriptFacts, library: Library, lang: str = "zh") -> Script:
    """The four steps for this case in ``lang`` ('zh…' or 'en…'), in the tone of its stage."""
    tone = facts.tone or DEFAULT_TONES.get(facts.stage, "gentle")
    known = values(facts, library, lang)
    held = _conditions(facts)
    steps = []
    for n, spec in enumerate(library.steps, start=1):
        lines = fill(spec.lines, lang, known, held)
        if spec.key == "debt":
            lines += fill(spec.tone_lines(tone), lang, known, held)
        if facts.time_barred:
            # A library written without the condition still never has a collector threaten a suit.
            lines = tuple(line for line in lines if not mentions_suit(line, lang))
            if spec.key == "debt" and facts.time_bar_disclosure:
                lines += (facts.time_bar_disclosure,)
        steps.append(
            ScriptStep(
                key=spec.key,
                n=n,
                title=spec.title.get(lang),
                hint=spec.hint.get(lang),
                lines=lines,
                # To a third party only the call-back request: these lines never carry the debt's facts.
                third_party=fill(spec.third_party, lang, {"org": known["org"], "name": known["name"]}, held),
            )
        )
    return Script(lang, tone, tuple(steps))
