"""The form and API parsers: a value or an InputError, never another exception, for any text."""

import contextlib
from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huikuan.kernel.inputs import InputError, clean_text, parse_day, parse_int, parse_local_datetime, parse_money

MAX = Decimal("100000000.00")


@pytest.mark.parametrize("value", ["NaN", "nan", "Infinity", "-Infinity", "inf", "1e999999", "1E3", "1²", "²",
                                   "12.345", "", "0", "-5", "0x10", "1_000", "١e5"])  # fmt: skip
def test_amounts_that_are_not_money_are_input_errors(value: str) -> None:
    with pytest.raises(InputError):
        parse_money(value, maximum=MAX)


def test_amounts_in_digits_of_any_script_are_read() -> None:
    assert parse_money("1,234.50", maximum=MAX) == Decimal("1234.50")
    assert parse_money("１２３４.５", maximum=MAX) == Decimal("1234.50")
    assert parse_money("١٢٣", maximum=MAX) == Decimal("123.00")


def test_an_amount_above_the_bound_says_the_bound() -> None:
    with pytest.raises(InputError) as caught:
        parse_money("9999999999999.99", maximum=MAX)
    assert caught.value.code == "amount_too_large"
    assert caught.value.params == {"maximum": "100,000,000.00"}


@pytest.mark.parametrize("value", ["2026-02-30", "2026-13-01", "2026-00-10", "20260230", "²⁰²⁶-01-01", "2026-1-1x",
                                   "", "0000-01-01", "2026-02-29"])  # fmt: skip
def test_impossible_dates_are_input_errors(value: str) -> None:
    with pytest.raises(InputError):
        parse_day(value)


def test_real_dates_are_read() -> None:
    assert parse_day("2028-02-29") == date(2028, 2, 29)
    assert parse_day("２０２６-１１-２０") == date(2026, 11, 20)


def test_local_datetimes() -> None:
    assert parse_local_datetime("2026-11-20T14:30") == datetime(2026, 11, 20, 14, 30)
    for bad in ("2026-11-20T25:00", "2026-02-30T10:00", "2026-11-20", "now"):
        with pytest.raises(InputError):
            parse_local_datetime(bad)


@pytest.mark.parametrize("value", ["²", "1²", "①", "", "1.5", "1e3", "9" * 40, "٣x"])
def test_integers_are_ascii_shaped(value: str) -> None:
    with pytest.raises(InputError):
        parse_int(value, low=0, high=10**12)


def test_integers_within_range() -> None:
    assert parse_int("٤٢", low=1, high=100) == 42
    with pytest.raises(InputError) as caught:
        parse_int("-1", low=1, high=1000)
    assert caught.value.code == "range"


def test_text_refuses_nul_and_length() -> None:
    assert clean_text("  note\nline two ", max_length=20, multiline=True) == "note\nline two"
    for bad, multiline in (("a\x00b", True), ("a\nb", False), ("x" * 21, True)):
        with pytest.raises(InputError):
            clean_text(bad, max_length=20, multiline=multiline)


@given(st.text())
def test_any_text_is_a_value_or_an_input_error(value: str) -> None:
    for parse in (
        lambda v: parse_money(v, maximum=MAX),
        parse_day,
        parse_local_datetime,
        lambda v: parse_int(v, low=-(10**9), high=10**9),
        lambda v: clean_text(v, max_length=50),
    ):
        with contextlib.suppress(InputError):
            parse(value)
