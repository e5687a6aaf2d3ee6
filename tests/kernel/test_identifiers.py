"""Phone numbers and identifiers: one ASCII spelling for every way of writing them; the fast path for
Chinese numbers gives exactly phonenumbers' answers."""

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huikuan.kernel import pii
from huikuan.kernel.identifiers import _fast_cn, fold, normalise_contact, normalise_email, normalise_phone


def reference(value: str) -> str | None:
    try:
        number = phonenumbers.parse(value.replace(" ", "").replace("-", ""), "CN")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


mobile = st.from_regex(r"\A1[0-9]{10}\Z")
landline = st.from_regex(r"\A0[1-9][0-9]{1,2}[0-9]{7,8}\Z")
prefixed = st.builds(lambda p, n: p + n, st.sampled_from(["+86", "0086", "86", ""]), st.one_of(mobile, landline))


@settings(max_examples=800)
@given(st.one_of(mobile, landline, prefixed))
def test_fast_path_agrees_with_phonenumbers(value: str) -> None:
    fast = _fast_cn(value)
    if fast is not None:
        assert fast == reference(value)
    normalise_phone.cache_clear()
    assert normalise_phone(value) == reference(value)


def test_examples() -> None:
    assert normalise_phone("138 1234 1234") == "+8613812341234"
    assert normalise_phone("010-65001234") == "+861065001234"
    assert normalise_phone("+1 415 555 2671") == "+14155552671"
    assert normalise_phone("12345") is None


# One line, many spellings: each must be stored as the same ASCII E.164 number.
SPELLINGS_OF_ONE_NUMBER = [
    "13800138000",
    "13８00138000",  # one full-width digit among ASCII ones (the example)
    "１３８００１３８０００",  # all full-width
    "١٣٨٠٠١٣٨٠٠٠",  # Arabic-Indic digits
    "۱۳۸۰۰۱۳۸۰۰۰",  # Extended Arabic-Indic (Persian) digits
    "१३८००१३८०००",  # Devanagari digits
    "138 0013 8000",
    "138-0013-8000",
    "138－0013－8000",  # full-width hyphen-minus
    "138\u30000013\u30008000",  # ideographic space
    "(138) 0013–8000",  # en dash
    "+86 138 0013 8000",
    "＋８６１３８００１３８０００",
    "0086-138-0013-8000",
]


def test_every_spelling_of_one_number_is_one_ascii_number() -> None:
    normalise_phone.cache_clear()
    assert {normalise_phone(s) for s in SPELLINGS_OF_ONE_NUMBER} == {"+8613800138000"}
    assert normalise_phone("13８00138000").isascii()  # type: ignore[union-attr]


def test_landlines_fold_too() -> None:
    assert normalise_phone("０１０-６５００１２３４") == "+861065001234"
    assert normalise_phone("٠١٠-٦٥٠٠١٢٣٤") == "+861065001234"


@pytest.mark.parametrize(
    "value",
    [
        "1380013800²",  # a superscript is not a digit of a phone number (NFKC alone would read it as 2)
        "138001380①",
        "13800138000\x00",
        "1380013800O",  # a letter O where a zero belongs
        "138001380OO",
        "tel:13800138000",
        "",
        "   ",
        "一三八〇〇一三八〇〇〇",  # CJK numerals are words, not digits
    ],
)
def test_what_is_not_a_number_is_refused(value: str) -> None:
    normalise_phone.cache_clear()
    assert normalise_phone(value) is None


@given(st.text(max_size=30))
def test_any_text_gives_ascii_e164_or_none(value: str) -> None:
    result = normalise_phone(value)
    assert result is None or (result.isascii() and result.startswith("+") and result[1:].isdigit())


def test_fold_reads_digits_of_every_script_and_keeps_superscripts_for_the_shapes_to_refuse() -> None:
    assert fold("Ｃ００１２") == "C0012"
    assert fold("١٢٣") == "123"
    assert fold("1²") == "1²"
    assert fold("abc") == "abc"


def test_an_id_number_in_full_width_hashes_as_the_same_person() -> None:
    ascii_id = "11010519491231002X"
    wide = "１１０１０５１９４９１２３１００２ｘ"
    assert pii.normalise_id_number(wide) == ascii_id
    assert pii.hash_id_number(wide, "k") == pii.hash_id_number(ascii_id, "k")
    assert pii.validate_cn_id(wide) is None


def test_a_superscript_in_an_id_number_is_an_error_not_a_crash() -> None:
    assert pii.validate_cn_id("11010519491231002²") is not None
    assert pii.validate_cn_id("²1010519491231002X") is not None


def test_email_folds_and_refuses_control_characters() -> None:
    assert normalise_email(" Zhang.San＠Example.COM ") == "zhang.san@example.com"
    assert normalise_email("a\x00b@example.com") is None
    assert normalise_email("not-an-address") is None


FULL_WIDTH = str.maketrans("0123456789+-", "０１２３４５６７８９＋－")


@given(st.sampled_from(["mobile", "home", "work"]), st.one_of(mobile, landline, prefixed))
def test_a_contact_number_typed_in_full_width_is_the_number_typed_in_ascii(kind: str, value: str) -> None:
    stored = normalise_contact(kind, value)
    assert normalise_contact(kind, value.translate(FULL_WIDTH)) == stored
    assert stored is None or (stored.isascii() and normalise_contact(kind, stored) == stored)


@given(st.sampled_from(["mobile", "home", "work", "email", "postal", "fax", ""]), st.text(max_size=60))
def test_a_contact_value_is_stored_once_spelled_or_refused(kind: str, value: str) -> None:
    """Whatever is typed: None, or a spelling that is its own spelling again (stored once, found again)."""
    stored = normalise_contact(kind, value)
    if stored is not None:
        assert normalise_contact(kind, stored) == stored
        assert not any(c in stored for c in "\n\r\t\x00")
        if kind != "postal":
            assert stored.isascii() or kind == "email"


def test_contact_examples() -> None:
    assert normalise_contact("mobile", "１３８ ００１３ ８０００") == "+8613800138000"
    assert normalise_contact("postal", "上海市  浦东新区\u3000世纪大道１００号") == "上海市 浦东新区 世纪大道100号"
    assert normalise_contact("postal", "短") is None
    assert normalise_contact("postal", "上海市\x00浦东") is None
    assert normalise_contact("email", "Li.Na@Example.COM") == "li.na@example.com"
    assert normalise_contact("fax", "13800138000") is None
