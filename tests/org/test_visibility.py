"""One visibility rule, asked by the web UI, the admin and the API: checked per persona."""

from __future__ import annotations

import pytest
from django.test import Client

from huikuan.cases.access import can_view_case
from huikuan.cases.models import Case
from huikuan.org.models import User
from huikuan.org.visibility import case_filter
from tests.conftest import Personas, client_for


@pytest.fixture
def cases(small_portfolio: Personas) -> dict[str, Case]:
    p = small_portfolio
    return {
        "alice": Case.objects.filter(assignee=p.alice).earliest("pk"),
        "bob": Case.objects.filter(assignee=p.bob).earliest("pk"),
        "carol": Case.objects.filter(assignee=p.carol).earliest("pk"),
    }


def visible_ids(user: User) -> set[int]:
    return set(Case.objects.filter(case_filter(user)).values_list("id", flat=True))


def test_collector_sees_only_own_cases(small_portfolio: Personas, cases: dict[str, Case]) -> None:
    p = small_portfolio
    own = set(Case.objects.filter(assignee=p.alice).values_list("id", flat=True))
    assert own and visible_ids(p.alice) == own
    assert can_view_case(p.alice, cases["alice"])
    assert not can_view_case(p.alice, cases["bob"])  # teammate's case
    assert not can_view_case(p.alice, cases["carol"])  # outsider's case


def test_team_lead_sees_the_team_and_nothing_else(small_portfolio: Personas, cases: dict[str, Case]) -> None:
    p = small_portfolio
    team = set(Case.objects.filter(team=p.team_a).values_list("id", flat=True))
    assert visible_ids(p.lena) == team
    assert cases["alice"].pk in team and cases["bob"].pk in team and cases["carol"].pk not in team


@pytest.mark.parametrize("who", ["quinn", "lara", "adam"])
def test_qa_legal_and_admin_see_everything(small_portfolio: Personas, who: str) -> None:
    assert visible_ids(getattr(small_portfolio, who)) == set(Case.objects.values_list("id", flat=True))


def test_inactive_user_sees_nothing(small_portfolio: Personas) -> None:
    user = small_portfolio.alice
    user.is_active = False
    assert visible_ids(user) == set()


@pytest.mark.parametrize(
    ("who", "whose", "status"),
    [
        ("alice", "alice", 200),
        ("alice", "bob", 404),
        ("alice", "carol", 404),
        ("lena", "bob", 200),
        ("lena", "carol", 404),
        ("quinn", "carol", 200),
    ],
)
def test_web_case_page(small_portfolio: Personas, cases: dict[str, Case], who: str, whose: str, status: int) -> None:
    response = client_for(getattr(small_portfolio, who)).get(f"/cases/{cases[whose].pk}/")
    assert response.status_code == status


@pytest.mark.parametrize(
    ("who", "whose", "status"),
    [
        ("alice", "alice", 200),
        ("alice", "bob", 404),
        ("lena", "bob", 200),
        ("lena", "carol", 404),
        ("lara", "carol", 200),
    ],
)
def test_api_case_detail(small_portfolio: Personas, cases: dict[str, Case], who: str, whose: str, status: int) -> None:
    response = client_for(getattr(small_portfolio, who)).get(f"/api/cases/{cases[whose].pk}")
    assert response.status_code == status


def test_api_list_is_scoped(small_portfolio: Personas) -> None:
    p = small_portfolio
    body = client_for(p.bob).get("/api/cases?limit=1000").json()
    assert {c["id"] for c in body["items"]} == visible_ids(p.bob)
    assert body["count"] == len(visible_ids(p.bob))


def test_api_requires_login(small_portfolio: Personas) -> None:
    assert Client().get("/api/cases").status_code == 401


def test_web_list_is_scoped(small_portfolio: Personas, cases: dict[str, Case]) -> None:
    html = client_for(small_portfolio.alice).get("/").content.decode()
    assert f'href="/cases/{cases["alice"].pk}/"' in html
    assert f'href="/cases/{cases["bob"].pk}/"' not in html


def test_admin_changelist_is_scoped(small_portfolio: Personas, cases: dict[str, Case]) -> None:
    p = small_portfolio
    lena = client_for(p.lena)
    # The team lead is staff with no model permissions by default; grant view rights as a deployment would.
    from django.contrib.auth.models import Permission

    p.lena.user_permissions.add(*Permission.objects.filter(codename__startswith="view_"))
    assert lena.get(f"/admin/cases/case/{cases['bob'].pk}/change/").status_code == 200
    response = lena.get(f"/admin/cases/case/{cases['carol'].pk}/change/")
    assert response.status_code == 302  # the admin treats an object outside the queryset as missing
    listing = lena.get("/admin/cases/case/?all=").content.decode()
    assert f"/admin/cases/case/{cases['carol'].pk}/change/" not in listing
