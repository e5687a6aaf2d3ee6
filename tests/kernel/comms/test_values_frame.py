"""The placeholder values of many debtors in columns (``values_frame``, the night's hand-over) are, debtor by
debtor, what ``values_for`` gives one debtor's facts: the same names, in the same order, with the same texts,
and the same values left out. The scalar function stays the definition."""

from __future__ import annotations

import sys
from datetime import date
from decimal import Decimal

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from huikuan.kernel.comms.variables import (
    FACTS_SCHEMA,
    Amounts,
    MessageFacts,
    SenderTexts,
    value_dicts,
    values_for,
    values_frame,
)
from huikuan.kernel.money import LIMIT, format_yuan, grouped_digits
from huikuan.kernel.names import COMPOUND_SURNAMES, PYTHON_WHITE_SPACE

SENDER = SenderTexts(
    creditor={"zh": "示例银行", "en": "Example Bank"},
    law_firm={"zh": "示例律师事务所", "en": "Example Law"},
    hotline="400-800-1234",
    payment_channels={"zh": "银行转账", "en": "bank transfer"},
)
# Amounts within what the money kernel lets in (LIMIT yuan), either sign, in fen.
FEN = st.integers(min_value=-int(LIMIT) * 100 + 1, max_value=int(LIMIT) * 100 - 1)
DAYS = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31))
# Names: surnames of one and two characters, white space Python strips and Polars would not, empty ones.
NAMES = st.one_of(
    st.text(max_size=6),
    st.builds(
        lambda pad, family, given, tail: pad + family + given + tail,
        st.text(alphabet=PYTHON_WHITE_SPACE, max_size=2),
        st.sampled_from([*sorted(COMPOUND_SURNAMES), "张", "欧", "Li", ""]),
        st.text(alphabet="娜明 ab", max_size=3),
        st.text(alphabet=PYTHON_WHITE_SPACE, max_size=2),
    ),
)


@st.composite
def facts(draw: st.DrawFn) -> dict[str, object]:
    optional_day = st.one_of(st.none(), DAYS)
    optional_fen = st.one_of(st.none(), FEN)
    return {
        "name": draw(NAMES),
        "gender": draw(st.sampled_from(["male", "female", "", "other"])),
        "company": draw(st.booleans()),
        "contract_no": draw(st.text(alphabet="AB0123456789-合同 ", max_size=8)),
        **{part: draw(FEN) for part in ("principal", "interest", "fee", "penalty")},
        "due_date": draw(optional_day),
        "deadline": draw(optional_day),
        "promise_amount": draw(optional_fen),
        "promise_date": draw(optional_day),
        "payment_amount": draw(optional_fen),
        "payment_date": draw(optional_day),
        "plan_summary": draw(st.text(max_size=5)),
        "next_due_date": draw(optional_day),
        "next_due_amount": draw(optional_fen),
    }


def _yuan(fen: object) -> Decimal | None:
    return None if fen is None else Decimal(int(fen)) / 100  # type: ignore[call-overload]


def _scalar(row: dict[str, object], today: date) -> MessageFacts:
    return MessageFacts(
        name=str(row["name"]),
        gender=str(row["gender"]),
        company_debtor=bool(row["company"]),
        contract_no=str(row["contract_no"]),
        amounts=Amounts(*(_yuan(row[part]) for part in ("principal", "interest", "fee", "penalty"))),  # type: ignore[arg-type]
        today=today,
        due_date=row["due_date"],  # type: ignore[arg-type]
        deadline=row["deadline"],  # type: ignore[arg-type]
        promise_amount=_yuan(row["promise_amount"]),
        promise_date=row["promise_date"],  # type: ignore[arg-type]
        payment_amount=_yuan(row["payment_amount"]),
        payment_date=row["payment_date"],  # type: ignore[arg-type]
        plan_summary=str(row["plan_summary"]),
        next_due_date=row["next_due_date"],  # type: ignore[arg-type]
        next_due_amount=_yuan(row["next_due_amount"]),
        creditor=dict(SENDER.creditor),
        law_firm=dict(SENDER.law_firm),
        hotline=SENDER.hotline,
        payment_channels=dict(SENDER.payment_channels),
    )


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(facts(), min_size=1, max_size=12), today=DAYS, lang=st.sampled_from(["zh-hans", "en"]))
def test_the_values_in_columns_are_values_for_debtor_by_debtor(
    rows: list[dict[str, object]], today: date, lang: str
) -> None:
    frame = pl.DataFrame([{"debtor_id": n, **row} for n, row in enumerate(rows)], schema=FACTS_SCHEMA, orient="row")
    by_debtor = value_dicts(values_frame(frame, lang, today, SENDER))
    assert list(by_debtor) == list(range(len(rows)))
    for n, row in enumerate(rows):
        expected = values_for(_scalar(row, today), lang)
        # Equal as lists of pairs: the same names in the same order (the stored JSON keeps it).
        assert list(by_debtor[n].items()) == list(expected.items())


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=10**18 - 1), min_size=1, max_size=50))
def test_grouped_digits_are_pythons_thousands_separators(numbers: list[int]) -> None:
    got = pl.DataFrame({"n": numbers}, schema={"n": pl.Int64}).select(grouped_digits(pl.col("n"))).to_series()
    assert got.to_list() == [f"{n:,}" for n in numbers]


def test_the_edges_of_an_amount_in_fen() -> None:
    amounts = [0, 1, -1, 99, -100, 100_000, 99_999_999, int(LIMIT) * 100 - 1, -int(LIMIT) * 100 + 1]
    frame = pl.DataFrame(
        [{"debtor_id": n, "name": "", "gender": "", "company": False, "contract_no": "", "principal": fen,
          "interest": 0, "fee": 0, "penalty": 0, "plan_summary": ""} for n, fen in enumerate(amounts)],
        schema=FACTS_SCHEMA, orient="row",
    )  # fmt: skip
    got = values_frame(frame, "zh-hans", date(2026, 12, 7), SENDER).get_column("principal").to_list()
    assert got == [format_yuan(Decimal(fen) / 100) for fen in amounts]
    assert got[:3] == ["0.00", "0.01", "-0.01"]


def test_the_white_space_stripped_is_pythons() -> None:
    assert "".join(ch for ch in map(chr, range(sys.maxunicode + 1)) if ch.isspace()) == PYTHON_WHITE_SPACE
