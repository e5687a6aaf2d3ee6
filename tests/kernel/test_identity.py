"""The identity check of the call's first step: what the debtor says against the stored tail or keyed hash."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huikuan.kernel.pii import (
    IDENTITY_CHECKS_PER_DAY,
    IdentityInputError,
    check_identity,
    cn_id_check_char,
    hash_id_number,
    identity_checks_left,
    uscc_check_char,
)

KEY = "test-key"
ID = "11010519491231002X"
STORED = {"last4": ID[-4:], "id_hash": hash_id_number(ID, KEY), "key": KEY}


def test_the_last_four_match_whatever_the_case_and_spacing() -> None:
    assert check_identity("002x", **STORED).match
    assert check_identity(" 00 2X ", **STORED).method == "tail"
    assert not check_identity("0021", **STORED).match


def test_the_whole_number_is_checked_against_its_keyed_hash() -> None:
    answer = check_identity(ID.lower(), **STORED)
    assert (answer.method, answer.match) == ("full", True)
    assert not check_identity("110105194912310038", **STORED).match
    # The same number under another key does not match: the hash is keyed, not a plain digest.
    assert not check_identity(ID, last4=ID[-4:], id_hash=hash_id_number(ID, "other"), key=KEY).match


@pytest.mark.parametrize(("said", "code"), [("", "empty"), ("  ", "empty"), ("12345", "length"), ("12", "length")])
def test_what_cannot_be_compared_is_refused_with_a_reason(said: str, code: str) -> None:
    with pytest.raises(IdentityInputError) as raised:
        check_identity(said, **STORED)
    assert raised.value.code == code


def test_nothing_stored_cannot_match() -> None:
    with pytest.raises(IdentityInputError) as raised:
        check_identity("002X", last4="", id_hash="", key=KEY)
    assert raised.value.code == "nothing_stored"


def test_checks_left_never_goes_below_zero() -> None:
    assert identity_checks_left(0) == IDENTITY_CHECKS_PER_DAY
    assert identity_checks_left(IDENTITY_CHECKS_PER_DAY) == 0
    assert identity_checks_left(99) == 0


@given(
    st.text(alphabet="0123456789", min_size=17, max_size=17), st.text(alphabet="0123456789X", min_size=4, max_size=4)
)
def test_a_resident_id_matches_itself_and_only_its_own_tail(body: str, said: str) -> None:
    number = body + cn_id_check_char(body)
    stored = {"last4": number[-4:], "id_hash": hash_id_number(number, KEY), "key": KEY}
    assert check_identity(number, **stored).match
    assert check_identity(number[-4:], **stored).match
    assert check_identity(said, **stored).match == (said == number[-4:])


@given(st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=17, max_size=17))
def test_a_credit_code_is_checked_like_an_id_number(body: str) -> None:
    code = body + uscc_check_char(body)
    stored = {"last4": code[-4:], "id_hash": hash_id_number(code, KEY), "key": KEY}
    assert check_identity(code.lower(), **stored).match
    assert check_identity(code[-4:].lower(), **stored).match
