"""Validation of imported account rows: raw text in, a clean record or precise errors out.

Each error names the row (as the user counts it: the header is row 1), the column as it is headed in
the user's file, the offending value and a reason code with parameters; the adapter turns the code into
a sentence in the user's language. Nothing here touches a database.
"""

from __future__ import annotations

import hashlib
import marshal
import re
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from operator import itemgetter
from typing import Any
from zoneinfo import available_timezones

import polars as pl

from huikuan.kernel import pii, text
from huikuan.kernel.identifiers import normalise_email, normalise_phone, normalise_reference
from huikuan.kernel.localtime import DEFAULT_TIME_ZONE
from huikuan.kernel.money import FEN, MoneyError, amount_text_refused, parse_amount, plain_amount_fen
from huikuan.kernel.pii import cn_id_valid
from huikuan.kernel.regions import region_code

REQUIRED = (
    "customer_no",
    "name",
    "contract_no",
    "product",
    "original_amount",
    "open_date",
    "due_date",
    "principal",
)
OPTIONAL = (
    "debtor_kind",
    "gender",
    "id_type",
    "id_number",
    "employer",
    "monthly_income",
    "address",
    "time_zone",
    "region",
    "language",
    "mobile",
    "home_phone",
    "work_phone",
    "email",
    "contact1_name",
    "contact1_relation",
    "contact1_phone",
    "contact2_name",
    "contact2_relation",
    "contact2_phone",
    "currency",
    "annual_interest_rate",
    "daily_penalty_rate",
    "interest",
    "fee",
    "penalty",
    "as_of",
    "team",
    "collector",
)
FIELDS = REQUIRED + OPTIONAL

# Values teams actually put in their exports, in both languages, mapped to the stored codes.
PRODUCTS = {
    "credit_card": "credit_card",
    "信用卡": "credit_card",
    "consumer_loan": "consumer_loan",
    "消费贷": "consumer_loan",
    "消费贷款": "consumer_loan",
    "个人贷款": "consumer_loan",
    "b2b_invoice": "b2b_invoice",
    "赊销": "b2b_invoice",
    "赊销账款": "b2b_invoice",
    "应收账款": "b2b_invoice",
}
DEBTOR_KINDS = {
    "person": "person",
    "个人": "person",
    "company": "company",
    "企业": "company",
    "公司": "company",
}
GENDERS = {
    "male": "male",
    "m": "male",
    "男": "male",
    "female": "female",
    "f": "female",
    "女": "female",
    "unknown": "unknown",
    "": "unknown",
}
RELATIONS = {
    "spouse": "spouse",
    "配偶": "spouse",
    "relative": "relative",
    "亲属": "relative",
    "父母": "relative",
    "子女": "relative",
    "colleague": "colleague",
    "同事": "colleague",
    "guarantor": "guarantor",
    "担保人": "guarantor",
    "emergency": "emergency",
    "紧急联系人": "emergency",
    "other": "other",
    "其他": "other",
    "朋友": "other",
}
ID_TYPES = {
    "resident_id": "resident_id",
    "身份证": "resident_id",
    "credit_code": "credit_code",
    "统一社会信用代码": "credit_code",
    "passport": "passport",
    "护照": "passport",
    "other": "other",
    "其他": "other",
}
LANGUAGES = {
    "zh-hans": "zh-hans",
    "zh": "zh-hans",
    "中文": "zh-hans",
    "en": "en",
    "english": "en",
    "英文": "en",
}
CURRENCIES = frozenset({"CNY", "HKD", "USD", "EUR", "GBP"})
_DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
_PASSPORT = re.compile(r"^[A-Z0-9]{5,20}$")


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    column: str
    value: str
    code: str
    params: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Contact:
    kind: str
    value: str
    relation: str = "self"
    name: str = ""


@dataclass(frozen=True, slots=True)
class AccountRow:
    row: int
    customer_no: str
    debtor_kind: str
    name: str
    gender: str
    id_type: str
    id_number: str
    employer: str
    monthly_income: Decimal | None
    address: str
    time_zone: str
    language: str
    region: str  # kernel.regions.region_code: a US state as its code, else as written
    contacts: tuple[Contact, ...]
    contract_no: str
    product: str
    currency: str
    original_amount: Decimal
    open_date: date
    due_date: date
    annual_interest_rate: Decimal
    daily_penalty_rate: Decimal
    principal: Decimal
    interest: Decimal
    fee: Decimal
    penalty: Decimal
    as_of: date | None
    team: str
    collector: str


