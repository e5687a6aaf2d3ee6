"""What a search box's text names (kernel.search): the terms a collector's typing is compared with."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huikuan.kernel.identifiers import normalise_phone
from huikuan.kernel.search import MAX_QUERY, SearchError, SearchTerms, parse_query, resolve_choice
from huikuan.kernel.strategy.policy import behaviour_choices


def test_part_of_a_name_is_a_name_and_a_number() -> None:
    assert parse_query(" 建国 ") == SearchTerms(number="建国", name="建国")


def test_a_masked_name_as_the_screen_shows_it_is_its_start() -> None:
    assert parse_query("王**").name == "王"


def test_a_whole_mobile_number_is_a_phone_however_it_is_spelt() -> None:
    for spelling in ("13812341234", "138 1234 1234", "+86 138-1234-1234", "１３８１２３４１２３４"):
        terms = parse_query(spelling)
        assert terms.phone == "+8613812341234", spelling
        assert terms.name == ""


def test_four_digits_are_a_tail_and_a_number() -> None:
    assert parse_query("1234") == SearchTerms(number="1234", tail="1234")


def test_a_named_tail_is_a_tail_only() -> None:
    for spelling in ("尾号1234", "手机尾号 1234", "****1234", "尾号：1234"):
        assert parse_query(spelling) == SearchTerms(tail="1234"), spelling


def test_an_id_tail_may_end_in_x() -> None:
    assert parse_query("尾号123x").tail == "123X"
    assert parse_query("123X").tail == "123X"


def test_a_masked_phone_is_its_head_and_tail() -> None:
    assert parse_query("138****1234") == SearchTerms(phone_head="138", tail="1234")


def test_an_id_number_is_hashed_by_the_caller() -> None:
    assert parse_query("11010519491231002x").id_number == "11010519491231002X"
    assert parse_query("C00000123").id_number == ""


def test_blank_text_searches_nothing() -> None:
    assert parse_query("  ").empty


def test_control_characters_and_overlong_text_are_refused_with_a_code() -> None:
    with pytest.raises(SearchError) as nul:
        parse_query("张\x00")
    assert nul.value.code == "control"
    with pytest.raises(SearchError) as long:
        parse_query("1" * (MAX_QUERY + 1))
    assert long.value.code == "too_long"


@given(st.text(max_size=MAX_QUERY))
def test_any_text_is_terms_or_a_coded_refusal(text: str) -> None:
    try:
        terms = parse_query(text)
    except SearchError as exc:
        assert exc.code in ("control", "too_long")
        return
    # Every term is ASCII-folded text without control characters: safe as a query parameter anywhere.
    for value in (terms.number, terms.name, terms.phone, terms.phone_head, terms.tail, terms.id_number):
        assert "\x00" not in value and len(value) <= MAX_QUERY
    assert not terms.tail or len(terms.tail) == 4
    assert not terms.phone or terms.phone.startswith("+")


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True).filter(lambda n: normalise_phone(n) is not None))
def test_every_stored_mobile_number_is_found_by_itself_and_by_its_tail(number: str) -> None:
    # Stored numbers are those normalise_phone accepts (every writer spells them through it).
    assert parse_query(number).phone == "+86" + number
    assert parse_query(f"尾号{number[-4:]}").tail == number[-4:]
    masked = parse_query(f"{number[:3]}****{number[-4:]}")
    assert (masked.phone_head, masked.tail) == (number[:3], number[-4:])


def test_a_filter_takes_the_code_or_a_label_in_either_language() -> None:
    choices = behaviour_choices()
    assert resolve_choice("跳票", choices) == "broken_promise"
    assert resolve_choice("broken_promise", choices) == "broken_promise"
    assert resolve_choice("Broken Promises", choices) == "broken_promise"
    assert resolve_choice("失联", choices) == "unreachable"
    assert resolve_choice("", choices) == ""
    assert resolve_choice("没有这种", choices) is None
