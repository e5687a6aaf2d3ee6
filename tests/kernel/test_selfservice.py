"""The self-service kernel: code rate limits and lockout, bank references with check digits, fen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from huikuan.kernel.selfservice import (
    CODE_INTERVAL,
    CODES_PER_HOUR,
    MAX_WRONG_CODES,
    CodeRefusal,
    case_of_reference,
    code_request_refusal,
    from_fen,
    is_code_shape,
    is_locked,
    to_fen,
    transfer_reference,
)

NOW = datetime(2026, 12, 6, 4, 0, tzinfo=UTC)


@given(st.integers(min_value=1, max_value=10**12))
def test_a_reference_names_its_case(case_id: int) -> None:
    assert case_of_reference(transfer_reference(case_id)) == case_id
    assert case_of_reference(transfer_reference(case_id).lower()) == case_id


@given(st.integers(min_value=1, max_value=10**9), st.data())
def test_one_mistyped_digit_never_names_another_case(case_id: int, data: st.DataObject) -> None:
    reference = transfer_reference(case_id)
    position = data.draw(st.integers(min_value=2, max_value=len(reference) - 1))
    digit = data.draw(st.sampled_from([d for d in "0123456789" if d != reference[position]]))
    typo = reference[:position] + digit + reference[position + 1 :]
    assert case_of_reference(typo) is None


def test_text_that_is_no_reference_names_no_case() -> None:
    assert [case_of_reference(t) for t in ("", "HK", "HK1", "XX12345", "HK０１２", "HK0123")] == [None] * 6


@given(st.lists(st.integers(min_value=0, max_value=7200), max_size=12), st.integers(min_value=0, max_value=9))
def test_a_code_is_sent_exactly_when_the_limits_allow(ages: list[int], wrong: int) -> None:
    sent = [NOW - timedelta(seconds=a) for a in ages]
    refused = code_request_refusal(sent, NOW, wrong)
    last_hour = [t for t in sent if NOW - t < timedelta(hours=1)]
    allowed = (
        wrong < MAX_WRONG_CODES and all(NOW - t >= CODE_INTERVAL for t in last_hour) and len(last_hour) < CODES_PER_HOUR
    )
    assert (refused is None) == allowed
    if refused is not None and refused[1] is not None:
        assert refused[1] > NOW - timedelta(seconds=1)
        assert code_request_refusal(sent, refused[1], wrong) is None or refused[0] == CodeRefusal.TOO_SOON


def test_the_fifth_wrong_code_locks() -> None:
    assert [is_locked(n) for n in range(7)] == [False] * 5 + [True] * 2
    assert code_request_refusal([], NOW, MAX_WRONG_CODES) == (CodeRefusal.LOCKED, None)


def test_only_six_ascii_digits_are_a_code() -> None:
    assert is_code_shape("012345") and not is_code_shape("01234") and not is_code_shape("０１２３４５")


@given(st.integers(min_value=1, max_value=10**12))
def test_fen_round_trip(fen: int) -> None:
    assert to_fen(from_fen(fen)) == fen


def test_an_amount_finer_than_the_fen_is_refused() -> None:
    try:
        to_fen(Decimal("1.005"))
    except ValueError:
        return
    raise AssertionError("1.005 yuan is not a number of fen")