@dataclass(frozen=True)
class RowContext:
    region: str = "CN"
    default_time_zone: str = DEFAULT_TIME_ZONE
    default_currency: str = "CNY"
    # Field → the most characters its database column holds; the adapter reads them from the models
    # (intake.importer.FIELD_LIMITS), so a value too long is a row error, not a failed INSERT.
    limits: Mapping[str, int] = field(default_factory=dict)
    # No amount of a row may exceed this (HUIKUAN_MAX_AMOUNT): a principal of ten trillion is a typo of
    # extra zeros, not a debt, and it would be written off or collected as one.
    max_amount: Decimal = Decimal("100000000.00")


class _Row:
    """Collects errors while reading one row, so every problem of the row is reported at once."""

    def __init__(
        self,
        number: int,
        raw: Mapping[str, str],
        headers: Mapping[str, str],
        limits: Mapping[str, int],
        max_amount: Decimal | None = None,
        checked: Mapping[str, object] | None = None,
    ) -> None:
        self.number = number
        self.max_amount = max_amount if max_amount is not None else RowContext.max_amount
        # Stripped once here: a row's fields are read about 40 times in all, and `text` is the dict's own
        # lookup (an absent field reads as ""), not a Python-level method call each time.
        # Built from a dict comprehension: half the cost of feeding update() a generator.
        values = defaultdict(str, {name: value.strip() for name, value in raw.items() if value})
        self.text: Callable[[str], str] = values.__getitem__
        self.headers = headers
        self.errors: list[RowError] = []
        # A cell that cannot be stored (too long, a control character, too large) is reported once, for
        # what it is; the row's other checks read it as empty and say nothing more about it.
        self.bad = text.cell_problems(values, limits)
        for name, problem in self.bad.items():
            self.errors.append(
                RowError(number, headers.get(name, name), self._echo(name, values[name]), problem.code,
                         dict(problem.params))
            )  # fmt: skip
            values[name] = ""
        # The fields the columnar checks passed (checked_fields), with their values: not read again.
        self.checked: Mapping[str, object] = {} if self.bad or checked is None else checked

    @staticmethod
    def _echo(name: str, value: str) -> str:
        if name == "id_number":
            # The error report is shown, downloaded and kept in the session: an ID number is never shown
            # whole there either, and one failing its check character is usually a real one mistyped.
            return pii.mask_id_number(text.visible(value))
        return text.visible(value)

    def error(self, name: str, code: str, **params: str) -> None:
        if name in self.bad:
            return
        self.errors.append(
            RowError(self.number, self.headers.get(name, name), self._echo(name, self.text(name)), code, params)
        )

    def required(self, name: str) -> str:
        value = self.text(name)
        if not value:
            self.error(name, "required")
        return value

    def choice(self, name: str, table: Mapping[str, str], default: str) -> str:
        value = self.text(name)
        if not value:
            return default
        found = table.get(value.lower()) or table.get(value)
        if found is None:
            self.error(name, "choice", allowed=", ".join(sorted(set(table.values()))))
            return default
        return found

    def amount(self, name: str, *, required: bool = False, allow_zero: bool = True) -> Decimal | None:
        if name in self.checked:
            fen = self.checked[name]
            # The Decimal parse_amount gives (two places), at a sixth of its cost.
            return None if fen is None else Decimal(fen).scaleb(-2)  # type: ignore[arg-type]
        value = self.text(name)
        if not value:
            if required:
                self.error(name, "required")
            return None
        try:
            amount = parse_amount(value)
        except MoneyError:
            self.error(name, "amount")
            return None
        if amount < 0:
            self.error(name, "negative")
            return None
        if amount > self.max_amount:
            self.error(name, "too_large", maximum=f"{self.max_amount:,.2f}")
            return None
        if not allow_zero and amount == 0:
            self.error(name, "zero")
            return None
        return amount

    def rate(self, name: str) -> Decimal:
        value = self.text(name).rstrip("%")
        if not value:
            return Decimal("0")
        try:
            rate = Decimal(value)
        except ArithmeticError:
            self.error(name, "rate")
            return Decimal("0")
        if not rate.is_finite():  # NaN would raise on the comparisons below; Infinity is out of range anyway
            self.error(name, "rate")
            return Decimal("0")
        if self.text(name).endswith("%"):
            rate = rate / 100
        if rate < 0 or rate >= 10:
            self.error(name, "rate")
            return Decimal("0")
        return rate

    def date(self, name: str, *, required: bool = False) -> date | None:
        if name in self.checked:
            return self.checked[name]  # type: ignore[return-value]
        value = self.text(name)
        if not value:
            if required:
                self.error(name, "required")
            return None
        parsed = parse_date(value)
        if parsed is None:
            self.error(name, "date")
        return parsed

    def phone(self, name: str, region: str) -> str | None:
        value = self.text(name)
        if not value:
            return None
        normalised = normalise_phone(value, region)
        if normalised is None:
            self.error(name, "phone")
        return normalised


