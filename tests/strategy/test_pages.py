from __future__ import annotations

from typing import Any

from django.template import Context, Template
from django.test import Client

from huikuan.strategy.executors import run_strategy
from tests.conftest import AS_OF, Personas

from .conftest import CaseMaker


def test_team_lead_sees_policy_tables_and_last_runs(champion: Any, make_case: CaseMaker, personas: Personas) -> None:
    make_case(45)
    run_strategy(AS_OF)
    client = Client()
    client.force_login(personas.lena)  # type: ignore[arg-type]
    page = client.get("/strategy/").content.decode()
    assert "default@1" in page and "broken_promise_reason" in page and "middle_call_firm" in page
    assert AS_OF.isoformat() in page
    client.force_login(personas.alice)  # type: ignore[arg-type]
    assert client.get("/strategy/").status_code == 403


def test_case_reason_chain_fragment_and_api(champion: Any, make_case: CaseMaker, personas: Personas) -> None:
    case = make_case(45, promises=(("broken", -1), ("broken", -10)), assignee=personas.alice)  # type: ignore[attr-defined]
    run_strategy(AS_OF)
    html = Template("{% load strategy_tags %}{% strategy_reasons case %}").render(Context({"case": case}))
    assert "M2 · 跳票2次 · 余额 12,400 元 → 电话催收" in html
    client = Client()
    client.force_login(personas.carol)  # type: ignore[arg-type]
    assert client.get(f"/api/strategy/cases/{case.pk}/plan").status_code == 404
    client.force_login(personas.lena)  # type: ignore[arg-type]
    plan = client.get(f"/api/strategy/cases/{case.pk}/plan").json()
    assert {p["action"] for p in plan} >= {"call", "escalate_specialist"}
    assert (
        client.post("/api/strategy/policies", {"yaml": "stages: 3"}, content_type="application/json").status_code == 400
    )
