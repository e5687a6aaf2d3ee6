"""Template variables: ``{{ name }}`` placeholders filled from a case's facts, strictly.

A placeholder with no value is an error reported back (a reminder must never go out reading "{{amount}}"),
and an unknown name in a template is caught when the version is saved, not when ten thousand messages go
out. HTML bodies get their values escaped; the template's own markup is trusted because it was reviewed
and screened before activation.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

PLACEHOLDER = re.compile(r"\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}")

# Every variable a template may use, with what it holds; the case page's preview lists these.
VARIABLES: dict[str, str] = {
    "honorific": "name with honorific (张先生 / Mr Zhang)",
    "account": "masked contract number (****1234)",
    "contract_no": "full contract number (letters only)",
    "total": "amount owed in yuan, exact to the fen",
    "principal": "principal owed",
    "interest": "interest owed",
    "fee": "fees owed",
    "penalty": "late penalty owed",
    "due_date": "oldest unpaid due date",
    "dpd": "days past due",
    "deadline": "date by which to pay",
    "promise_amount": "amount of the latest promise to pay",
    "promise_date": "date of the latest promise to pay",
    "payment_amount": "amount of the payment being confirmed",
    "payment_date": "date of the payment being confirmed",
    "plan_summary": "the agreed repayment plan",
    "next_due_date": "next instalment date",
    "next_due_amount": "next instalment amount",
    "due_amount": "amount falling due on the account (reminders before the due date)",
    "payment_channels": "how to pay",
    "company": "creditor's name",
    "hotline": "creditor's service line",
    "law_firm": "law firm acting for the creditor (lawyer's letters)",
    "today": "date of the message",
    "currency": "the installation's currency code (DEFAULT_CURRENCY)",
    "itemization_date": "US validation notice: the itemisation date",
    "itemization_amount": "US validation notice: amount owed on the itemisation date",
    "itemization_interest": "US validation notice: interest charged since the itemisation date",
    "itemization_fees": "US validation notice: fees charged since the itemisation date",
    "itemization_paid": "US validation notice: paid or credited since the itemisation date",
    "itemization_now": "US validation notice: amount owed now (the itemisation's sum)",
    "validation_end_date": "US validation notice: last day of the validation period",
    "self_service_link": "the debtor's self-service link (signed, for this case only, expiring)",
    "access_code": "the one-time code that opens a self-service link (only in the code message)",
}


class TemplateError(ValueError):
    """A template that cannot be rendered: unknown or missing variables."""


@dataclass(frozen=True, slots=True)
class Rendered:
    text: str
    missing: tuple[str, ...]


def placeholders(text: str) -> tuple[str, ...]:
    """Names used in ``text``, in order of first use."""
    return tuple(dict.fromkeys(PLACEHOLDER.findall(text)))


def unknown_variables(texts: Iterable[str]) -> tuple[str, ...]:
    return tuple(name for text in texts for name in placeholders(text) if name not in VARIABLES)


def render(text: str, values: Mapping[str, str], *, escape: bool = False) -> Rendered:
    """Fill the placeholders; names with no (or an empty) value are listed in ``missing`` and left visible."""
    missing: list[str] = []

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        value = values.get(name, "")
        if value == "":
            missing.append(name)
            return match.group(0)
        return html.escape(value) if escape else value

    return Rendered(PLACEHOLDER.sub(fill, text), tuple(dict.fromkeys(missing)))


def render_strict(text: str, values: Mapping[str, str], *, escape: bool = False) -> str:
    result = render(text, values, escape=escape)
    if result.missing:
        raise TemplateError("no value for: " + ", ".join(result.missing))
    return result.text


def content_hash(*parts: str | bytes) -> str:
    """SHA-256 over the rendered parts, length-prefixed so ('ab', 'c') and ('a', 'bc') differ."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()
