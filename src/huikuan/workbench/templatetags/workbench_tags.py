"""Labels for strategy codes on the workbench, from the strategy kernel's own wording (zh and en)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template
from django.utils.translation import get_language

from huikuan.kernel.strategy.policy import DEFAULT_LABELS, bare_label

register = template.Library()


def _label(code: str) -> str:
    labels = DEFAULT_LABELS["en" if (get_language() or "").startswith("en") else "zh"]
    # "跳票{n}次" names a count the reason chain fills; as a bare label the count is dropped.
    return bare_label(labels.get(code, code))


@register.filter
def action_label(code: str) -> str:
    return _label(code)


@register.filter
def goal_label(code: str) -> str:
    """What a work item's contact is for, in the user's language."""
    return _label(f"goal:{code}") if code else ""


@register.filter
def behaviour_label(code: str) -> str:
    return _label(code) if code else "—"


@register.filter
def split_words(text: str) -> list[str]:
    return text.split()


@register.filter
def get_item(mapping: Mapping[str, Any], key: str) -> Any:
    return mapping.get(key, ())