def date_column(value: pl.Expr) -> pl.Expr:
    """`parse_date` for a column of stripped texts whose dates are spelt in ASCII digits: the same patterns
    (``_DATE_PATTERNS``, ``\\d`` read as ``[0-9]``), the same cut at a space or a T. Null where it gives
    None, and where a pattern would take another script's digits, which only `parse_date` reads."""
    day = value.str.extract(r"^([^ T]*)")
    found: pl.Expr = pl.lit(None, dtype=pl.Date)
    for pattern in reversed(_DATE_PATTERNS):
        parts = day.str.extract_groups(pattern.pattern.replace(r"\d", "[0-9]"))
        year, month, dom = (parts.struct.field(str(i)) for i in (1, 2, 3))
        text = pl.concat_str([year, month.str.pad_start(2, "0"), dom.str.pad_start(2, "0")], separator="-")
        parsed = pl.when(year.cast(pl.Int64, strict=False) >= 1).then(text.str.to_date("%Y-%m-%d", strict=False))
        # The first pattern that matches decides, as in parse_date (a match that is no date is None).
        found = pl.when(year.is_not_null()).then(parsed).otherwise(found)
    return found


def parse_date(value: str) -> date | None:
    text = value.strip()
    if " " in text or "T" in text:
        # Spreadsheets export dates as '2024-01-31 00:00:00'; the time carries no meaning here.
        text = re.split(r"[ T]", text, maxsplit=1)[0]
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            try:
                return date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                return None
    return None


@lru_cache(maxsize=1)
def _time_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def validate_row(
    number: int,
    raw: Mapping[str, str],
    headers: Mapping[str, str],
    ctx: RowContext,
    checked: Mapping[str, object] | None = None,
) -> tuple[AccountRow | None, list[RowError]]:
    """Validate one row; `headers` maps each canonical field to the column title in the user's file.

    `checked` is the row's answer from `checked_fields` (the columnar checks of its chunk): the fields it
    passed are taken as it read them. The answer is the same with it or without it (a property test)."""
    row = _Row(number, raw, headers, ctx.limits, ctx.max_amount, checked)
    customer_no = normalise_reference(row.required("customer_no"))
    name = row.required("name")
    contract_no = normalise_reference(row.required("contract_no"))
    product = row.text("product")
    if not product:
        row.error("product", "required")
    else:
        product = row.choice("product", PRODUCTS, "")
    debtor_kind = row.choice("debtor_kind", DEBTOR_KINDS, "person")
    gender = row.choice("gender", GENDERS, "unknown")
    default_id_type = "credit_code" if debtor_kind == "company" else "resident_id"
    id_type = row.choice("id_type", ID_TYPES, default_id_type) if row.text("id_number") else ""
    id_number = pii.normalise_id_number(row.text("id_number"))
    if id_number and row.checked.get("id_number") != id_type:
        problem = _check_id(id_type, id_number)
        if problem:
            row.error("id_number", "id_number", detail=problem)
    original_amount = row.amount("original_amount", required=True, allow_zero=False)
    principal = row.amount("principal", required=True)
    interest = row.amount("interest")
    fee = row.amount("fee")
    penalty = row.amount("penalty")
    monthly_income = row.amount("monthly_income")
    open_date = row.date("open_date", required=True)
    due_date = row.date("due_date", required=True)
    as_of = row.date("as_of")
    if open_date and due_date and due_date < open_date:
        row.error("due_date", "before_open", open_date=open_date.isoformat())
    currency = (row.text("currency") or ctx.default_currency).upper()
    if currency not in CURRENCIES:
        row.error("currency", "choice", allowed=", ".join(sorted(CURRENCIES)))
    time_zone = row.text("time_zone") or ctx.default_time_zone
    if time_zone not in _time_zones():
        row.error("time_zone", "time_zone")
    language = row.choice("language", LANGUAGES, "zh-hans")
    contacts = _contacts(row, ctx.region)
    annual_rate = row.rate("annual_interest_rate")
    penalty_rate = row.rate("daily_penalty_rate")
    if row.errors:
        return None, row.errors
    assert original_amount is not None and principal is not None and open_date and due_date
    return (
        AccountRow(
            row=number,
            customer_no=customer_no,
            debtor_kind=debtor_kind,
            name=name,
            gender=gender,
            id_type=id_type,
            id_number=id_number,
            employer=row.text("employer"),
            monthly_income=monthly_income,
            address=row.text("address"),
            time_zone=time_zone,
            language=language,
            region=region_code(row.text("region")),
            contacts=contacts,
            contract_no=contract_no,
            product=product,
            currency=currency,
            original_amount=original_amount,
            open_date=open_date,
            due_date=due_date,
            annual_interest_rate=annual_rate,
            daily_penalty_rate=penalty_rate,
            principal=principal,
            interest=interest or Decimal("0.00"),
            fee=fee or Decimal("0.00"),
            penalty=penalty or Decimal("0.00"),
            as_of=as_of,
            team=row.text("team"),
            collector=row.text("collector"),
        ),
        [],
    )


