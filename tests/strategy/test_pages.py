from __future__ import annotations

from typing import Any

from django.template import Context, Template

from huikuan.strategy.executors import run_strategy
from tests.conftest import AS_OF, Personas, client_for

from .conftest import CaseMaker


def test_team_lead_sees_policy_tables_and_last_runs(champion: Any, make_case: CaseMaker, personas: Personas) -> None:
    make_case(45)
    run_strategy(AS_OF)
    page = client_for(personas.lena).get("/strategy/").content.decode()
    assert "default@1" in page and "broken_promise_reason" in page and "middle_call_firm" in page
    assert AS_OF.isoformat() in page
    assert client_for(personas.alice).get("/strategy/").status_code == 403


def test_case_reason_chain_fragment_and_api(champion: Any, make_case: CaseMaker, personas: Personas) -> None:
    case = make_case(45, promises=(("broken", -1), ("broken", -10)), assignee=personas.alice)
    run_strategy(AS_OF)
    html = Template("{% load strategy_tags %}{% strategy_reasons case %}").render(Context({"case": case}))
    assert "M2 · 跳票2次 · 余额 12,400 元 → 电话催收" in html
    assert client_for(personas.carol).get(f"/api/strategy/cases/{case.pk}/plan").status_code == 404
    client = client_for(personas.lena)
    plan = client.get(f"/api/strategy/cases/{case.pk}/plan").json()
    assert {p["action"] for p in plan} >= {"call", "escalate_specialist"}
    assert (
        client.post("/api/strategy/policies", {"yaml": "stages: 3"}, content_type="application/json").status_code == 400
    )
