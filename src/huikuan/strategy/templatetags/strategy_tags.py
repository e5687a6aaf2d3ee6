"""`{% load strategy_tags %}{% strategy_reasons case %}` renders a case's reason chain on the case page."""

from __future__ import annotations

from typing import Any

from django import template

from huikuan.strategy.views_data import case_reasons

register = template.Library()


@register.inclusion_tag("strategy/_case_reasons.html")
def strategy_reasons(case: Any) -> dict[str, Any]:
    return {"strategy_items": list(case_reasons(case.pk))}
