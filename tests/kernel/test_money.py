from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huikuan.kernel.money import Money, MoneyError, format_yuan, parse_amount, quantize_fen, to_decimal


def test_floats_are_refused() -> None:
    with pytest.raises(MoneyError):
        to_decimal(0.1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,234.50", "1234.50"),
        ("￥1 234.5", "1234.50"),
        ("12400元", "12400.00"),
        ("0", "0.00"),
        ("-3.2", "-3.20"),
    ],
)
def test_parse_amount_reads_what_exports_contain(text: str, expected: str) -> None:
    assert parse_amount(text) == Decimal(expected)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "abc",
        "1.234",
        "NaN",
        "1e400000x",
        # A decimal comma or separators in the wrong places: refused, not read as another amount.
        "12,34",
        "1.000,00",
        "1,2,3",
        "1,234.5,0",
        "1,23,456",
        # Exponents and magnitudes no amount has (1E+26 made quantize_fen raise InvalidOperation).
        "1E+26",
        "1e30",
        "10000000000000",
        "-",
    ],
)
def test_parse_amount_rejects(text: str) -> None:
    with pytest.raises(MoneyError):
        parse_amount(text)


def test_mixing_currencies_is_an_error() -> None:
    with pytest.raises(MoneyError):
        Money(Decimal("1"), "CNY") + Money(Decimal("1"), "USD")


def test_format_yuan() -> None:
    assert format_yuan(Decimal("12400")) == "12,400.00"
    assert format_yuan(Decimal("12400.50"), fen=False) == "12,401"


@given(st.lists(st.decimals(min_value=-(10**9), max_value=10**9, places=2), max_size=30))
def test_money_sums_are_exact(values: list[Decimal]) -> None:
    total = Money(Decimal(0))
    for v in values:
        total = total + Money(v)
    assert total.amount == sum(values, Decimal(0))


@given(st.from_regex(r"\A[0-9]{1,13}(\.[0-9]{0,3})?\Z"))
def test_plain_amounts_parse_as_the_general_rules_say(text: str) -> None:
    # The fast path for plain digits must give what the general path gives: the same value with exactly
    # two places (the state tags of ledger references are built from its text), or the same refusal.
    general = to_decimal(text)
    if general != quantize_fen(general):
        with pytest.raises(MoneyError):
            parse_amount(text)
        return
    parsed = parse_amount(text)
    assert parsed == general and str(parsed) == str(quantize_fen(general))


@given(st.decimals(min_value=-(10**12), max_value=10**12, places=2))
def test_amounts_written_with_thousands_separators_read_back(amount: Decimal) -> None:
    # What format_yuan (and any export) writes, with each separator a core knows, parses to itself.
    text = format_yuan(amount)
    for separator in (",", "，", " ", "\u00a0", "\u3000"):
        assert parse_amount(text.replace(",", separator)) == amount


@given(st.text("0123456789", min_size=2, max_size=12), st.data())
def test_a_separator_that_does_not_split_off_groups_of_three_is_refused(digits: str, data: st.DataObject) -> None:
    # A comma anywhere but between groups of three digits counted from the decimal point is not a thousands
    # separator (a decimal comma, a typo): the amount is refused instead of read as another one.
    position = data.draw(st.integers(1, len(digits) - 1))
    if (len(digits) - position) % 3 == 0:
        return
    with pytest.raises(MoneyError):
        parse_amount(f"{digits[:position]},{digits[position:]}")


def test_amounts_beyond_the_limit_are_refused_whatever_their_type() -> None:
    for value in (Decimal("1E+26"), 10**13, "9" * 14):
        with pytest.raises(MoneyError):
            parse_amount(value)
    assert parse_amount("9" * 13) == Decimal("9" * 13)
