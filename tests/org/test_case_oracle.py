"""No oracle: another team's case is answered exactly like a case that does not exist, on every page and route.

Carol collects in team B and Olga leads it; the case is Alice's, in team A. Each asks for it by id on every
web page and API route that takes a case id, and for an id no case has. The two answers must be the same
404, byte for byte, nothing may be written, and the security log tells the two apart for the auditor.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from huikuan.audit.models import SecurityEvent, SecurityEventKind
from huikuan.cases.models import Case, Interaction, Promise
from huikuan.org.models import Role, User
from huikuan.payments.models import Payment, RepaymentPlan
from tests.conftest import Personas, client_for

Ask = Callable[[Client, int], Any]


def _json(client: Client, method: str, url: str, body: dict[str, Any], **headers: str) -> Any:
    return getattr(client, method)(url, body, content_type="application/json", headers=headers)


def _tomorrow() -> str:
    return (timezone.localdate() + timedelta(days=1)).isoformat()


# Every page and route that takes a case id: (name, how to ask for case N, roles it applies to).
WEB: dict[str, Ask] = {
    "case page": lambda c, n: c.get(f"/cases/{n}/"),
    "save outcome": lambda c, n: c.post(f"/work/cases/{n}/save/", {"outcome": "no_answer"}),
    "notes preview": lambda c, n: c.post(f"/work/cases/{n}/notes/preview/", {"notes": "您好"}),
    "objections": lambda c, n: c.get(f"/work/cases/{n}/objections/", {"q": "没钱"}),
}
API: dict[str, Ask] = {
    "case": lambda c, n: c.get(f"/api/cases/{n}"),
    "log contact": lambda c, n: _json(c, "post", f"/api/cases/{n}/contacts", {"outcome": "no_answer"}),
    "plan options": lambda c, n: c.get(f"/api/cases/{n}/plan-options"),
    "promise": lambda c, n: _json(c, "post", f"/api/cases/{n}/promises", {"amount": "100.00", "due_date": _tomorrow()}),
    "plan": lambda c, n: _json(c, "post", f"/api/cases/{n}/plans", {"kind": "full_with_waiver"}),
    "payment": lambda c, n: _json(
        c,
        "post",
        "/api/payments",
        {"case_id": n, "amount": "100.00", "paid_on": timezone.localdate().isoformat()},
        **{"Idempotency-Key": f"probe-{n}"},
    ),
    "strategy plan": lambda c, n: c.get(f"/api/strategy/cases/{n}/plan"),
}
LEAD_ONLY: dict[str, Ask] = {
    "reassign": lambda c, n: c.post(
        "/work/team/reassign/", {"case": n, "to": User.objects.get(username="carol").pk, "reason": "试探"}
    ),
}


@pytest.fixture
def olga(small_portfolio: Personas) -> User:
    return User.objects.create_user("olga", password="pw-olga", role=Role.TEAM_LEAD, team=small_portfolio.team_b)


def _written(case: Case) -> tuple[int, ...]:
    return (
        Interaction.objects.filter(case=case).count(),
        Promise.objects.filter(case=case).count(),
        RepaymentPlan.objects.filter(case=case).count(),
        Payment.objects.count(),
        Case.objects.filter(pk=case.pk, assignee_id=case.assignee_id).count(),
    )


@pytest.mark.parametrize("who", ["carol", "olga"])
def test_another_teams_case_is_answered_like_a_missing_one(small_portfolio: Personas, olga: User, who: str) -> None:
    p = small_portfolio
    asker = olga if who == "olga" else p.carol
    alices = Case.objects.filter(assignee=p.alice).first()
    assert alices is not None and alices.team_id == p.team_a.pk
    missing = Case.objects.order_by("-pk").values_list("pk", flat=True)[0] + 1000
    client = client_for(asker)
    routes = {**WEB, **API, **(LEAD_ONLY if who == "olga" else {})}
    before = _written(alices)

    for name, ask in routes.items():
        hidden, absent = ask(client, alices.pk), ask(client, missing)
        assert hidden.status_code == 404, (name, hidden.status_code, hidden.content[:300])
        assert absent.status_code == 404, (name, absent.status_code)
        assert hidden.content == absent.content, name
        assert hidden.get("Content-Type") == absent.get("Content-Type"), name

    assert _written(alices) == before
    refused = SecurityEvent.objects.filter(kind=SecurityEventKind.REFUSED, user=asker, status=404)
    hidden_rows = refused.filter(subject_type="cases.case", subject_id=str(alices.pk))
    absent_rows = refused.filter(subject_type="cases.case", subject_id=str(missing))
    assert hidden_rows.count() == len(routes) and absent_rows.count() == len(routes)
    assert set(hidden_rows.values_list("reason", flat=True)) == {"case of another team or collector"}
    assert set(absent_rows.values_list("reason", flat=True)) == {"no such case"}
    assert hidden_rows.filter(path=f"/cases/{alices.pk}/", method="GET", username=who).exists()


def test_the_own_team_still_sees_and_works_the_case(small_portfolio: Personas) -> None:
    p = small_portfolio
    alices = Case.objects.filter(assignee=p.alice).first()
    assert alices is not None
    for user in (p.alice, p.lena):
        client = client_for(user)
        assert WEB["case page"](client, alices.pk).status_code == 200
        assert API["case"](client, alices.pk).status_code == 200
        assert API["strategy plan"](client, alices.pk).status_code == 200
    assert not SecurityEvent.objects.exists()


def test_a_refusal_by_role_stays_403_and_is_logged_with_its_reason(small_portfolio: Personas) -> None:
    p = small_portfolio
    alice = client_for(p.alice)
    assert alice.get("/work/team/").status_code == 403
    upload = alice.post("/api/imports/accounts", {"file": _csv()})
    assert upload.status_code == 403
    rows = SecurityEvent.objects.filter(kind=SecurityEventKind.REFUSED, user=p.alice, status=403).order_by("at", "pk")
    assert [(r.method, r.path) for r in rows] == [("GET", "/work/team/"), ("POST", "/api/imports/accounts")]
    assert rows[0].ip_address == "127.0.0.1"


def test_an_ordinary_missing_page_is_not_a_refusal(small_portfolio: Personas) -> None:
    assert client_for(small_portfolio.alice).get("/no-such-page/").status_code == 404
    assert not SecurityEvent.objects.exists()


def test_a_refused_path_with_a_nul_byte_is_logged_not_a_crash(small_portfolio: Personas) -> None:
    # PostgreSQL refuses NUL in text: the path is written with it replaced, and the answer stays 403.
    response = client_for(small_portfolio.alice).post("/qa/fl%00ags/1/review/", {"state": "confirmed"})
    assert response.status_code == 403
    event = SecurityEvent.objects.get(kind=SecurityEventKind.REFUSED, user=small_portfolio.alice)
    assert event.path == "/qa/fl\ufffdags/1/review/"


def _csv() -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("a.csv", b"customer_no\n1\n", content_type="text/csv")