# The checks the columnar validator makes: (field, required, zero allowed) of the amounts, (field, required)
# of the dates, and the resident ID's check character.
COLUMN_AMOUNTS = (
    ("original_amount", True, False),
    ("principal", True, True),
    ("interest", False, True),
    ("fee", False, True),
    ("penalty", False, True),
    ("monthly_income", False, True),
)
COLUMN_DATES = (("open_date", True), ("due_date", True), ("as_of", False))
COLUMN_FIELDS = (
    *(f for f, _, _ in COLUMN_AMOUNTS),
    *(f for f, _ in COLUMN_DATES),
    "id_number",
    "id_type",
    "debtor_kind",
)
# A code column's answer where the expression cannot decide (another script's digits, a sign, a grouped
# amount, another kind of ID): the scalar rule decides that field.
UNDECIDED = "?"
# The reason codes the columnar checks give.
COLUMN_CODES = frozenset({"required", "amount", "too_large", "zero", "date", "before_open", "id_number"})


def _lookup(value: pl.Expr, table: Mapping[str, str]) -> pl.Expr:
    """`table.get(value.lower()) or table.get(value)`, as `_Row.choice` looks a value up, for a column."""
    return (
        value.str.to_lowercase()
        .replace_strict(table, default=None, return_dtype=pl.String)
        .fill_null(value.replace_strict(table, default=None, return_dtype=pl.String))
    )


