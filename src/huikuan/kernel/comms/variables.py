"""The values a message's placeholders take, from a case's facts, in the message's language.

Amounts are exact to the fen (format_yuan) and dates are the debtor's local calendar dates, written the way
each language writes them, so "12,635.67" and "2026年12月5日" read the same in an SMS, an e-mail and a letter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import polars as pl

from huikuan.kernel.money import fen_text, format_yuan
from huikuan.kernel.names import honorific, honorific_column
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


# The facts of many debtors as one frame (``values_frame``'s input): amounts in whole fen, dates as dates.
FACTS_SCHEMA: dict[str, pl.DataType] = {
    "debtor_id": pl.Int64(), "name": pl.String(), "gender": pl.String(), "company": pl.Boolean(),
    "contract_no": pl.String(), "principal": pl.Int64(), "interest": pl.Int64(), "fee": pl.Int64(),
    "penalty": pl.Int64(), "due_date": pl.Date(), "deadline": pl.Date(), "promise_amount": pl.Int64(),
    "promise_date": pl.Date(), "payment_amount": pl.Int64(), "payment_date": pl.Date(),
    "plan_summary": pl.String(), "next_due_date": pl.Date(), "next_due_amount": pl.Int64(),
}  # fmt: skip
# ``values_for``'s names in the order it sets them (the stored JSON keeps that order on SQLite).
_FIXED = ("honorific", "account", "contract_no", "total", "principal", "interest", "fee", "penalty", "today",
          "company", "hotline", "law_firm", "plan_summary", "payment_channels")  # fmt: skip
_OPTIONAL_DATES = ("deadline", "promise_date", "payment_date", "next_due_date")
_OPTIONAL_AMOUNTS = ("promise_amount", "payment_amount", "next_due_amount")
VALUE_ORDER = (*_FIXED, "due_date", "dpd", *_OPTIONAL_DATES, *_OPTIONAL_AMOUNTS)


@dataclass(frozen=True, slots=True)
class SenderTexts:
    """What every message of a batch says the same: the creditor, the law firm, the hotline, how to pay."""

    creditor: Mapping[str, str] = field(default_factory=dict)  # "zh"/"en" → name
    law_firm: Mapping[str, str] = field(default_factory=dict)
    hotline: str = ""
    payment_channels: Mapping[str, str] = field(default_factory=dict)


def date_text(day: pl.Expr, lang: str) -> pl.Expr:
    """``format_date`` over a date column."""
    year, month, dom = day.dt.year().cast(pl.Utf8), day.dt.month(), day.dt.day().cast(pl.Utf8)
    if lang.startswith("zh"):
        return pl.concat_str(year, pl.lit("年"), month.cast(pl.Utf8), pl.lit("月"), dom, pl.lit("日"))
    name = month.replace_strict(dict(enumerate(_MONTHS, start=1)), return_dtype=pl.Utf8)
    return pl.concat_str(dom, pl.lit(" "), name, pl.lit(" "), year)


def values_frame(facts: pl.DataFrame, lang: str, today: date, sender: SenderTexts) -> pl.DataFrame:
    """``values_for`` of many debtors at once: ``facts`` (FACTS_SCHEMA columns, a debtor a row) to one
    text column per placeholder (VALUE_ORDER), null where ``values_for`` leaves the value out; with
    "debtor_id". A test holds it to ``values_for`` row by row."""
    zh = lang.startswith("zh")
    side = "zh" if zh else "en"
    parts = ("principal", "interest", "fee", "penalty")
    contract = pl.col("contract_no")
    fixed = {
        "honorific": honorific_column(pl.col("name"), pl.col("gender"), pl.col("company"), lang),
        "account": pl.when(contract.str.len_chars() > 4)
        .then(pl.concat_str(pl.lit("****"), contract.str.slice(-4)))
        .otherwise(contract),
        "contract_no": contract,
        "total": fen_text(pl.sum_horizontal(*parts)),
        **{part: fen_text(pl.col(part)) for part in parts},
        "today": pl.lit(format_date(today, lang)),
        "company": pl.lit(sender.creditor.get(side, "")),
        "hotline": pl.lit(sender.hotline),
        "law_firm": pl.lit(sender.law_firm.get(side, "")),
        "plan_summary": pl.col("plan_summary"),
        "payment_channels": pl.lit(sender.payment_channels.get(side, "")),
    }
    days_overdue = (pl.lit(today) - pl.col("due_date")).dt.total_days().clip(lower_bound=0)
    optional = {
        "due_date": date_text(pl.col("due_date"), lang),
        "dpd": days_overdue.cast(pl.Utf8),
        **{name: date_text(pl.col(name), lang) for name in _OPTIONAL_DATES},
        **{name: fen_text(pl.col(name)) for name in _OPTIONAL_AMOUNTS},
    }
    typed = facts.select([pl.col(name).cast(dtype) for name, dtype in FACTS_SCHEMA.items()])
    return typed.select(
        "debtor_id",
        *(expr.cast(pl.Utf8).alias(name) for name, expr in {**fixed, **optional}.items()),
    )


def value_dicts(values: pl.DataFrame) -> dict[int, dict[str, str]]:
    """``values_frame``'s rows as ``values_for``'s dictionaries, by debtor (absent values left out)."""
    names = values.columns[1:]
    return {
        row[0]: {name: value for name, value in zip(names, row[1:], strict=True) if value is not None}
        for row in values.iter_rows()
    }


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
