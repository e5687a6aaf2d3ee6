"""`{% load scoring_tags %}`: a case's score on the case page, the drift warning on the team page."""

from __future__ import annotations

from typing import Any

from django import template

from huikuan.scoring.queries import case_score
from huikuan.scoring.registry import drift_warning

register = template.Library()


@register.inclusion_tag("scoring/_case_score.html")
def case_model_score(case: Any) -> dict[str, Any]:
    return {"score": case_score(case.pk)}


@register.inclusion_tag("scoring/_drift_warning.html")
def model_drift_warning() -> dict[str, Any]:
    return {"drifted": drift_warning()}
