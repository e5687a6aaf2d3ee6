"""A realistic synthetic Chinese portfolio, deterministic for a seed.

Used by the demo, the tests and the benchmarks. Faker (zh_CN) fills small pools of names, addresses and
employers once; every debtor then draws from the pools with one seeded random generator, which keeps
100,000 debtors fast and the same seed byte-for-byte the same portfolio.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from faker import Faker

from huikuan.kernel import pii
from huikuan.kernel.contacts import SELF, party_reached
from huikuan.kernel.ledger import Component, EntryKind
from huikuan.kernel.money import FEN, ZERO, quantize_fen
from huikuan.tabular.writing import write_csv

MOBILE_PREFIXES = (
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "155",
    "156",
    "157",
    "158",
    "159",
    "166",
    "176",
    "177",
    "178",
    "180",
    "181",
    "182",
    "183",
    "185",
    "186",
    "187",
    "188",
    "189",
    "198",
    "199",
)
LANDLINE_AREAS = ("010", "021", "020", "0755", "0571", "028", "027", "025", "029", "023")
REGION_CODES = (
    "110101",
    "310101",
    "440106",
    "440305",
    "330106",
    "510107",
    "420106",
    "320102",
    "610113",
    "500103",
)
CITIES = ("北京市", "上海市", "广州市", "深圳市", "杭州市", "成都市", "武汉市", "南京市", "西安市", "重庆市")
RELATIONS = ("spouse", "relative", "colleague", "emergency", "guarantor")
# Days past due, skewed to the early buckets as in a real delinquent book.
DPD_BANDS = ((1, 30, 0.46), (31, 60, 0.2), (61, 90, 0.12), (91, 180, 0.12), (181, 720, 0.10))
CALL_OUTCOMES = (
    "no_answer",
    "no_answer",
    "busy",
    "switched_off",
    "right_party",
    "right_party",
    "callback",
    "third_party",
    "hung_up",
    "refusal",
    "hardship",
)
_CREDIT_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@dataclass
class GenContact:
    kind: str
    value: str
    relation: str = SELF
    name: str = ""
    validity: str = "unverified"


@dataclass
class GenEntry:
    kind: str
    reference: str
    effective_date: date
    deltas: dict[Component, Decimal]


@dataclass
class GenAccount:
    contract_no: str
    product: str
    original_amount: Decimal
    open_date: date
    due_date: date
    annual_interest_rate: Decimal
    daily_penalty_rate: Decimal
    entries: list[GenEntry] = field(default_factory=list)

    def balance(self, component: Component) -> Decimal:
        return sum((e.deltas.get(component, ZERO) for e in self.entries), ZERO)


@dataclass
class GenInteraction:
    at: datetime
    channel: str
    outcome: str
    party: str
    notes: str


@dataclass
class GenPromise:
    amount: Decimal
    due_date: date
    created_at: datetime
    state: str
    paid_amount: Decimal


@dataclass
class GenDebtor:
    customer_no: str
    kind: str
    name: str
    gender: str
    id_type: str
    id_number: str
    employer: str
    monthly_income: Decimal | None
    address: str
    contacts: list[GenContact]
    accounts: list[GenAccount]
    interactions: list[GenInteraction] = field(default_factory=list)
    promises: list[GenPromise] = field(default_factory=list)
    hold_reason: str = ""


@lru_cache(maxsize=4)
def _pools(seed: int) -> tuple[list[str], list[str], list[str], list[str]]:
    """Faker is slow per call, so each seed draws its pools once per process."""
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    return (
        [fake.name_male() for _ in range(600)],
        [fake.name_female() for _ in range(600)],
        [fake.company() for _ in range(400)],
        [fake.street_address() for _ in range(800)],
    )


class PortfolioGenerator:
    def __init__(self, seed: int, as_of: date) -> None:
        self.rng = random.Random(seed)
        self.as_of = as_of
        self.male_names, self.female_names, self.companies, self.streets = _pools(seed)
        self.email_domains = ("qq.com", "163.com", "126.com", "sina.com", "outlook.com")
        self._mobiles: set[str] = set()

    def debtors(self, count: int) -> Iterator[GenDebtor]:
        for n in range(1, count + 1):
            yield self._debtor(n)

    def _mobile(self) -> str:
        while True:
            number = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if number not in self._mobiles:
                self._mobiles.add(number)
                return "+86" + number

    def _landline(self) -> str:
        # Every listed city dials 8-digit local numbers; 2-7 is a valid first digit in all of them.
        area = self.rng.choice(LANDLINE_AREAS)
        return "+86" + area[1:] + str(self.rng.randint(2, 7)) + f"{self.rng.randrange(10**7):07d}"

    def _resident_id(self, gender: str) -> str:
        rng = self.rng
        born = date(1965, 1, 1) + timedelta(days=rng.randrange(365 * 38))
        serial = rng.randrange(100) * 10 + (
            rng.choice((1, 3, 5, 7, 9)) if gender == "male" else rng.choice((0, 2, 4, 6, 8))
        )
        first17 = f"{rng.choice(REGION_CODES)}{born:%Y%m%d}{serial:03d}"
        return first17 + pii.cn_id_check_char(first17)

    def _credit_code(self) -> str:
        body = "91" + self.rng.choice(REGION_CODES) + "".join(self.rng.choice(_CREDIT_CODE_CHARS) for _ in range(9))
        return body + pii.uscc_check_char(body)

    def _debtor(self, n: int) -> GenDebtor:
        rng = self.rng
        company = rng.random() < 0.08
        city = rng.choice(CITIES)
        address = city + rng.choice(self.streets)
        if company:
            name = rng.choice(self.companies)
            gender, id_type, id_number = "unknown", "credit_code", self._credit_code()
            employer, income = "", None
        else:
            gender = "male" if rng.random() < 0.55 else "female"
            name = rng.choice(self.male_names if gender == "male" else self.female_names)
            id_type, id_number = "resident_id", self._resident_id(gender)
            employer = rng.choice(self.companies)
            income = Decimal(rng.randrange(3000, 40000, 100))
        contacts = [GenContact("mobile", self._mobile(), validity="invalid" if rng.random() < 0.06 else "valid")]
        if rng.random() < 0.35:
            contacts.append(GenContact("home", self._landline()))
        if rng.random() < 0.4:
            contacts.append(GenContact("work", self._landline()))
        if rng.random() < 0.5:
            contacts.append(GenContact("email", f"u{n}{rng.randrange(1000)}@{rng.choice(self.email_domains)}"))
        contacts.append(GenContact("postal", address))
        if rng.random() < 0.6:
            relation = rng.choice(RELATIONS)
            contact_gender = rng.random() < 0.5
            contact_name = rng.choice(self.male_names if contact_gender else self.female_names)
            contacts.append(GenContact("mobile", self._mobile(), relation, contact_name))
        debtor = GenDebtor(
            customer_no=f"C{n:08d}",
            kind="company" if company else "person",
            name=name,
            gender=gender,
            id_type=id_type,
            id_number=id_number,
            employer=employer,
            monthly_income=income,
            address=address,
            contacts=contacts,
            accounts=[],
        )
        account_count = 1 if rng.random() < 0.8 else 2
        for k in range(account_count):
            debtor.accounts.append(self._account(n, k, company, current=k > 0 and rng.random() < 0.4))
        self._history(debtor)
        return debtor

    def _dpd(self) -> int:
        pick = self.rng.random()
        for low, high, weight in DPD_BANDS:
            if pick < weight:
                return self.rng.randint(low, high)
            pick -= weight
        return self.rng.randint(1, 30)

    def _account(self, n: int, k: int, company: bool, current: bool) -> GenAccount:
        rng = self.rng
        if company:
            product = "b2b_invoice"
            original = Decimal(rng.randrange(20_000, 800_000, 100))
            rate = Decimal("0")
        else:
            product = "credit_card" if rng.random() < 0.5 else "consumer_loan"
            original = Decimal(rng.randrange(2_000, 150_000, 100))
            rate = Decimal(rng.choice(("0.1800", "0.1500", "0.2400", "0.0720")))
        dpd = -rng.randint(3, 25) if current else self._dpd()
        due = self.as_of - timedelta(days=dpd)
        opened = due - timedelta(days=rng.randint(60, 540))
        account = GenAccount(
            contract_no=f"HT{opened:%Y}{n:08d}{k}",
            product=product,
            original_amount=original,
            open_date=opened,
            due_date=due,
            annual_interest_rate=rate,
            daily_penalty_rate=Decimal("0.0005"),
        )
        ref = 0

        def add(kind: EntryKind, day: date, **deltas: Decimal) -> None:
            nonlocal ref
            ref += 1
            account.entries.append(
                GenEntry(kind.value, f"gen:{ref}", day, {Component(c): v for c, v in deltas.items() if v})
            )

        add(EntryKind.PRINCIPAL, opened, principal=original)
        # Repayments before the missed due date bring the principal down to what is still owed.
        repaid_share = Decimal(rng.randrange(0, 60)) / 100
        if repaid_share:
            add(
                EntryKind.PAYMENT,
                opened + (due - opened) / 2,
                principal=-quantize_fen(original * repaid_share),
            )
        months = max(1, (min(self.as_of, due + timedelta(days=max(dpd, 0))) - opened).days // 30)
        outstanding = account.balance(Component.PRINCIPAL)
        monthly_interest = quantize_fen(outstanding * rate / 12)
        for m in range(1, min(months, 12) + 1):
            if monthly_interest:
                add(EntryKind.INTEREST, opened + timedelta(days=30 * m), interest=monthly_interest)
        if dpd > 0:
            penalty = quantize_fen(outstanding * account.daily_penalty_rate * min(dpd, 180))
            add(EntryKind.PENALTY, self.as_of - timedelta(days=1), penalty=penalty)
            if rng.random() < 0.25:
                add(
                    EntryKind.FEE,
                    due + timedelta(days=1),
                    fee=Decimal(rng.choice(("30.00", "50.00", "80.00"))),
                )
            if rng.random() < 0.3:
                # A partial payment after the due date, cleared penalty-first as the default allocation.
                paid = quantize_fen(outstanding * Decimal(rng.randrange(5, 30)) / 100)
                cleared_penalty = min(paid, account.balance(Component.PENALTY))
                add(
                    EntryKind.PAYMENT,
                    due + timedelta(days=rng.randint(1, max(1, dpd))),
                    penalty=-cleared_penalty,
                    principal=-(paid - cleared_penalty),
                )
        return account

    def _history(self, debtor: GenDebtor) -> None:
        rng = self.rng
        dpd = max((self.as_of - a.due_date).days for a in debtor.accounts)
        if dpd <= 0:
            return
        calls = min(dpd // 4, 12) + rng.randint(0, 2)
        for _ in range(calls):
            day = self.as_of - timedelta(days=rng.randint(1, max(1, dpd)))
            at = datetime.combine(day, time(rng.randint(1, 12), rng.randrange(60)), tzinfo=UTC)
            outcome = rng.choice(CALL_OUTCOMES)
            party = party_reached(outcome, None).value
            debtor.interactions.append(GenInteraction(at, "call", outcome, party, ""))
        if dpd > 3:
            debtor.interactions.append(
                GenInteraction(
                    datetime.combine(self.as_of - timedelta(days=dpd - 1), time(2, 0), tzinfo=UTC),
                    "sms",
                    "sent",
                    "debtor",
                    "",
                )
            )
        total = sum(
            (
                a.balance(c)
                for a in debtor.accounts
                for c in (Component.PRINCIPAL, Component.INTEREST, Component.FEE, Component.PENALTY)
            ),
            ZERO,
        )
        if dpd > 5 and total > 0 and rng.random() < 0.35:
            promise_count = rng.randint(1, 3)
            for i in range(promise_count):
                amount = max(Decimal("100.00"), quantize_fen(total * Decimal(rng.randrange(5, 40)) / 100))
                amount = (amount / 100).to_integral_value() * 100 if amount > 100 else amount
                offset = rng.randint(-min(dpd - 1, 60), 10)
                due = self.as_of + timedelta(days=offset)
                # Made 2–7 days before it falls due, and before the portfolio's day: history, not the future.
                made = min(due - timedelta(days=rng.randint(2, 7)), self.as_of - timedelta(days=1))
                created = datetime.combine(made, time(3, 0), tzinfo=UTC)
                if due >= self.as_of:
                    state, paid = "pending", ZERO
                else:
                    roll = rng.random()
                    state, paid = (
                        ("broken", ZERO)
                        if roll < 0.5
                        else ("partly_kept", quantize_fen(amount / 2))
                        if roll < 0.7
                        else ("kept", amount)
                    )
                debtor.promises.append(GenPromise(amount.quantize(FEN), due, created, state, paid))
                debtor.interactions.append(GenInteraction(created, "call", "promise", "debtor", f"promise {i + 1}"))
        if rng.random() < 0.02:
            debtor.hold_reason = "dispute"
        elif rng.random() < 0.01:
            debtor.hold_reason = "complaint"


IMPORT_HEADER = (
    "customer_no",
    "debtor_kind",
    "name",
    "gender",
    "id_type",
    "id_number",
    "employer",
    "monthly_income",
    "address",
    "mobile",
    "home_phone",
    "work_phone",
    "email",
    "contact1_name",
    "contact1_relation",
    "contact1_phone",
    "contract_no",
    "product",
    "currency",
    "original_amount",
    "open_date",
    "due_date",
    "annual_interest_rate",
    "daily_penalty_rate",
    "principal",
    "interest",
    "fee",
    "penalty",
)


def import_rows(debtors: list[GenDebtor]) -> Iterator[list[str]]:
    """The generated portfolio as rows of the account import format (one row per account)."""
    for d in debtors:
        own = {c.kind: c.value for c in d.contacts if c.relation == SELF}
        third = next((c for c in d.contacts if c.relation != SELF), None)
        for a in d.accounts:
            yield [
                d.customer_no,
                d.kind,
                d.name,
                d.gender,
                d.id_type,
                d.id_number,
                d.employer,
                str(d.monthly_income or ""),
                d.address,
                own.get("mobile", ""),
                own.get("home", ""),
                own.get("work", ""),
                own.get("email", ""),
                third.name if third else "",
                third.relation if third else "",
                third.value if third else "",
                a.contract_no,
                a.product,
                "CNY",
                str(a.original_amount),
                a.open_date.isoformat(),
                a.due_date.isoformat(),
                str(a.annual_interest_rate),
                str(a.daily_penalty_rate),
                *(
                    str(a.balance(c))
                    for c in (Component.PRINCIPAL, Component.INTEREST, Component.FEE, Component.PENALTY)
                ),
            ]


def write_import_csv(debtors: list[GenDebtor], path: Path) -> int:
    """The portfolio as an import file, through the one writer (a phone's ``+86`` is written as text and read
    back as written); returns the number of account rows."""
    return write_csv(path, itertools.chain([IMPORT_HEADER], import_rows(debtors))) - 1
