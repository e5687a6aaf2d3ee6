"""Which objection is the debtor raising? Keyword matching over a few words the collector types.

Matching is deliberately simple and explainable: the text is normalised (lower case, full-width to
half-width, spaces and punctuation dropped for Chinese), each objection scores the total length of its
keywords found in it (a longer keyword is more specific: "不是这么多" beats "不对"), and the best scores
come first. Both languages' keywords are tried, because collectors type whatever comes to hand.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from huikuan.kernel.scripts.compose import fill
from huikuan.kernel.scripts.library import Library, ObjectionSpec

_DROP = {ord(c): None for c in " \t\r\n,.;:!?'\"，。；：！？、“”‘’（）()-_…"}


@dataclass(frozen=True, slots=True)
class Match:
    key: str
    score: int
    keywords: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ObjectionCard:
    key: str
    label: str
    sentences: tuple[str, ...]
    actions: tuple[str, ...]


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def _squeeze(text: str) -> str:
    return text.translate(_DROP)


def match_objections(text: str, library: Library, limit: int = 3) -> list[Match]:
    """Objections whose keywords occur in ``text``, best first; empty when nothing matches."""
    lowered = normalise(text)
    # English keywords match whole words ("later" not in "collateral"); Chinese ones anywhere in the text.
    padded = " " + " ".join(re.sub(r"[^\w\s']", " ", lowered).split()) + " "
    squeezed = _squeeze(lowered)
    if not squeezed:
        return []
    found = []
    for spec in library.objections:
        hits = tuple(k for k in spec.keywords_zh if _squeeze(k) in squeezed) + tuple(
            k for k in spec.keywords_en if f" {k} " in padded
        )
        if hits:
            found.append(Match(spec.key, sum(len(_squeeze(k)) for k in hits), hits))
    order = {spec.key: i for i, spec in enumerate(library.objections)}
    found.sort(key=lambda m: (-m.score, order[m.key]))
    return found[:limit]


def card(spec: ObjectionSpec, lang: str, known: Mapping[str, str], held: set[str]) -> ObjectionCard:
    return ObjectionCard(spec.key, spec.label.get(lang), fill(spec.sentences, lang, known, held), spec.actions)
