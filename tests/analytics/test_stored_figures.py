"""The dashboard's figures read from the rollups alone are kept between looks (analytics.stored) and are
equal to the figures computed afresh; a day of their period written again, even while a look was computing
them, makes the next look compute them again."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

import polars as pl
import pytest
from django.utils import translation

from huikuan.analytics import dashboard
from huikuan.analytics.dashboard import STORED, Figure, Filters, Scope, figure, figure_names, figures
from huikuan.analytics.facts import compute_day
from huikuan.analytics.models import StoredFigure
from huikuan.analytics.stored import fact_day_written, store_figure, written_count
from tests.analytics.conftest import D1, D2, Facts, _case, write_day
from tests.conftest import client_for


def _fresh(names: list[str], scope: Scope, filters: Filters) -> list[dict]:
    return [figure(name, scope, filters).as_json() for name in names]


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_a_stored_figure_is_the_figure_computed_afresh(
    facts: Facts, lang: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with translation.override(lang):
        for scope, filters in (
            (Scope(), Filters(D1, D2)),
            (Scope(team_id=facts.p.team_a.pk), Filters(D1, D2, bucket="M1")),
            (Scope(user_id=facts.p.alice.pk), Filters(D2, D2, product="consumer_loan")),
        ):
            names = figure_names(scope)
            first = [f.as_json() for f in figures(names, scope, filters)]
            assert StoredFigure.objects.filter(first=filters.first, last=filters.last).count() >= len(STORED)
            computed = dashboard.FIGURES.copy()

            def fail(*args: object) -> Figure:
                raise AssertionError("computed again")

            for name in STORED:
                monkeypatch.setitem(dashboard.FIGURES, name, fail)
            again = [f.as_json() for f in figures(names, scope, filters)]  # read back
            monkeypatch.setattr(dashboard, "FIGURES", computed)
            assert again == first == _fresh(names, scope, filters)
    # Each language keeps its own labels.
    assert {k.rsplit("|", 1)[1] for k in StoredFigure.objects.values_list("key", flat=True)} == {lang}


def test_a_day_written_again_makes_the_next_look_compute_again(facts: Facts) -> None:
    scope, filters = Scope(), Filters(D1, D2)
    names = sorted(STORED)
    before = [f.as_json() for f in figures(names, scope, filters)]
    other = [f.as_json() for f in figures(names, scope, Filters(D1, D1))]
    # D2 written again with a fourth case: the D1–D2 figures are forgotten, D1–D1's kept.
    p = facts.p
    write_day(
        D2,
        [_case(D2, 4, p.team_b.pk, p.carol.pk, "credit_card", date(2026, 2, 20), "M1", 70000)],
        [],
        [],
        pl.DataFrame(),
        [],
    )
    assert not StoredFigure.objects.filter(first=D1, last=D2).exists()
    after = [f.as_json() for f in figures(names, scope, filters)]
    assert after == _fresh(names, scope, filters) and after != before
    assert [f.as_json() for f in figures(names, scope, Filters(D1, D1))] == other


def test_a_figure_computed_while_its_facts_were_rewritten_is_not_served(facts: Facts) -> None:
    scope, filters = Scope(), Filters(D1, D2)
    # A look read the rollups and counted the written days; the night rewrote D2 before the look stored.
    written = written_count(D1, D2)
    stale = figure("trend", scope, filters)
    fact_day_written(D2)
    p = facts.p
    write_day(
        D2,
        [_case(D2, 5, p.team_b.pk, p.carol.pk, "credit_card", date(2026, 2, 21), "M3", 90000)],
        [],
        [],
        pl.DataFrame(),
        [],
    )
    key = dashboard._stored_key("trend", scope, filters)
    store_figure(key, D1, D2, written, dashboard._figure_data(stale))
    (served,) = figures(["trend"], scope, filters)
    assert served.as_json() == figure("trend", scope, filters).as_json() != stale.as_json()


def test_the_page_shows_the_stored_figures(facts: Facts) -> None:
    client = client_for(facts.p.adam)
    query = facts.query()
    first = _charts(client.get("/analytics/", query, HTTP_ACCEPT_LANGUAGE="en").content.decode())
    assert StoredFigure.objects.count() == len(STORED)
    again = _charts(client.get("/analytics/", query, HTTP_ACCEPT_LANGUAGE="en").content.decode())
    assert again == first and set(first) >= {f"data-{name}" for name in STORED}


def _charts(page: str) -> dict[str, Any]:
    """The data each chart draws (its json_script), by id (PostgreSQL's jsonb keeps no key order)."""
    found = re.findall(r'<script id="(data-[a-z]+)" type="application/json">(.*?)</script>', page, re.S)
    return {key: json.loads(text) for key, text in found}


def test_the_nightly_write_of_a_day_forgets_its_periods_figures(facts: Facts) -> None:
    figures(sorted(STORED), Scope(), Filters(D1, D2))
    figures(sorted(STORED), Scope(), Filters(D2, D2))
    written = written_count(D1, D2)
    compute_day(D1)
    assert written_count(D1, D2) == written + 1
    assert set(StoredFigure.objects.values_list("first", "last").distinct()) == {(D2, D2)}
