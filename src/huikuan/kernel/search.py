"""What a search box's text names: the stored values a case is found by, never what the screen shows.

Names are masked on screen (张**), phone numbers are stored in E.164 (+8613812341234) and shown masked
(138****1234, 尾号1234), national ID numbers are stored only as a keyed hash and their last four characters.
So a collector types part of a name, a whole number, a number's tail or an ID's tail, and ``parse_query``
reads the text once into the terms each stored value is compared with:

- ``number``: the text as a customer or contract number (folded to ASCII, outer spaces gone): exact match;
- ``name``: a part of a name, when the text has a character that is not a digit (张三, 三丰, 华泰); a masked
  name as the screen shows it (张**) is its unmasked start;
- ``phone``: a whole Chinese phone number in E.164, however it is spelt (full-width digits, spaces, +86);
- ``phone_head`` and ``tail``: a masked number as shown (138****1234) is its first three and last four digits;
- ``tail``: four characters, bare (1234), after 尾号 or after asterisks (****123X): the last four of a phone
  number or of an ID number;
- ``id_number``: 15 to 18 characters shaped like an ID or credit code, compared by its keyed hash (the caller
  holds the key).

Text with control characters (NUL) or longer than ``MAX_QUERY`` is refused (``SearchError``); it could not
name anything stored, and PostgreSQL refuses NUL in a query parameter.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from huikuan.kernel.identifiers import fold, has_control, normalise_phone

MAX_QUERY = 100
# How a collector names a tail: 尾号1234, 手机尾号1234, 身份证尾号123X, or the masked form ****1234.
_TAIL_WORDS = re.compile(r"^(?:手机|电话|身份证|证件)?(?:尾号|后四位|末四位)[:：\s]*")
_TAIL = re.compile(r"[0-9]{3}[0-9X]")
_MASKED_PHONE = re.compile(r"(1[0-9]{2})\*{2,6}([0-9]{4})")
_ID_SHAPE = re.compile(r"[0-9A-Z]{15,18}")
_SPACES = re.compile(r"[\s\-\u3000]+")


class SearchError(ValueError):
    """The text cannot be searched for; ``code`` is 'control' or 'too_long' (the caller words it)."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(code)


@dataclass(frozen=True, slots=True)
class SearchTerms:
    number: str = ""
    name: str = ""
    phone: str = ""
    phone_head: str = ""
    tail: str = ""
    id_number: str = ""

    @property
    def empty(self) -> bool:
        return not (self.number or self.name or self.phone or self.tail or self.id_number)


def parse_query(raw: str) -> SearchTerms:
    """The terms ``raw`` can match (see the module's docstring); empty terms for blank text."""
    if has_control(raw):
        raise SearchError("control")
    text = fold(raw).strip()
    if len(text) > MAX_QUERY:
        raise SearchError("too_long")
    if not text:
        return SearchTerms()
    compact = _SPACES.sub("", text).upper()
    masked = _MASKED_PHONE.fullmatch(compact)
    if masked:
        return SearchTerms(phone_head=masked.group(1), tail=masked.group(2))
    named_tail = _TAIL_WORDS.sub("", compact)
    if named_tail != compact or compact.startswith("*"):
        tail = named_tail.lstrip("*")
        return SearchTerms(tail=tail) if _TAIL.fullmatch(tail) else SearchTerms(number=text)
    phone = normalise_phone(compact) if any(c.isdigit() for c in compact) else None
    return SearchTerms(
        number=text,
        name=_name_part(text),
        phone=phone or "",
        tail=compact if _TAIL.fullmatch(compact) else "",
        id_number=compact if _ID_SHAPE.fullmatch(compact) and _id_like(compact) else "",
    )


def _name_part(text: str) -> str:
    """The part of a name the text gives: none for digits alone, the start of a masked name (张** → 张)."""
    if all(c.isdigit() or c in " -+*" for c in text):
        return ""
    return text.split("*", 1)[0].strip() if "*" in text else text


def _id_like(compact: str) -> bool:
    """An 18-character resident ID (17 digits and a digit or X), a 15-digit old one, or an 18-character
    credit code: enough to be worth a keyed hash."""
    if len(compact) == 15:
        return compact.isdigit()
    return len(compact) == 18


def _key(text: str) -> str:
    return "".join(fold(text).split()).casefold()


def resolve_choice(text: str, choices: Iterable[tuple[str, Iterable[str]]]) -> str | None:
    """The code a filter's text names: the code itself or any of its labels (跳票 or broken_promise, 已结案 or
    closed), compared without case, width or spaces; None when it names none, "" for blank text."""
    wanted = _key(text)
    if not wanted:
        return ""
    for code, labels in choices:
        if wanted == _key(code) or any(wanted == _key(label) for label in labels if label):
            return code
    return None
