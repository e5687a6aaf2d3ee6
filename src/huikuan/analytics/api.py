"""REST endpoints: every dashboard figure as JSON, with the page's filters, in the caller's scope.

The same query function answers the page, the XLSX and the API (``dashboard.figure``), so none can show
more than the caller's scope.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.errors import HttpError

from huikuan import clock
from huikuan.analytics.dashboard import FIGURES, FilterError, drill_cases, figure, parse_drill, parse_filters, scope_of
from huikuan.inputs import errors

router = Router(tags=["analytics"])


class FigureOut(Schema):
    """A figure's table: column keys and labels (in the caller's language), rows (money as yuan text with
    two places, rates as fractions, nothing as null), each row's drill-down query string, and what a figure
    adds (the roll matrix's columns, the experiment's comparisons with the champion)."""

    key: str
    title: str
    columns: list[str]
    labels: list[str]
    rows: list[list[Any]]
    drill: list[str]
    note: str
    extra: dict[str, Any]


def _answer(request: HttpRequest, name: str) -> dict[str, Any]:
    try:
        scope = scope_of(request.user)
        filters = parse_filters(request.GET, scope, clock.today())
        if name == "cases":
            return drill_cases(scope, filters, parse_drill(request.GET, filters)).as_json()
        return figure(name, scope, filters).as_json()
    except FilterError as error:
        raise HttpError(400, f"{error.name}: {error.message}") from None


def _endpoint(name: str) -> None:
    def read(request: HttpRequest) -> dict[str, Any]:
        return _answer(request, name)

    read.__name__ = f"analytics_{name}"
    read.__doc__ = (
        f"The dashboard's figure `{name}` (query: start, end as YYYY-MM-DD; team; product; bucket)."
        if name != "cases"
        else "The cases behind a figure (query: the filters, and kind=day|roll|collector with day, "
        "from_bucket or assignee)."
    )
    router.get(f"/{name}", response={200: FigureOut, **errors(400, 403)}, operation_id=f"analytics_{name}")(read)


for _name in (*FIGURES, "cases"):
    _endpoint(_name)
