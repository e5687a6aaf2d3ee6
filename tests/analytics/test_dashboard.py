"""The dashboards through the eyes of a lead, an admin and a collector, over the hand-built facts
(tests/analytics/conftest.py): every figure here is worked out by hand from that story."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import polars as pl
import pytest
from django.db import connection

from huikuan.analytics.dashboard import FIGURES, Filters, Scope, vintage_table
from huikuan.audit.models import ChangeLog
from huikuan.db.bulkread import read_frame
from huikuan.kernel.analytics import kpis
from huikuan.kernel.analytics.readout import wilson
from huikuan.strategy.actions import import_policy, start_experiment
from huikuan.strategy.models import Experiment, PolicyVersion
from tests.analytics.conftest import D1, D2, Facts
from tests.analytics.test_simulation import simulate
from tests.conftest import client_for

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def api(user: Any, name: str, **query: object) -> dict[str, Any]:
    response = client_for(user).get(
        f"/api/analytics/{name}",
        {"start": D1.isoformat(), "end": D2.isoformat(), **{k: str(v) for k, v in query.items()}},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200, response.content
    data: dict[str, Any] = response.json()
    return data


def rows_by(data: dict[str, Any], key: str) -> dict[Any, dict[str, Any]]:
    return {row[data["columns"].index(key)]: dict(zip(data["columns"], row, strict=True)) for row in data["rows"]}


def test_lena_sees_her_teams_trend_recovery_promises_and_contacts(facts: Facts) -> None:
    days = rows_by(api(facts.p.lena, "trend"), "day")
    # Team A: cases 1 and 2 (1,000.00 + 500.00) both days; 300.00 back on D2; bob's promise broke on D1,
    # alice's was kept on D2; D1's three calls reached someone once, the debtor once.
    assert days[D1.isoformat()] | {} == {
        "day": D1.isoformat(), "cases": 2, "balance": "1500.00", "recovered": "0.00", "recovery_rate": 0.0,
        "promises_settled": 1, "kept_rate": 0.0, "attempts": 3, "contact_rate": 0.3333, "rpc_rate": 0.3333,
    }  # fmt: skip
    assert days[D2.isoformat()]["recovered"] == "300.00" and days[D2.isoformat()]["recovery_rate"] == 0.2
    assert days[D2.isoformat()]["kept_rate"] == 1.0 and days[D2.isoformat()]["contact_rate"] is None


def test_adam_sees_the_whole_portfolio_and_filters_it_by_team_product_and_bucket(facts: Facts) -> None:
    adam = facts.p.adam
    assert rows_by(api(adam, "trend"), "day")[D1.isoformat()]["balance"] == "3500.00"
    team_b = rows_by(api(adam, "trend", team=facts.p.team_b.pk), "day")
    assert team_b[D1.isoformat()]["balance"] == "2000.00" and team_b[D1.isoformat()]["recovered"] == "2000.00"
    cards = rows_by(api(adam, "trend", product="credit_card"), "day")
    assert cards[D1.isoformat()]["balance"] == "500.00"
    m2 = rows_by(api(adam, "trend", bucket="M2"), "day")
    assert (m2[D1.isoformat()]["cases"], m2[D1.isoformat()]["balance"]) == (1, "500.00")


def test_the_roll_rate_matrix_for_the_portfolio_and_for_a_team(facts: Facts) -> None:
    # Thirty days before D2 all three were M1; on D2 case 1 is M1, case 2 M2, case 3 closed.
    row = rows_by(api(facts.p.adam, "roll"), "from")["M1"]
    assert (row["cases"], row["M1"], row["M2"], row["closed"], row["cure_rate"]) == (3, 0.3333, 0.3333, 0.3333, 0.3333)
    row = rows_by(api(facts.p.lena, "roll"), "from")["M1"]
    assert (row["cases"], row["M1"], row["M2"], row["closed"], row["cure_rate"]) == (2, 0.5, 0.5, 0.0, 0.0)
    assert rows_by(api(facts.p.adam, "roll", product="credit_card"), "from")["M1"]["M2"] == 1.0


def test_the_leaderboard_heatmap_channels_and_vintages(facts: Facts) -> None:
    p = facts.p
    board = api(p.lena, "leaderboard")
    assert [r[0] for r in board["rows"]] == ["alice", "bob"]
    alice, bob = (dict(zip(board["columns"], r, strict=True)) for r in board["rows"])
    assert alice == {"collector": "alice", "attempts": 2, "rpc": 1, "promises": 1, "promised": "300.00",
                     "kept_rate": 1.0, "recovered": "300.00"}  # fmt: skip
    assert (bob["attempts"], bob["rpc"], bob["kept_rate"], bob["recovered"]) == (1, 0, 0.0, "0.00")
    heat = {(r[0], r[1]): r for r in api(p.adam, "heatmap")["rows"]}
    # Monday 10:00: alice's 2 and carol's 1 calls, 2 by the debtor; Monday 19:00: bob's, nobody.
    assert heat[("Mon", 10)][2:] == [3, 2, 0.6667] and heat[("Mon", 19)][2:] == [1, 0, 0.0]
    channels = rows_by(api(p.adam, "channels"), "channel")
    # Case 3's 2,000.00 after carol's call; case 1's 300.00 after alice's call and the SMS.
    assert channels["Call"] | {} == {"channel": "Call", "attempts": 4, "reached": 2, "reach_rate": 0.5,
                                     "recovered": "2300.00", "recovered_per_attempt": "575.00"}  # fmt: skip
    assert (channels["SMS"]["recovered"], channels["SMS"]["recovered_per_attempt"]) == ("300.00", "300.00")
    vintages = rows_by(api(p.adam, "vintage"), "vintage")
    assert (vintages["2026-01"]["balance"], vintages["2026-01"]["recovered"]) == ("1500.00", "300.00")
    assert vintages["2026-01"]["recovery_rate"] == 0.2 and vintages["2026-02"]["recovery_rate"] == 1.0


def test_the_vintage_table_summed_from_the_rollups_is_the_kernels_vintage_recovery(facts: Facts) -> None:
    cases = read_frame(
        "SELECT day, case_id, placed_on, balance_fen, assignee_id FROM analytics_caseday WHERE day BETWEEN %s AND %s",
        [D1, D2],
        {"day": pl.Date, "case_id": pl.Int64, "placed_on": pl.Date, "balance_fen": pl.Int64, "assignee_id": pl.Int64},
    )  # fmt: skip
    money = read_frame(
        "SELECT day, case_id, paid_fen FROM analytics_moneyday WHERE day BETWEEN %s AND %s",
        [D1, D2], {"day": pl.Date, "case_id": pl.Int64, "paid_fen": pl.Int64},
    )  # fmt: skip
    assert money["paid_fen"].sum() > 0 and cases.height > 0
    assert vintage_table(Scope(), Filters(D1, D2)).equals(kpis.vintage_recovery(cases, money, D1))
    # A collector's: the cases they held each day, the payments of the cases they held that day.
    alice = facts.p.alice.pk
    held = cases.filter(pl.col("assignee_id") == alice)
    paid = money.join(held.select("day", "case_id"), on=["day", "case_id"])
    mine = vintage_table(Scope(user_id=alice), Filters(D1, D2))
    assert mine.height > 0 and mine.equals(kpis.vintage_recovery(held, paid, D1))


def test_alice_sees_only_her_own_figures_on_every_surface(facts: Facts) -> None:
    p = facts.p
    day1 = rows_by(api(p.alice, "trend"), "day")[D1.isoformat()]
    assert (day1["cases"], day1["balance"], day1["attempts"], day1["contact_rate"]) == (1, "1000.00", 2, 0.5)
    assert [r[0] for r in api(p.alice, "leaderboard")["rows"]] == ["alice"]
    assert rows_by(api(p.alice, "roll"), "from")["M1"]["cases"] == 1
    alice = client_for(p.alice)
    # A team, another collector's cases, the portfolio-wide experiment: refused, not widened.
    assert (
        alice.get("/api/analytics/trend", {"team": str(p.team_b.pk)}).status_code == 200
    )  # her own, in that team: none
    assert rows_by(api(p.alice, "trend", team=p.team_b.pk), "day")[D1.isoformat()]["cases"] == 0
    assert alice.get("/api/analytics/cases", {"kind": "collector", "assignee": str(p.bob.pk)}).status_code == 403
    assert alice.get("/api/analytics/experiment").status_code == 403
    page = alice.get("/analytics/", facts.query())
    assert page.status_code == 200
    assert "figure-experiment" not in page.content.decode() and "bob" not in page.content.decode()


def test_lena_may_not_ask_for_another_team_and_bad_filters_say_which(facts: Facts) -> None:
    lena = client_for(facts.p.lena)
    assert lena.get("/analytics/", {"team": facts.p.team_b.pk}).status_code == 403
    assert lena.get("/api/analytics/roll", {"team": facts.p.team_b.pk}).status_code == 403
    for query, name in (
        ({"start": "2026-13-01"}, "start"), ({"start": "2026-03-05", "end": "2026-03-01"}, "start"),
        ({"team": "x"}, "team"), ({"product": "boat"}, "product"), ({"bucket": "M9"}, "bucket"),
    ):  # fmt: skip
        page = lena.get("/analytics/", query)
        assert page.status_code == 400 and f"<code>{name}</code>" in page.content.decode(), query
        answer = lena.get("/api/analytics/trend", query)
        assert answer.status_code == 400 and answer.json()["detail"].startswith(name), query
    assert lena.get("/api/analytics/nothing").status_code == 404
    assert lena.get("/analytics/cases/", {"kind": "roll", "from_bucket": "M7"}).status_code == 400


def test_drilling_down_from_a_day_a_roll_row_and_a_collector(facts: Facts) -> None:
    p = facts.p
    trend = api(p.lena, "trend")
    link = trend["drill"][trend["rows"].index(next(r for r in trend["rows"] if r[0] == D2.isoformat()))]
    page = client_for(p.lena).get(f"/analytics/cases/?{link}")
    assert page.status_code == 200 and 'href="/cases/1/"' in page.content.decode()
    paying = client_for(p.lena).get(f"/api/analytics/cases?{link}").json()
    assert [r[0] for r in paying["rows"]] == [1]
    rolled = api(p.adam, "cases", kind="roll", day=D2, from_bucket="M1")
    assert [(r[0], r[-1]) for r in rolled["rows"]] == [(1, "M1"), (2, "M2"), (3, "Closed")]
    # Lena's roll drill-down stays in her team.
    assert [r[0] for r in api(p.lena, "cases", kind="roll", day=D2, from_bucket="M1")["rows"]] == [1, 2]
    mine = api(p.lena, "cases", kind="collector", assignee=p.bob.pk)
    assert [r[0] for r in mine["rows"]] == [2]
    assert [r[0] for r in api(p.lena, "cases", kind="collector", assignee=p.carol.pk)["rows"]] == []


def test_a_heatmap_cell_drills_down_to_the_cases_called_then(facts: Facts) -> None:
    p = facts.p
    heat = api(p.adam, "heatmap")
    monday_ten = heat["rows"].index(next(r for r in heat["rows"] if (r[0], r[1]) == ("Mon", 10)))
    link = heat["drill"][monday_ten]
    assert "kind=slot" in link and "weekday=0" in link and "hour=10" in link
    # D1 is a Monday: alice called case 1 and carol case 3 at 10:00, bob case 2 at 19:00.
    called = client_for(p.adam).get(f"/api/analytics/cases?{link}").json()
    assert [(r[0], r[1]) for r in called["rows"]] == [(D1.isoformat(), 1), (D1.isoformat(), 3)]
    # Lena's team has case 1 only; bob called nobody at 10:00; a Tuesday has no calls.
    assert [r[1] for r in api(p.lena, "cases", kind="slot", weekday=0, hour=10)["rows"]] == [1]
    assert api(p.bob, "cases", kind="slot", weekday=0, hour=10)["rows"] == []
    assert [r[1] for r in api(p.bob, "cases", kind="slot", weekday=0, hour=19)["rows"]] == [2]
    assert api(p.adam, "cases", kind="slot", weekday=1, hour=10)["rows"] == []
    adam = client_for(p.adam)
    for bad in ({"weekday": "7", "hour": "10"}, {"weekday": "0", "hour": "24"}, {"weekday": "x", "hour": "1"}, {}):
        response = adam.get("/analytics/cases/", {**facts.query(), "kind": "slot", **bad})
        assert response.status_code == 400, bad


def test_every_figure_downloads_as_xlsx_and_text_cannot_become_a_formula(facts: Facts) -> None:
    p = facts.p
    p.team_b.name = '=HYPERLINK("http://x")'
    p.team_b.save()
    adam = client_for(p.adam)
    for name in FIGURES:
        response = adam.get(f"/analytics/export/{name}.xlsx", facts.query())
        assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxml"), name
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        assert sheet is not None
        assert next(sheet.iter_rows(min_row=2, max_row=2))[0].value
    book = adam.get("/analytics/export/leaderboard.xlsx", facts.query())
    rows = list(openpyxl.load_workbook(io.BytesIO(book.content)).active.iter_rows(values_only=True))
    assert rows[1][0] == "催收员"  # the page's language: zh-Hans by default
    assert [r[0] for r in rows[2:]] == ["carol", "alice", "bob"]
    cases = adam.get(
        "/analytics/cases/",
        {**facts.query(), "kind": "roll", "day": D2.isoformat(), "from_bucket": "M1", "format": "xlsx"},
    )
    cells = list(openpyxl.load_workbook(io.BytesIO(cases.content)).active.iter_rows(values_only=True))
    team_column = [r[5] for r in cells[2:]]
    assert '\'=HYPERLINK("http://x")' in team_column and not any(c and str(c).startswith("=") for c in team_column)


def test_the_page_has_every_chart_with_its_table_and_the_data_it_draws(facts: Facts) -> None:
    page = client_for(facts.p.adam).get("/analytics/", facts.query()).content.decode()
    for name in FIGURES:
        assert f'data-chart="{name}"' in page and f'id="data-{name}"' in page and f'data-testid="table-{name}"' in page
    assert "analytics/echarts/echarts.min.js" in page and "<td>2300.00</td>" in page
    # The export and API links carry the page's filters.
    assert f'href="/analytics/export/trend.xlsx?start={D1.isoformat()}&amp;end={D2.isoformat()}"' in page


@pytest.fixture
def experiment(facts: Facts) -> Experiment:
    champion, _ = import_policy((ROOT / "examples" / "policy-default.yaml").read_text(encoding="utf-8"), activate=True)
    challenger, _ = import_policy((ROOT / "examples" / "policy-challenger.yaml").read_text(encoding="utf-8"))
    return start_experiment(
        "exp-d", "earlier calls", [("champion", champion, Decimal("0.5")), ("challenger", challenger, Decimal("0.5"))]
    )


def test_adam_promotes_the_challenger_from_the_readout_and_it_is_audited(facts: Facts, experiment: Experiment) -> None:
    adam = client_for(facts.p.adam)
    page = adam.get("/analytics/", facts.query()).content.decode()
    assert 'data-testid="promote"' in page and "exp-d" in page
    assert (
        client_for(facts.p.alice)
        .post(f"/analytics/experiments/{experiment.pk}/promote/", {"arm": "challenger"})
        .status_code
        == 403
    )
    assert adam.post(f"/analytics/experiments/{experiment.pk}/promote/", {"arm": "nobody"}).status_code == 400
    response = adam.post(f"/analytics/experiments/{experiment.pk}/promote/", {"arm": "challenger"})
    assert response.status_code == 302
    assert PolicyVersion.objects.get(in_force=True).label == experiment.arms.get(name="challenger").policy_version.label
    logged = ChangeLog.objects.get(action="experiment.promote")
    assert logged.user == facts.p.adam and logged.after is not None and logged.after["winner"] == "challenger"
    assert 'data-testid="promote"' not in adam.get("/analytics/", facts.query()).content.decode()


def test_the_readout_gives_each_arm_its_interval_and_says_not_significant_yet(
    facts: Facts, experiment: Experiment
) -> None:
    with connection.cursor() as cursor:
        cursor.execute("UPDATE analytics_caseday SET arm = CASE WHEN case_id = 2 THEN 'challenger' ELSE 'champion' END")
    data = api(facts.p.lena, "experiment")
    assert data["extra"]["experiment"]["key"] == "exp-d"
    kept = {r[0]: r for r in data["rows"] if r[1] == "Promise-kept rate"}
    # Champion: case 1's promise kept (1 of 1); challenger: case 2's broken (0 of 1); Wilson intervals.
    one_of_one, none_of_one = wilson(1, 1), wilson(0, 1)
    assert one_of_one is not None and none_of_one is not None
    assert kept["champion"][2:] == [1.0, round(one_of_one[0], 4), 1.0, 1]
    assert kept["challenger"][2:] == [0.0, 0.0, round(none_of_one[1], 4), 1]
    # One promise a side: a difference of -1.0, p = erfc(1.414 / √2) ≈ 0.157, so not significant yet.
    compared = {c[2]: c for c in data["extra"]["comparisons"]}["Promise-kept rate"]
    assert compared[:4] == ["challenger", "champion", "Promise-kept rate", -1.0]
    assert compared[6] == 0.1573 and compared[8] == "not significant yet"
    page = client_for(facts.p.lena).get("/analytics/", facts.query(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<td data-testid="verdict">not significant yet</td>' in page


def test_the_nightly_facts_roll_up_each_channels_yuan_as_channel_stats_over_the_facts() -> None:
    simulate(seed=3)
    contacts = read_frame(
        "SELECT day, case_id, channel, attempts, reached FROM analytics_contactday", [],
        {"day": pl.Date, "case_id": pl.Int64, "channel": pl.Utf8, "attempts": pl.Int64, "reached": pl.Int64},
    )  # fmt: skip
    money = read_frame(
        "SELECT day, case_id, paid_fen FROM analytics_moneyday", [],
        {"day": pl.Date, "case_id": pl.Int64, "paid_fen": pl.Int64},
    )  # fmt: skip
    expected = {c: r for c, r in kpis.channel_stats(contacts, money).select("channel", "recovered_fen").rows() if r}
    rolled = read_frame(
        "SELECT channel, SUM(recovered_fen) FROM analytics_channelday GROUP BY channel", [],
        {"channel": pl.Utf8, "recovered_fen": pl.Int64},
    )  # fmt: skip
    assert expected and dict(rolled.rows()) == expected


def test_a_new_installation_without_facts_shows_every_figure_empty(personas: Any) -> None:
    for user in (personas.adam, personas.lena, personas.alice):
        page = client_for(user).get("/analytics/", HTTP_ACCEPT_LANGUAGE="en")
        assert page.status_code == 200
        assert "No figures for this period yet." in page.content.decode()
    assert api(personas.adam, "leaderboard")["rows"] == []


def test_the_readout_is_stored_on_the_first_ask_and_forgotten_when_a_day_of_its_period_is_rewritten(
    facts: Facts, monkeypatch: pytest.MonkeyPatch
) -> None:
    from huikuan.analytics import readout as stored
    from huikuan.analytics.facts import compute_day
    from huikuan.analytics.models import StoredReadout
    from huikuan.analytics.tasks import facts_nightly

    first = stored.stored_readout(D1, D2, minimum_effect=0.05)
    assert StoredReadout.objects.count() == 1

    def fail(*args: object, **kwargs: object) -> None:
        raise AssertionError("computed again")

    monkeypatch.setattr(stored, "experiment_readout", fail)
    assert stored.stored_readout(D1, D2, minimum_effect=0.05) == first  # read back, equal figures
    monkeypatch.undo()
    stored.stored_readout(D2, D2, minimum_effect=0.05)
    compute_day(D1)  # D1's facts written again: the D1–D2 readout is stale, D2–D2's is not
    assert list(StoredReadout.objects.values_list("first", "last")) == [(D2, D2)]
    # The nightly job stores the dashboard's default period: the 30 days to yesterday.
    facts_nightly(as_of=(D2 + timedelta(days=1)).isoformat())
    assert StoredReadout.objects.filter(first=D2 - timedelta(days=29), last=D2, minimum_effect="0.05").exists()
