"""Recognising the trainee's move in a typed turn, and the figures of a plan offered in it.

Three sources, as in a real call review: the cues of ``moves.yaml`` (regular expressions over the
normalised text), the compliance screener (``kernel.compliance.screening.screen``, with its jieba
segmentation for ambiguous words: a blocking flag is a violation and fails the run) and the amounts,
instalment counts and days parsed from the text. Pure and fast: no model, no network.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_UP, Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from huikuan.kernel.compliance.screening import ScreenContext, screen
from huikuan.kernel.training.scenario import MOVE_CODES

MOVES_PATH = Path(__file__).parent / "moves.yaml"
MAX_TEXT = 1000  # a turn longer than this is cut: nobody says more in one breath
FEN = Decimal("0.01")
_CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_EN_NUMBERS = {
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "eighteen": 18,
    "twenty-four": 24,
    "twenty four": 24,
}
_NUM = r"[0-9][0-9,，]*(?:\.[0-9]{1,2})?"
_ZH_AMOUNT = re.compile(rf"[¥￥]?({_NUM})(万|千)?(?:元|块|¥)")
_ZH_YEN_AMOUNT = re.compile(rf"[¥￥]({_NUM})")
_EN_AMOUNT = re.compile(rf"(?:[¥$]\s?({_NUM})|({_NUM})\s?(?:yuan|rmb|cny)\b)")
_ZH_COUNT = re.compile(r"(?:分|共|一共)?([0-9]{1,2}|[一二两三四五六七八九十]{1,3})(?:期|个月)")
_EN_COUNT = re.compile(
    r"\b([0-9]{1,2}|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|eighteen|twenty[- ]four)"
    r"\s+(?:monthly\s+|equal\s+)?(?:instal?lments?|payments|months)\b"
)
_ZH_PER_LEAD = r"(?:每期|每个?月|一期|首期|第一期|月供)(?:还款|付款|还|付|交)?(?:金额)?(?:为|是)?"
_ZH_PER = re.compile(rf"{_ZH_PER_LEAD}[¥￥]?({_NUM})(万|千)?(?![号日0-9])")
_CN_NUM = "[零一二两三四五六七八九十百千万]{1,10}"
_ZH_CN_AMOUNT = re.compile(rf"({_CN_NUM})(?:元|块钱|块(?!儿))")
_ZH_CN_PER = re.compile(rf"{_ZH_PER_LEAD}({_CN_NUM})(?:元|块)")
_EN_PER = re.compile(
    rf"(?:[¥$]\s?({_NUM})|({_NUM})\s?(?:yuan|rmb|cny))\s*(?:a|per|each|every)\s+month"
    rf"|(?:each|monthly)\s+(?:payment|instal?lment)?\s*(?:of)?\s*(?:[¥$]\s?({_NUM})|({_NUM})\s?(?:yuan|rmb|cny))"
)
_ZH_DAY = re.compile(r"(?:每个?月|下个?月|本月|这个?月)?([0-9]{1,2})\s*[号日]")
_EN_DAY = re.compile(r"\b(?:on the |by the )?([0-9]{1,2})(?:st|nd|rd|th)\b")
_ZH_DPD = re.compile(r"逾期(?:了)?([0-9]+)天")
_EN_DPD = re.compile(r"([0-9]+) days (?:past due|overdue|late)")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class MoveSpec:
    code: str
    label: dict[str, str]
    cues: dict[str, re.Pattern[str]]


@dataclass(frozen=True, slots=True)
class Offer:
    """A plan as the trainee put it; missing figures are completed from the balance."""

    instalment: Decimal  # what is paid each month (the whole sum for one payment)
    instalments: int
    first_day: int | None  # day of the month of the first payment, when said
    total: Decimal

    def to_dict(self) -> dict[str, Any]:
        return {
            "instalment": str(self.instalment),
            "instalments": self.instalments,
            "first_day": self.first_day,
            "total": str(self.total),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Offer:
        return cls(Decimal(d["instalment"]), int(d["instalments"]), d.get("first_day"), Decimal(d["total"]))


@dataclass(frozen=True, slots=True)
class Violation:
    code: str  # the screener's category: threat, abuse, disclosure, false_authority, ...
    phrase: str  # what the trainee typed that broke the rule
    rule_id: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "phrase": self.phrase, "rule_id": self.rule_id}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Violation:
        return cls(str(d["code"]), str(d["phrase"]), str(d.get("rule_id", "")))


@dataclass(frozen=True, slots=True)
class Recognition:
    moves: tuple[str, ...]
    offer: Offer | None
    amounts: tuple[Decimal, ...]  # every amount said
    dpd: int | None  # days overdue said, if any
    violations: tuple[Violation, ...]


@lru_cache(maxsize=1)
def move_specs() -> dict[str, MoveSpec]:
    raw: Any = yaml.safe_load(MOVES_PATH.read_text(encoding="utf-8"))
    specs = {}
    for code in MOVE_CODES:
        entry = raw["moves"][code]
        specs[code] = MoveSpec(
            code=code,
            label={"zh": entry["label"]["zh"], "en": entry["label"]["en"]},
            cues={lang: re.compile(entry[lang]) for lang in ("zh", "en")},
        )
    return specs


def move_label(code: str, lang: str) -> str:
    spec = move_specs().get(code)
    return spec.label["en" if lang == "en" else "zh"] if spec else code


def normalise(text: str, lang: str) -> str:
    folded = unicodedata.normalize("NFKC", text).lower()
    return _SPACES.sub("", folded) if lang == "zh" else _SPACES.sub(" ", folded).strip()


def _decimal(raw: str, unit: str | None = None) -> Decimal | None:
    try:
        value = Decimal(raw.replace(",", "").replace("，", ""))
    except InvalidOperation:
        return None
    if unit == "万":
        value *= 10000
    elif unit == "千":
        value *= 1000
    if not value.is_finite() or value <= 0 or value > Decimal(10**9):
        return None
    return value.quantize(FEN)


def _zh_int(raw: str) -> int | None:
    if raw.isdigit():
        return int(raw)
    if raw == "十":
        return 10
    if raw.startswith("十"):
        return 10 + _CN_DIGITS.get(raw[1:], 0)
    if "十" in raw:
        tens, _, ones = raw.partition("十")
        return _CN_DIGITS.get(tens, 0) * 10 + (_CN_DIGITS.get(ones, 0) if ones else 0)
    return _CN_DIGITS.get(raw)


def cn_number(text: str) -> int | None:
    """A number written in Chinese numerals: 三千 3000, 一千五 1500 (the spoken short form), 两万五千 25000."""
    units = {"十": 10, "百": 100, "千": 1000}
    total = section = number = 0
    last_unit = 1
    for ch in text:
        if ch in _CN_DIGITS:
            number = _CN_DIGITS[ch]
        elif ch in units:
            section += (number or 1) * units[ch]
            number, last_unit = 0, units[ch]
        elif ch == "万":
            total += (section + number) * 10000
            section = number = 0
            last_unit = 10000
        else:
            return None
    if number and last_unit >= 100 and text[-1] in _CN_DIGITS and text[-2:-1] in ("十", "百", "千", "万"):
        number *= last_unit // 10  # 一千五 is 1500, not 1005
    value = total + section + number
    return value or None


def amounts_in(norm: str, lang: str) -> list[Decimal]:
    found: list[Decimal] = []
    if lang == "zh":
        for m in _ZH_AMOUNT.finditer(norm):
            if (value := _decimal(m.group(1), m.group(2))) is not None:
                found.append(value)
        for m in _ZH_CN_AMOUNT.finditer(norm):
            if (number := cn_number(m.group(1))) is not None and number < 10**9:
                found.append(Decimal(number).quantize(FEN))
        if not found:
            found = [v for m in _ZH_YEN_AMOUNT.finditer(norm) if (v := _decimal(m.group(1))) is not None]
    else:
        for m in _EN_AMOUNT.finditer(norm):
            if (value := _decimal(m.group(1) or m.group(2))) is not None:
                found.append(value)
    return found


def _count(norm: str, lang: str) -> int | None:
    if lang == "zh":
        for m in _ZH_COUNT.finditer(norm):
            n = _zh_int(m.group(1))
            if n is not None and 1 <= n <= 60:
                return n
        return None
    found = _EN_COUNT.search(norm)
    if found is None:
        return None
    raw = found.group(1)
    n = int(raw) if raw.isdigit() else _EN_NUMBERS.get(raw.replace("-", " "), _EN_NUMBERS.get(raw))
    return n if n is not None and 1 <= n <= 60 else None


def _per_month(norm: str, lang: str) -> Decimal | None:
    if lang == "zh":
        m = _ZH_PER.search(norm)
        cn = _ZH_CN_PER.search(norm)
        if m and (cn is None or m.start() <= cn.start()):
            return _decimal(m.group(1), m.group(2))
        number = cn_number(cn.group(1)) if cn else None
        return Decimal(number).quantize(FEN) if number else None
    m = _EN_PER.search(norm)
    if m is None:
        return None
    raw = next((g for g in m.groups() if g), None)
    return _decimal(raw) if raw else None


def _first_day(norm: str, lang: str) -> int | None:
    m = (_ZH_DAY if lang == "zh" else _EN_DAY).search(norm)
    if m is None:
        return None
    day = int(m.group(1))
    return day if 1 <= day <= 31 else None


def parse_offer(norm: str, lang: str, balance: Decimal) -> Offer | None:
    """The plan said in this (normalised) turn, completed from the balance; None without any figure."""
    count = _count(norm, lang)
    per = _per_month(norm, lang)
    amounts = amounts_in(norm, lang)
    if per is None and amounts and count is not None:
        # "分6期，每期..." without 每期 before the figure: the smallest amount that is not the balance.
        others = [a for a in amounts if a != balance]
        per = min(others) if others else None
    if per is None and count is None:
        if (
            amounts
            and any(a < balance for a in amounts)
            and re.search(r"先还|先付|pay .{0,20}first|first payment", norm)
        ):
            per = min(amounts)
            count = 1
        else:
            return None
    if per is None:
        assert count is not None
        per = (balance / count).quantize(FEN, rounding=ROUND_UP)
    if count is None:
        count = max(1, int((balance / per).to_integral_value(rounding=ROUND_UP))) if per < balance else 1
    return Offer(
        instalment=per, instalments=count, first_day=_first_day(norm, lang), total=plan_total(per, count, balance)
    )


def plan_total(per: Decimal, count: int, balance: Decimal) -> Decimal:
    """What the plan pays in all: the balance when the instalments only overshoot it by rounding up to the
    fen (the last instalment is then the smaller one), else instalment × count."""
    total = (per * count).quantize(FEN)
    return balance if balance <= total < balance + FEN * count else total


# A denial just before a threat or insult cue ("我们不会上门", "we will not tell your employer") is the
# opposite of a threat: the simulator's own cues skip it (the screener has its own negation rules).
# A condition is no denial: in "再不还就上门找你" the 不 belongs to "if you don't pay", and in "if you do not
# pay, we will..." the clause ends before the threat; the denial must stand in the threat's own clause.
_ZH_DENIAL = re.compile(r"(?:不|没|别|绝不|从不|不会|不是)(?:(?!就|否则|的话|要不)[^。！？!?；;，,]){0,3}$")
_EN_DENIAL = re.compile(
    r"\b(?:not|never|no one|nobody|won'?t|don'?t|wouldn'?t|will not|do not)\b(?:(?!\bor\b|\bthen\b)[^.!?;,]){0,25}$"
)


def _asserted(pattern: re.Pattern[str], norm: str, lang: str) -> re.Match[str] | None:
    """The first match of ``pattern`` in ``norm`` that is not denied just before it."""
    denial = _ZH_DENIAL if lang == "zh" else _EN_DENIAL
    for match in pattern.finditer(norm):
        before = norm[max(0, match.start() - (8 if lang == "zh" else 40)) : match.start()]
        if not denial.search(before):
            return match
    return None


def recognise(text: str, lang: str, audience: str, balance: Decimal) -> Recognition:
    """The moves of one trainee turn said to ``audience`` (debtor / third_party)."""
    text = text[:MAX_TEXT]
    norm = normalise(text, lang)
    specs = move_specs()
    moves: list[str] = []
    for code, spec in specs.items():
        if code in ("threat", "insult", "disclosure_third_party"):
            continue
        if spec.cues[lang].search(norm):
            moves.append(code)
    offer = parse_offer(norm, lang, balance) if norm else None
    if offer is not None and offer.instalment < balance and "offer_plan" not in moves:
        moves.append("offer_plan")
    if "offer_plan" in moves and offer is None and not specs["offer_plan"].cues[lang].search(norm):
        moves.remove("offer_plan")
    violations: list[Violation] = []
    for flag in screen(text, ScreenContext(lang=lang, audience=audience, source="transcript")):
        if flag.severity != "block":
            continue
        violations.append(Violation(flag.category, text[flag.start : flag.end], flag.rule_id))
    categories = {v.code for v in violations}
    # The simulator's own threat and insult cues fail the run too where the screener lets a phrase through
    # ("you will go to jail", "上门找你"): a trainee is held to the stricter of the two.
    for move, code, flagged in (
        ("threat", "threat", categories & {"threat", "false_authority", "harassment"}),
        ("insult", "abuse", "abuse" in categories),
    ):
        cue = _asserted(specs[move].cues[lang], norm, lang)
        if flagged or cue:
            moves.append(move)
        if cue and not flagged:
            violations.append(Violation(code, cue.group(0), f"training.{move}"))
    if audience == "third_party":
        told = "state_debt" in moves or specs["disclosure_third_party"].cues[lang].search(norm)
        if told or "disclosure" in categories:
            moves.append("disclosure_third_party")
            if "disclosure" not in categories:
                # The screener only knows the words; the simulator knows who is on the line, so telling a
                # third party about the debt in any words is the same violation.
                phrase = text.strip()[:60]
                violations.append(Violation("disclosure", phrase, "training.third_party"))
    dpd_match = (_ZH_DPD if lang == "zh" else _EN_DPD).search(norm)
    order = {code: i for i, code in enumerate(MOVE_CODES)}
    return Recognition(
        moves=tuple(sorted(set(moves), key=order.__getitem__)),
        offer=offer,
        amounts=tuple(amounts_in(norm, lang)),
        dpd=int(dpd_match.group(1)) if dpd_match and len(dpd_match.group(1)) < 6 else None,
        violations=tuple(violations),
    )
