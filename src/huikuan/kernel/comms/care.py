"""What a care message must not say: anything of collection.

A greeting before a festival that mentions the debt, a date to pay or a way to pay is a collection message
in disguise, sent on a day and to people (sincere payers, closed cases) that collection would not reach.
The template screen refuses a care template that has any of it; the words are few and plain on purpose.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Placeholders that carry the debt: amounts, dates to pay, the account, the ways to pay.
COLLECTION_PLACEHOLDERS = frozenset(
    {
        "total", "principal", "interest", "fee", "penalty", "dpd", "due_date", "due_amount", "deadline",
        "account", "contract_no", "payment_channels", "plan_summary", "next_due_date", "next_due_amount",
        "promise_date", "promise_amount", "payment_date", "payment_amount", "law_firm",
    }
)  # fmt: skip
_WORDS = re.compile(
    r"还款|欠款|欠费|逾期|催收|催缴|应还|待还|到期|账单|本金|利息|滞纳金|违约|起诉|诉讼|征信|"
    r"\b(?:repay\w*|payments?|pay|overdue|debts?|due|outstanding|balance|arrears|owe[sd]?|collection|credit record|"
    r"legal action|court|CNY)\b|\d[\d,]*(?:\.\d+)?\s*元",
    re.IGNORECASE,
)
_PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")


@dataclass(frozen=True, slots=True)
class CareFlag:
    start: int
    end: int
    excerpt: str


def collection_content(text: str) -> list[CareFlag]:
    """Every span of ``text`` that speaks of the debt (a word, an amount, a placeholder of the debt)."""
    flags = [CareFlag(m.start(), m.end(), m.group(0)) for m in _WORDS.finditer(text)]
    flags += [
        CareFlag(m.start(), m.end(), m.group(0))
        for m in _PLACEHOLDER.finditer(text)
        if m.group(1) in COLLECTION_PLACEHOLDERS
    ]
    return sorted(flags, key=lambda f: f.start)
