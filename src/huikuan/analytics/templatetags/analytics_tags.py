"""How the dashboards' tables show their cells: rates as percentages, nothing as "—"."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def cell(value: object, column: str) -> str:
    """A table cell: a float as a percentage with one decimal (the figures' only floats are rates and
    shares; money is yuan text, counts are integers), None as "—"."""
    if value is None or value == "":
        return "—"
    if isinstance(value, float):
        return f"{value * 100:.1f}%"
    return str(value)


@register.filter
def pvalue(value: object) -> str:
    return "—" if value is None else f"{float(str(value)):.3f}"
