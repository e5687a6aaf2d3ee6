"""How people are named on screen: 李丽, family name first, for a Chinese name; "Li Wang" for a Western one."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from huikuan.kernel.names import honorific, person_name

HANZI = st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), min_size=1, max_size=3)
LATIN = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"), min_size=1, max_size=10)


def test_a_chinese_name_is_family_name_first_without_a_space() -> None:
    assert person_name("丽", "李") == "李丽"
    assert person_name("娜娜", "欧阳") == "欧阳娜娜"
    assert person_name(" 芳 ", "王") == "王芳"


def test_a_western_name_is_given_name_first() -> None:
    assert person_name("Li", "Wang") == "Li Wang"
    assert person_name("Adam", "") == "Adam" and person_name("", "Smith") == "Smith"
    assert person_name("", "") == ""


@given(HANZI, HANZI)
def test_any_chinese_name_reads_family_then_given(given_name: str, family: str) -> None:
    assert person_name(given_name, family) == family + given_name


@given(LATIN, LATIN)
def test_any_latin_name_reads_given_then_family(given_name: str, family: str) -> None:
    assert person_name(given_name, family) == f"{given_name} {family}"


def test_the_honorific_takes_the_surname_of_the_full_name() -> None:
    assert honorific(person_name("丽", "李"), "female") == "李女士"
