"""``AnyOf`` (``= ANY(array)`` on PostgreSQL, a JSON list on SQLite) selects exactly what ``field__in`` selects:
ids and texts, present or not, none at all, and texts with the characters an array literal would have to quote."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Personas

pytestmark = pytest.mark.django_db

# PostgreSQL's text holds no NUL; everything else goes, quotes, braces, commas and backslashes included.
TEXTS = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(picks=st.lists(st.integers(0, 40), max_size=40), others=st.lists(st.integers(-5, 10**15), max_size=5))
def test_ids_as_in_selects_them(small_portfolio: Personas, picks: list[int], others: list[int]) -> None:
    from django.db.models import F

    from huikuan.db.bulkread import AnyOf
    from huikuan.portfolio.models import Debtor

    ids = sorted(Debtor.objects.values_list("id", flat=True))
    wanted = {ids[i] for i in picks if i < len(ids)} | set(others)
    got = sorted(Debtor.objects.filter(AnyOf(F("id"), wanted)).values_list("id", flat=True))
    assert got == sorted(Debtor.objects.filter(id__in=sorted(wanted)).values_list("id", flat=True))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(picks=st.lists(st.integers(0, 40), max_size=40), others=st.lists(TEXTS, max_size=5))
def test_texts_as_in_selects_them(small_portfolio: Personas, picks: list[int], others: list[str]) -> None:
    from django.db.models import F

    from huikuan.db.bulkread import AnyOf
    from huikuan.portfolio.models import Debtor

    names = sorted(Debtor.objects.values_list("name", flat=True))
    wanted = [names[i] for i in picks if i < len(names)] + others
    got = sorted(Debtor.objects.filter(AnyOf(F("name"), wanted)).values_list("id", flat=True))
    assert got == sorted(Debtor.objects.filter(name__in=wanted).values_list("id", flat=True))


def test_a_text_needing_quotes_in_an_array_is_found(small_portfolio: Personas) -> None:
    from django.db.models import F

    from huikuan.db.bulkread import AnyOf
    from huikuan.portfolio.models import Debtor

    debtor = Debtor.objects.order_by("id").first()
    assert debtor is not None
    odd = 'a "quoted", {braced} \\ name'
    Debtor.objects.filter(pk=debtor.pk).update(name=odd)
    assert list(Debtor.objects.filter(AnyOf(F("name"), [odd, "x"])).values_list("id", flat=True)) == [debtor.pk]


def test_nothing_to_look_for_selects_nothing_without_a_statement(small_portfolio: Personas) -> None:
    from django.db import connection
    from django.db.models import F
    from django.test.utils import CaptureQueriesContext

    from huikuan.db.bulkread import AnyOf
    from huikuan.portfolio.models import Debtor

    with CaptureQueriesContext(connection) as queries:
        assert list(Debtor.objects.filter(AnyOf(F("id"), set()))) == []
        assert list(Debtor.objects.filter(AnyOf(F("name"), []))) == []
    assert len(queries) == 0
