"""The queue's filters take what the screen shows (issue 16, item 5): 跳票 finds Alice's broken-promise cases as
broken_promise does, and a filter naming nothing says so instead of reading as an empty queue."""

from __future__ import annotations

from typing import Any

from huikuan.strategy.models import WorkItem
from tests.conftest import client_for


def rows(workday: dict[str, Any], lang: str = "zh-hans", **params: str) -> Any:
    return client_for(workday["personas"].alice).get("/work/", params, HTTP_ACCEPT_LANGUAGE=lang)


def test_the_behaviour_filter_takes_its_chinese_label(workday: dict[str, Any]) -> None:
    WorkItem.objects.filter(case=workday["late"]).update(behaviour="broken_promise")
    for typed in ("跳票", "broken_promise", " 跳 票 ", "Broken promises"):
        response = rows(workday, behaviour=typed)
        assert response.status_code == 200, typed
        assert [r.case.pk for r in response.context["rows"]] == [workday["late"].pk], typed
    page = rows(workday).content.decode()
    assert '<option value="broken_promise" >跳票</option>' in page


def test_stage_and_action_filters_take_their_labels(workday: dict[str, Any]) -> None:
    assert [r.case.pk for r in rows(workday, stage="中期").context["rows"]] == [workday["middle"].pk]
    assert len(rows(workday, action="电话催收").context["rows"]) == 3
    assert len(rows(workday, "en", action="call").context["rows"]) == 3


def test_a_filter_naming_nothing_says_so(workday: dict[str, Any]) -> None:
    response = rows(workday, "en", behaviour="跳票两次")
    assert response.status_code == 400 and response.context["rows"] == []
    body = response.content.decode()
    assert 'data-testid="filter-unknown"' in body and "跳票两次" in body
    assert "queue is done" not in body