def validate_frame(frame: pl.DataFrame, max_amount: Decimal = RowContext.max_amount) -> pl.DataFrame:
    """The columnar checks of `validate_row` for a whole chunk at once.

    `frame` holds the stripped texts of `COLUMN_FIELDS` (an absent field as ""). For each checked field the
    answer has a column `<field>!` with "" where the field is fine, the reason code `validate_row` gives
    it where it is not ("required", "amount", "too_large", "zero", "date", "before_open", "id_number"), or
    `UNDECIDED`; and a column `<field>` with the value where it is fine (fen for an amount, a date, the ID
    type the ID number is valid for). The patterns, tables and weights are the scalar rules' own.
    """
    max_fen = int((max_amount / FEN).to_integral_value(rounding="ROUND_FLOOR"))
    # The values first, as columns of their own: each is read by several codes, and evaluated once so.
    # A file's dates repeat (a few hundred days for 100,000 rows): each distinct text is parsed once.
    day_texts = pl.concat([frame.get_column(name) for name, _ in COLUMN_DATES]).unique()
    days = day_texts.to_frame("text").select(date_column(pl.col("text"))).to_series()
    id_text = pl.col("id_number")
    id_type = pl.col("id_type")
    kind = pl.col("debtor_kind")
    parsed = frame.lazy().with_columns(
        *(plain_amount_fen(pl.col(name)).alias(f"{name}#") for name, _, _ in COLUMN_AMOUNTS),
        *(
            pl.col(name).replace_strict(day_texts, days, default=None, return_dtype=pl.Date).alias(f"{name}#")
            for name, _ in COLUMN_DATES
        ),
        cn_id_valid(id_text.str.replace_all(" ", "").str.to_uppercase()).alias("id_number#"),
        (
            (_lookup(id_type, ID_TYPES) == "resident_id")
            | ((id_type == "") & ((kind == "") | (_lookup(kind, DEBTOR_KINDS) == "person")))
        )
        .fill_null(False)
        .alias("resident#"),
    )
    codes: list[pl.Expr] = []
    for name, required, allow_zero in COLUMN_AMOUNTS:
        value, fen = pl.col(name), pl.col(f"{name}#")
        codes.append(
            pl.when(value == "")
            .then(pl.lit("required" if required else ""))
            .when(fen > max_fen)
            .then(pl.lit("too_large"))
            .when((fen == 0) & (not allow_zero))
            .then(pl.lit("zero"))
            .when(fen.is_not_null())
            .then(pl.lit(""))
            .when(_printable(value) & amount_text_refused(value))
            .then(pl.lit("amount"))
            .otherwise(pl.lit(UNDECIDED))
            .alias(f"{name}!")
        )
    for name, required in COLUMN_DATES:
        value, day = pl.col(name), pl.col(f"{name}#")
        codes.append(
            pl.when(value == "")
            .then(pl.lit("required" if required else ""))
            .when(day.is_not_null() & _clean(value))
            .then(pl.lit(""))
            .when(_printable(value))
            .then(pl.lit("date"))
            .otherwise(pl.lit(UNDECIDED))
            .alias(f"{name}!")
        )
    codes.append(
        pl.when(id_text == "")
        .then(pl.lit(""))
        .when(~(pl.col("resident#") & _printable(id_text)))
        .then(pl.lit(UNDECIDED))
        .when(pl.col("id_number#"))
        .then(pl.lit(""))
        .otherwise(pl.lit("id_number"))
        .alias("id_number!")
    )
    open_code, due_code = pl.col("open_date!"), pl.col("due_date!")
    before_open = (
        pl.when((due_code == "") & (open_code == "") & (pl.col("due_date#") < pl.col("open_date#")))
        .then(pl.lit("before_open"))
        .when((due_code == "") & (open_code == UNDECIDED))
        .then(pl.lit(UNDECIDED))
        .otherwise(due_code)
        .alias("due_date!")
    )
    out: list[pl.Expr] = []
    for name in (*(n for n, _, _ in COLUMN_AMOUNTS), *(n for n, _ in COLUMN_DATES)):
        out += [pl.col(f"{name}#").alias(name), pl.col(f"{name}!")]
    out += [pl.when(pl.col("id_number!") == "").then(pl.lit("resident_id")).alias("id_number"), pl.col("id_number!")]
    return parsed.with_columns(codes).with_columns(before_open).select(out).collect()


def _printable(value: pl.Expr) -> pl.Expr:
    """Printable ASCII within the cell limit: no cell rule refuses it, and ``\\d`` reads only ASCII digits in it."""
    return value.str.contains(r"^[\x20-\x7e]*$") & (value.str.len_chars() <= text.CELL_LIMIT)


def _clean(value: pl.Expr) -> pl.Expr:
    """No control character and within the cell limit: no cell rule refuses it."""
    return ~value.str.contains(text.CONTROL.pattern) & (value.str.len_chars() <= text.CELL_LIMIT)


def column_frame(raws: Sequence[Mapping[str, str]]) -> pl.DataFrame:
    """The texts of `COLUMN_FIELDS` of raw rows, stripped, as `validate_frame` takes them (an absent field "").

    Stripped by polars, which keeps the separators \\x1c-\\x1f that Python's strip() takes away: in such a
    cell the checks find a control character and leave the field to the scalar rule, which strips it."""
    return pl.from_dicts(raws, schema=dict.fromkeys(COLUMN_FIELDS, pl.String)).select(
        pl.all().fill_null("").str.strip_chars()
    )


