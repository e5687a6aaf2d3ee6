"""The values a message's placeholders take, from a case's facts, in the message's language.

Amounts are exact to the fen (format_yuan) and dates are the debtor's local calendar dates, written the way
each language writes them, so "12,635.67" and "2026年12月5日" read the same in an SMS, an e-mail and a letter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from huikuan.kernel.money import format_yuan
from huikuan.kernel.names import honorific
from huikuan.kernel.pii import mask_text

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")  # fmt: skip


@dataclass(frozen=True, slots=True)
class Amounts:
    principal: Decimal = Decimal("0.00")
    interest: Decimal = Decimal("0.00")
    fee: Decimal = Decimal("0.00")
    penalty: Decimal = Decimal("0.00")

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.fee + self.penalty


@dataclass(frozen=True, slots=True)
class MessageFacts:
    name: str
    gender: str
    company_debtor: bool
    contract_no: str
    amounts: Amounts
    today: date
    due_date: date | None = None
    deadline: date | None = None
    promise_amount: Decimal | None = None
    promise_date: date | None = None
    payment_amount: Decimal | None = None
    payment_date: date | None = None
    plan_summary: str = ""
    next_due_date: date | None = None
    next_due_amount: Decimal | None = None
    creditor: dict[str, str] = field(default_factory=dict)  # language → name
    law_firm: dict[str, str] = field(default_factory=dict)  # language → name, for lawyer's letters
    hotline: str = ""
    payment_channels: dict[str, str] = field(default_factory=dict)  # language → text


def format_date(day: date, lang: str) -> str:
    if lang.startswith("zh"):
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def masked_contract(contract_no: str) -> str:
    return f"****{contract_no[-4:]}" if len(contract_no) > 4 else contract_no


def values_for(facts: MessageFacts, lang: str) -> dict[str, str]:
    """Placeholder values; a fact the case lacks (no promise, no plan) is simply absent."""
    zh = lang.startswith("zh")
    values: dict[str, str] = {
        "honorific": honorific(facts.name, facts.gender, company=facts.company_debtor, lang=lang),
        "account": masked_contract(facts.contract_no),
        "contract_no": facts.contract_no,
        "total": format_yuan(facts.amounts.total),
        "principal": format_yuan(facts.amounts.principal),
        "interest": format_yuan(facts.amounts.interest),
        "fee": format_yuan(facts.amounts.fee),
        "penalty": format_yuan(facts.amounts.penalty),
        "today": format_date(facts.today, lang),
        "company": facts.creditor.get("zh" if zh else "en", ""),
        "hotline": facts.hotline,
        "law_firm": facts.law_firm.get("zh" if zh else "en", ""),
        "plan_summary": facts.plan_summary,
        "payment_channels": facts.payment_channels.get("zh" if zh else "en", ""),
    }
    if facts.due_date is not None:
        values["due_date"] = format_date(facts.due_date, lang)
        values["dpd"] = str(max(0, (facts.today - facts.due_date).days))
    optional_dates = {
        "deadline": facts.deadline,
        "promise_date": facts.promise_date,
        "payment_date": facts.payment_date,
        "next_due_date": facts.next_due_date,
    }
    for name, day in optional_dates.items():
        if day is not None:
            values[name] = format_date(day, lang)
    optional_amounts = {
        "promise_amount": facts.promise_amount,
        "payment_amount": facts.payment_amount,
        "next_due_amount": facts.next_due_amount,
    }
    for name, amount in optional_amounts.items():
        if amount is not None:
            values[name] = format_yuan(amount)
    return values


def masked_for_display(values: dict[str, str]) -> dict[str, str]:
    """The values with the personal ones masked, for a preview on screen (nothing is sent from it).

    The honorific stays: it is the surname and a title, the way every screen addresses the debtor. The full
    contract number and the letter's recipient name and address are masked as the case pages mask them.
    """
    shown = dict(values)
    if shown.get("contract_no"):
        shown["contract_no"] = masked_contract(shown["contract_no"])
    if shown.get("recipient_name"):
        shown["recipient_name"] = mask_text(shown["recipient_name"])
    if shown.get("recipient_address"):
        shown["recipient_address"] = mask_text(shown["recipient_address"], keep=3)
    return shown
