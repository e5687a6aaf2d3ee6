"""Case sharing: a real call's transcript made safe to train on (names, numbers, amounts, dates replaced).

QA turns a call into a scenario; what the trainees read must not identify the debtor or anybody else on the
call. The masking is deterministic per seed (the same call shared twice reads the same), replaces every known
name (the case's parties, given by the caller) and anybody addressed by an honorific, every identity number,
phone number and other long digit run, scales every amount by one factor (so the figures stay plausible and
consistent with each other: a plan of 3 × 1,000 of a 3,000 debt stays 3 × the same instalment), and shifts
every date by one offset.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import yaml

# Surnames the pseudonyms use: common enough not to read as anyone in particular.
PSEUDO_SURNAMES = ("陈", "刘", "杨", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林", "罗")
PSEUDO_LATIN = ("Chen", "Liu", "Yang", "Huang", "Zhou", "Wu", "Xu", "Sun", "Ma", "Zhu", "Hu", "Guo", "He", "Gao")
_HONORIFIC = re.compile(r"([\u4e00-\u9fff])(?=(?:先生|女士|小姐|经理|总|老师|阿姨|大哥|大姐))")
_LATIN_TITLE = re.compile(r"\b(Mr|Mrs|Ms|Miss|Dr)\.?\s+([A-Z][a-z]+)")
_ID_NUMBER = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])|(?<![0-9])[0-9]{15}(?![0-9])")
_PHONE = re.compile(
    r"(?<![0-9])(?:\+?86[- ]?)?1[3-9][0-9](?:[- ]?[0-9]{4}){2}(?![0-9])|(?<![0-9])0[0-9]{2,3}-?[0-9]{7,8}(?![0-9])"
)
_ISO_DATE = re.compile(r"(?<![0-9])(20[0-9]{2})[-/.](1[0-2]|0?[1-9])[-/.](3[01]|[12][0-9]|0?[1-9])(?![0-9])")
_CN_DATE = re.compile(r"(?:(20[0-9]{2})年)?(1[0-2]|0?[1-9])月(3[01]|[12][0-9]|0?[1-9])[日号]")
_DAY_OF_MONTH = re.compile(r"(?<![0-9])(3[01]|[12][0-9]|0?[1-9])号")
_NUMBER = r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]{1,2})?|[0-9]+(?:\.[0-9]{1,2})?"
_AMOUNT = re.compile(
    rf"(?:(?P<pre>[¥￥]|RMB\s?|CNY\s?)(?P<a>{_NUMBER}))|(?:(?P<b>{_NUMBER})\s?(?P<unit>万元|万|元|块钱|块|yuan|RMB|CNY))"
)
_LONG_DIGITS = re.compile(r"[0-9]{3,}")


@dataclass(frozen=True)
class MaskedTurn:
    speaker: str
    text: str


@dataclass(frozen=True)
class Masking:
    """The masked turns and how many of each kind were replaced (the audit keeps counts, never the values)."""

    turns: tuple[MaskedTurn, ...]
    replaced: dict[str, int]


class _Masker:
    def __init__(self, known_names: Sequence[str], seed: int, today: date | None) -> None:
        self.rng = random.Random(seed)
        self.factor = Decimal(self.rng.choice([x for x in range(78, 128) if x != 100])) / 100
        self.shift = timedelta(days=self.rng.randint(9, 40))
        self.year = (today or date(2026, 1, 1)).year
        self.counts: dict[str, int] = {"name": 0, "id_number": 0, "phone": 0, "amount": 0, "date": 0, "digits": 0}
        self.pseudo: dict[str, str] = {}
        surnames = list(PSEUDO_SURNAMES)
        self.rng.shuffle(surnames)
        self._surnames = iter(surnames * 4)
        latin = list(PSEUDO_LATIN)
        self.rng.shuffle(latin)
        self._latin = iter(latin * 4)
        # Longest first: 欧阳娜娜 before 娜娜, a full name before its given name.
        names: set[str] = set()
        for raw in known_names:
            name = raw.strip()
            if not name:
                continue
            names.add(name)
            if _is_cjk(name) and len(name) >= 3:
                names.add(name[1:])  # the given name the family uses
            if not _is_cjk(name):
                names.update(part for part in name.split() if len(part) >= 3)
        self.names = sorted(names, key=len, reverse=True)

    def _pseudonym(self, name: str) -> str:
        """One pseudonym per surname: 王建国 → 林某某 and 王先生 → 林先生 name the same person."""
        if not _is_cjk(name):
            return self.pseudo.setdefault(name, next(self._latin))
        family = self.pseudo.setdefault(name[:1], next(self._surnames))
        return family + "某" * (len(name) - 1 if len(name) <= 3 else 2)

    def _count(self, kind: str) -> None:
        self.counts[kind] += 1

    def mask(self, text: str) -> str:
        for name in self.names:
            if name in text:
                self.counts["name"] += text.count(name)
                text = text.replace(name, self._pseudonym(name))
        text = _HONORIFIC.sub(self._honorific, text)
        text = _LATIN_TITLE.sub(self._latin_title, text)
        text = _ID_NUMBER.sub(self._id_number, text)
        text = _PHONE.sub(self._phone, text)
        text = _ISO_DATE.sub(self._iso_date, text)
        text = _CN_DATE.sub(self._cn_date, text)
        text = _DAY_OF_MONTH.sub(self._day, text)
        text = _AMOUNT.sub(self._amount, text)
        return _LONG_DIGITS.sub(self._digits, text)

    def _honorific(self, m: re.Match[str]) -> str:
        if m.group(1) in PSEUDO_SURNAMES or m.group(1) == "某":
            return m.group(1)
        self._count("name")
        return self._pseudonym(m.group(1))

    def _latin_title(self, m: re.Match[str]) -> str:
        if m.group(2) in PSEUDO_LATIN:
            return m.group(0)
        self._count("name")
        return f"{m.group(1)} {self._pseudonym(m.group(2))}"

    def _fake_digits(self, n: int) -> str:
        return "".join(str(self.rng.randint(0, 9)) for _ in range(n))

    def _id_number(self, m: re.Match[str]) -> str:
        self._count("id_number")
        # The fake keeps the shape a trainee reads back (the last four), never a real checksum-valid ID.
        return "*" * (len(m.group(0)) - 4) + self._fake_digits(4).translate(_FULLWIDTH)

    def _phone(self, m: re.Match[str]) -> str:
        self._count("phone")
        return f"1{self.rng.choice('3578')}{self.rng.randint(0, 9)}****{self._fake_digits(4)}".translate(_FULLWIDTH)

    def _shifted(self, year: int, month: int, day: int) -> date | None:
        try:
            return date(year, month, day) + self.shift
        except ValueError:
            return None

    def _iso_date(self, m: re.Match[str]) -> str:
        moved = self._shifted(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if moved is None:
            return self._digits(m)
        self._count("date")
        return f"{moved.year}-{moved.month:02d}-{moved.day:02d}".translate(_FULLWIDTH)

    def _cn_date(self, m: re.Match[str]) -> str:
        year = int(m.group(1)) if m.group(1) else self.year
        moved = self._shifted(year, int(m.group(2)), int(m.group(3)))
        if moved is None:
            return "某月某日"
        self._count("date")
        head = f"{_cn_number(moved.year)}年" if m.group(1) else ""
        return f"{head}{_cn_number(moved.month)}月{_cn_number(moved.day)}日"

    def _day(self, m: re.Match[str]) -> str:
        moved = (int(m.group(1)) - 1 + self.shift.days) % 28 + 1
        self._count("date")
        return f"{_cn_number(moved)}号"

    def _amount(self, m: re.Match[str]) -> str:
        raw = m.group("a") or m.group("b")
        try:
            value = Decimal(raw.replace(",", ""))
        except InvalidOperation:
            return m.group(0)
        places = Decimal("0.01") if "." in raw else Decimal(1)
        scaled = (value * self.factor).quantize(places, rounding=ROUND_HALF_UP)
        if scaled == value:
            scaled += places
        self._count("amount")
        figure = _spell_digits(scaled)
        if m.group("pre"):
            return f"{m.group('pre')}{figure}"
        return f"{figure}{m.group('unit')}"

    def _digits(self, m: re.Match[str]) -> str:
        self._count("digits")
        return "#" * len(m.group(0))


_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
_CN_DIGITS = "〇一二三四五六七八九"


def _spell_digits(value: Decimal) -> str:
    """A figure in full-width digits: readable, and out of reach of the ASCII digit passes after it."""
    text = f"{value:,}" if value == value.to_integral_value() else f"{value:,.2f}"
    return text.translate(_FULLWIDTH)


def _cn_number(n: int) -> str:
    if n >= 1000:
        return "".join(_CN_DIGITS[int(d)] for d in str(n))
    if n < 10:
        return _CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _CN_DIGITS[tens]) + "十" + (_CN_DIGITS[ones] if ones else "")


def _is_cjk(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" for ch in text)


def mask_transcript(
    turns: Sequence[tuple[str, str]], known_names: Sequence[str], seed: int, today: date | None = None
) -> Masking:
    """The call's turns with names, identity and phone numbers, amounts, dates and long digit runs replaced.

    ``known_names``: everybody the case names (the debtor, third parties, the collector); honorifics
    (王先生, Ms Li) are caught without being listed. Deterministic per ``seed``.
    """
    masker = _Masker(known_names, seed, today)
    masked = tuple(MaskedTurn(speaker, masker.mask(text)) for speaker, text in turns)
    return Masking(masked, dict(masker.counts))


def shared_scenario_source(base_source: str, *, key: str, call_id: int) -> str:
    """The YAML of a scenario made from a shared call: the base scenario's persona, facts ranges and rules
    under a new key, its titles marked as a shared case. The real call itself is not in it (the app keeps
    the masked call as the debrief's reference)."""
    data = yaml.safe_load(base_source)
    target = _scenario_mapping(data)
    if target is None:
        raise ValueError("the base scenario's YAML holds no scenario with a key")
    target["key"] = key
    title = target.get("title")
    if isinstance(title, dict):
        target["title"] = {
            lang: (f"案例共享 #{call_id}：{text}" if str(lang).startswith("zh") else f"Shared case #{call_id}: {text}")
            for lang, text in title.items()
        }
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def _scenario_mapping(data: object) -> dict[str, object] | None:
    if isinstance(data, dict):
        if "key" in data:
            return data
        scenarios = data.get("scenarios")
        if isinstance(scenarios, list) and len(scenarios) == 1 and isinstance(scenarios[0], dict):
            return scenarios[0]
    if isinstance(data, list) and len(data) == 1 and isinstance(data[0], dict):
        return data[0]
    return None
