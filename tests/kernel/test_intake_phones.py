"""The fast path for Chinese numbers must give exactly phonenumbers' answers."""

import phonenumbers
from hypothesis import given, settings
from hypothesis import strategies as st

from huikuan.kernel.intake import _fast_cn, normalise_phone


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
