"""The call screen's default number: the debtor's own best number the gate allows now, never a third party's."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from huikuan.kernel.compliance.picker import Number, offer_order, pick_number, rank


def n(id: int, kind: str = "mobile", *, own: bool = True, validity: str = "valid", dnc: bool = False,
      allowed: bool = True, reason: str = "") -> Number:  # fmt: skip
    return Number(id, kind, own, validity, dnc, allowed, reason)


def test_mobile_before_home_before_work() -> None:
    assert pick_number([n(1, "work"), n(2, "home"), n(3, "mobile")]).chosen == n(3, "mobile")


def test_a_valid_number_before_an_unverified_one_of_the_same_kind() -> None:
    assert pick_number([n(1, validity="unverified"), n(2)]).chosen == n(2)


def test_a_third_party_is_never_the_default() -> None:
    """The demo's first option was a spouse's number: a quick Ctrl+Enter was refused and went on the register."""
    pick = pick_number([n(1, own=False), n(2, "home", allowed=False, reason="quiet hours")])
    assert pick.chosen is None
    assert pick.refused == n(2, "home", allowed=False, reason="quiet hours")


def test_when_the_best_is_refused_the_next_allowed_one_is_chosen_and_the_reason_kept() -> None:
    refused = n(1, allowed=False, reason="daily cap")
    pick = pick_number([refused, n(2, "home"), n(3, "work")])
    assert pick.chosen == n(2, "home") and pick.best == refused and pick.refused == refused


def test_invalid_and_do_not_contact_numbers_are_never_chosen() -> None:
    pick = pick_number([n(1, validity="invalid"), n(2, dnc=True), n(3, "work")])
    assert pick.chosen == n(3, "work") and pick.refused is None


def test_the_list_offers_the_debtors_numbers_first() -> None:
    order = offer_order([n(1, own=False), n(2, "work"), n(3, validity="invalid"), n(4)])
    assert [x.id for x in order] == [4, 2, 3, 1]


numbers = st.lists(
    st.builds(
        Number,
        id=st.integers(1, 10_000),
        kind=st.sampled_from(["mobile", "home", "work"]),
        own=st.booleans(),
        validity=st.sampled_from(["valid", "unverified", "invalid"]),
        do_not_contact=st.booleans(),
        allowed=st.booleans(),
    ),
    max_size=8,
    unique_by=lambda x: x.id,
)


@given(numbers)
def test_the_choice_is_the_best_allowed_own_number(found: list[Number]) -> None:
    pick = pick_number(found)
    usable = [x for x in found if x.own and x.validity != "invalid" and not x.do_not_contact]
    if pick.chosen is None:
        assert not any(x.allowed for x in usable)
    else:
        assert pick.chosen in usable and pick.chosen.allowed
        assert all(rank(pick.chosen) <= rank(x) for x in usable if x.allowed)
    assert (pick.refused is None) == (pick.best is None or pick.best.allowed)
    assert sorted(x.id for x in offer_order(found)) == sorted(x.id for x in found)
