"""400, 403, 404 and 500 are pages of the product: styled, with the menu, in the user's language."""

from __future__ import annotations

import pytest
from django.core.exceptions import BadRequest
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import path
from django.utils import translation

from huikuan.config import urls as project_urls
from huikuan.web import views
from tests.conftest import Personas, client_for


def _boom(request: object) -> HttpResponse:
    raise RuntimeError("a bug")


def _bad(request: object) -> HttpResponse:
    raise BadRequest("malformed")


# The project's URLs plus two that fail on purpose; the error handlers are the project's own.
urlpatterns = [path("boom/", _boom), path("bad/", _bad), *project_urls.urlpatterns]
handler400 = project_urls.handler400
handler403 = project_urls.handler403
handler404 = project_urls.handler404
handler500 = project_urls.handler500


def _page(response: object) -> str:
    return response.content.decode()  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_an_unknown_page_is_a_chinese_404_with_the_menu(personas: Personas) -> None:
    response = client_for(personas.alice).get("/no-such-page/")
    assert response.status_code == 404
    text = _page(response)
    assert 'data-testid="error-page"' in text and "页面不存在" in text and "今日队列" in text
    assert "Not Found" not in text and "The requested resource" not in text


@pytest.mark.django_db
def test_a_case_outside_ones_team_is_a_404_that_says_so_in_english_too(small_portfolio: Personas) -> None:
    from huikuan.cases.models import Case

    foreign = Case.objects.exclude(assignee=small_portfolio.alice).exclude(team=small_portfolio.team_a).first()
    assert foreign is not None
    client = client_for(small_portfolio.alice)
    assert "页面不存在" in _page(client.get(f"/cases/{foreign.pk}/"))
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    english = client.get(f"/cases/{foreign.pk}/")
    assert english.status_code == 404 and "Page not found" in _page(english)


@pytest.mark.django_db
def test_a_refused_page_is_a_styled_403_with_the_reason(personas: Personas) -> None:
    response = client_for(personas.alice).get("/import/")
    assert response.status_code == 403
    text = _page(response)
    assert 'data-status="403"' in text and "无权" in text
    assert "Forbidden" not in text


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_a_bad_request_is_a_styled_400(personas: Personas) -> None:
    response = client_for(personas.alice).get("/bad/")
    assert response.status_code == 400
    assert 'data-status="400"' in _page(response) and "请求无法处理" in _page(response)


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_a_crash_is_a_styled_500_in_the_users_language(personas: Personas) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(personas.alice)
    response = client.get("/boom/")
    assert response.status_code == 500
    text = _page(response)
    assert 'data-status="500"' in text and "出错了" in text and "a bug" not in text


def test_the_500_page_renders_without_a_user_or_a_database() -> None:
    # The handler must not need what may have failed: no session, no user, no query.
    request = RequestFactory().get("/")
    with translation.override("en"):
        response = views.server_error(request)
    assert response.status_code == 500 and "Something went wrong" in response.content.decode()


@pytest.mark.django_db
def test_a_form_from_an_expired_page_is_a_styled_403_not_djangos(personas: Personas) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas.alice)
    response = client.post("/logout/")
    assert response.status_code == 403
    text = _page(response)
    assert 'data-status="403"' in text and "已过期的页面" in text and "CSRF" not in text
