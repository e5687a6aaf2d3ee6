"""How the dashboards' tables show their cells: rates as percentages, nothing as "—"."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def cell(value: object, column: str) -> str:
    """A table cell: a rate column's float as a percentage with one decimal, None as "—"."""
    if value is None or value == "":
        return "—"
    if isinstance(value, float) and (column.endswith("rate") or column in ("value", "low", "high", "difference")):
        return f"{value * 100:.1f}%"
    return str(value)


@register.filter
def pvalue(value: object) -> str:
    return "—" if value is None else f"{float(str(value)):.3f}"
