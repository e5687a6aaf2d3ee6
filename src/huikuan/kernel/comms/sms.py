"""How carriers count an SMS: the number of segments a text is billed and delivered as.

A text made only of GSM 03.38 characters travels in the 7-bit alphabet: 160 characters fit in one message,
153 per segment once concatenated (the user-data header takes the rest). Anything else, Chinese above all,
travels as UCS-2: 70 characters alone, 67 per segment when concatenated. Characters outside the Basic
Multilingual Plane (emoji, rare CJK extension B ideographs) take two UCS-2 code units each, and carriers
count units, so they count double here too.
"""

from __future__ import annotations

from dataclasses import dataclass

# The GSM 03.38 basic set, and the extension characters that cost an escape plus the character (2 septets).
_GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = frozenset("^{}\\[~]|€\f")

GSM_SINGLE, GSM_MULTI = 160, 153
UCS2_SINGLE, UCS2_MULTI = 70, 67


@dataclass(frozen=True, slots=True)
class SmsLength:
    encoding: str  # "gsm7" or "ucs2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int
    per_segment: int  # capacity of each segment for this text
    remaining: int  # units still free in the last segment

    def describe(self) -> str:
        return f"{self.units} / {self.segments} × {self.per_segment} ({self.encoding})"


def is_gsm7(text: str) -> bool:
    return all(ch in _GSM_BASIC or ch in _GSM_EXTENDED for ch in text)


def sms_length(text: str) -> SmsLength:
    """Segments and units for ``text`` the way carriers bill it; an empty text is one (empty) segment."""
    if is_gsm7(text):
        units = sum(2 if ch in _GSM_EXTENDED else 1 for ch in text)
        single, multi, encoding = GSM_SINGLE, GSM_MULTI, "gsm7"
    else:
        units = sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)
        single, multi, encoding = UCS2_SINGLE, UCS2_MULTI, "ucs2"
    if units <= single:
        return SmsLength(encoding, units, 1, single, single - units)
    segments = -(-units // multi)
    return SmsLength(encoding, units, segments, multi, segments * multi - units)