def checked_fields(
    frame: pl.DataFrame, max_amount: Decimal = RowContext.max_amount
) -> list[Mapping[str, object] | None]:
    """Per row of `frame`: the checked fields with their values (an amount in whole fen, a date, the ID type
    the ID number is valid for) where the columnar checks decided
    every one of them fine; None where they found an error or could not decide a field (the scalar rule
    then reads the whole row, and words every error)."""
    answer = validate_frame(frame, max_amount)
    names = [name for name in answer.columns if not name.endswith("!")]
    fine = answer.select(pl.all_horizontal([pl.col(f"{n}!") == "" for n in names])).to_series().to_list()
    # A dict per row made by polars in one go. Amounts stay whole fen: polars' Decimals cost ten times
    # what `_Row.amount` pays to make one from fen.
    values = answer.select(names).rows(named=True)
    return [row if ok else None for ok, row in zip(fine, values, strict=True)]


def _check_id(id_type: str, id_number: str) -> str | None:
    if id_type == "resident_id":
        return pii.validate_cn_id(id_number)
    if id_type == "credit_code":
        return pii.validate_uscc(id_number)
    if id_type == "passport" and not _PASSPORT.match(id_number):
        return "5 to 20 letters or digits"
    return None


def _contacts(row: _Row, region: str) -> tuple[Contact, ...]:
    found: list[Contact] = []
    for name, kind in (("mobile", "mobile"), ("home_phone", "home"), ("work_phone", "work")):
        value = row.phone(name, region)
        if value:
            found.append(Contact(kind, value))
    if row.text("email"):
        email = normalise_email(row.text("email"))
        if email:
            found.append(Contact("email", email))
        else:
            row.error("email", "email")
    address = row.text("address")
    if address:
        found.append(Contact("postal", address))
    for n in (1, 2):
        phone = row.phone(f"contact{n}_phone", region)
        relation = row.choice(f"contact{n}_relation", RELATIONS, "other")
        if phone:
            found.append(Contact("mobile", phone, relation, row.text(f"contact{n}_name")))
        elif row.text(f"contact{n}_name") and not row.text(f"contact{n}_phone"):
            row.error(f"contact{n}_phone", "required")
    return tuple(found)


def check_file_rows(rows: list[AccountRow], headers: Mapping[str, str]) -> list[RowError]:
    """Rules across rows: a contract number once per file, one name per customer number."""
    rules = FileRules(headers)
    return [error for row in rows for error in rules.check(row)]


class FileRules:
    """The rules across rows, fed one valid row at a time in file order.

    A streaming reader (the import validates the file in chunks) gets exactly the errors that
    `check_file_rows` gives for the whole list, in the same order.
    """

    def __init__(self, headers: Mapping[str, str]) -> None:
        self.headers = headers
        self.contract_rows: dict[str, int] = {}
        self.customer_names: dict[str, tuple[str, int]] = {}

    def check(self, row: AccountRow) -> list[RowError]:
        return self.check_keys(row.row, row.customer_no, row.contract_no, row.name)

    def check_keys(self, number: int, customer_no: str, contract_no: str, name: str) -> list[RowError]:
        """`check` for a row known by its keys alone (a row an import skips as unchanged is not validated
        again, but it still counts for the rules across rows)."""
        errors: list[RowError] = []
        first = self.contract_rows.setdefault(contract_no, number)
        if first != number:
            errors.append(
                RowError(
                    number,
                    self.headers.get("contract_no", "contract_no"),
                    contract_no,
                    "duplicate",
                    {"first_row": str(first)},
                )
            )
        stored_name, name_row = self.customer_names.setdefault(customer_no, (name, number))
        if stored_name != name:
            errors.append(
                RowError(
                    number,
                    self.headers.get("name", "name"),
                    name,
                    "name_conflict",
                    {"first_row": str(name_row), "customer_no": customer_no},
                )
            )
        return errors

    def is_new_customer(self, customer_no: str) -> bool:
        """Whether no row of this customer has been checked yet (the next one is the customer's first)."""
        return customer_no not in self.customer_names

    def first_of_customer(self, row: AccountRow) -> bool:
        """Whether `row` (already checked) is the first row of its customer in the file."""
        return self.customer_names[row.customer_no][1] == row.row


# Part of every row's content hash: raise it when a change to the rules above could turn a row that was
# valid, or the values it validated to, into something else, so the next import reads every row again.
# 2: the hash is of the file's cells as written, before the writer's apostrophe is taken off (1 hashed them
# after), so a stored hash of 1 is never compared with one of 2.
ROW_RULES_VERSION = 2


def row_keys(customer_no: str, contract_no: str, name: str) -> tuple[str, str, str]:
    """(customer_no, contract_no, name) as `validate_row` spells them, from a row's raw texts of those
    fields, without validating the row."""
    customer_no, contract_no = customer_no.strip(), contract_no.strip()
    # Per row of every file: an ASCII number (nearly all of them) is its own normal form, and is not passed
    # through two calls (normalise_reference folds nothing in it and strips nothing more).
    return (
        customer_no if customer_no.isascii() else normalise_reference(customer_no),
        contract_no if contract_no.isascii() else normalise_reference(contract_no),
        name.strip(),
    )


def content_hash(raw: Mapping[str, str], first_of_customer: bool, context: str) -> str:
    """A row's content as 32 hex characters: its fields (by canonical name, in any column order) and values,
    whether it carries its customer's data (the first row does), and `context`, which names everything else
    a row's validation and staging depend on (the settings, the key of the ID hash, ROW_RULES_VERSION).

    Two rows with the same hash validate to the same record, so the import may skip one whose hash is the
    one it stored last time. `RowHasher` gives the same hash faster for the rows of one file.
    """
    return RowHasher(context)(raw, first_of_customer)


class RowHasher:
    """`content_hash` for many rows with the same fields (a file's): the field names are sorted and written
    once, and each row's values are picked in that order by one C call.

    Names and values go in marshalled, which spells every string with its length, so no two contents share
    a text (a row with a separator character of its own must not pass for a stored one); marshal is C, a
    fraction of the cost of joining the fields in Python, once per row. Format 0: the later ones write a
    string seen twice as a back-reference and an interned string with its own mark, so equal rows could
    differ by where their strings came from; format 0 writes each string whole.
    """

    def __init__(self, context: str) -> None:
        self.context = context
        self.fields: frozenset[str] = frozenset()
        self.head = b""
        self.pick: Callable[[Mapping[str, str]], tuple[str, ...]] = lambda raw: ()

    def __call__(self, raw: Mapping[str, str], first_of_customer: bool) -> str:
        if raw.keys() != self.fields:
            names = tuple(sorted(raw))
            self.fields = frozenset(names)
            self.head = self._head(names)
            self.pick = _tuple_getter(names)
        content = self.head + (b"1" if first_of_customer else b"0") + marshal.dumps(self.pick(raw), 0)
        return hashlib.blake2b(content, digest_size=16).hexdigest()

    def _head(self, names: tuple[str, ...]) -> bytes:
        return f"{self.context}\x1f".encode() + marshal.dumps(names, 0)

    def of_cells(self, positions: Mapping[str, int]) -> Callable[[Sequence[str], bool], str]:
        """The hash of a row given as a list of cells, `positions` naming each field's cell: the hash of the
        mapping of those fields to those cells (a property test holds them equal), without building it.
        Used for every row of a file the import replays, most of which are skipped without ever being read
        as fields."""
        names = tuple(sorted(positions))
        # The hash of the head (the context and the names, longer than most rows' values) is taken once, and
        # each row's hash goes on from a copy of it.
        heads = {
            first: hashlib.blake2b(self._head(names) + (b"1" if first else b"0"), digest_size=16)
            for first in (False, True)
        }
        pick = _tuple_getter(tuple(positions[name] for name in names))
        dumps = marshal.dumps

        def hash_cells(values: Sequence[str], first_of_customer: bool) -> str:
            hashing = heads[first_of_customer].copy()
            hashing.update(dumps(pick(values), 0))
            return hashing.hexdigest()

        return hash_cells


def _tuple_getter(keys: Sequence[Any]) -> Callable[[Any], tuple[Any, ...]]:
    """The items at these keys as a tuple, by one C call (itemgetter of one key gives the item itself)."""
    if len(keys) == 1:
        only = keys[0]
        return lambda source: (source[only],)
    if not keys:
        return lambda source: ()
    return itemgetter(*keys)


def excel_value(value: object) -> str:
    """Cell values from a spreadsheet as the text a CSV export would hold."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        # A float cell is the spreadsheet's own representation; repr keeps every digit it has.
        text = repr(value)
        return text[:-2] if text.endswith(".0") else text
    return str(value)
