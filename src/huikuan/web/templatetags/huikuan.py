"""Template filters for how money and stages read on screen."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from huikuan.cases.models import STAGE_LABELS, Channel
from huikuan.compliance.labels import FLAG_CATEGORIES, FLAG_SEVERITIES, TEXT_SOURCES
from huikuan.kernel.delinquency import Stage
from huikuan.kernel.money import format_yuan

register = template.Library()


@register.filter
def yuan(value: Decimal | None) -> str:
    """12400.5 → 12,400.50: exact to the fen, with thousands separators."""
    return "" if value is None else format_yuan(value)


# The default policy's risk bands; a policy may name its own, which are then shown as written.
RISK_LABELS = {"low": _("Low"), "medium": _("Medium"), "high": _("High")}


@register.filter
def risk_label(value: str | None) -> str:
    return str(RISK_LABELS.get(value or "", value or "—"))


@register.filter
def stage_label(value: str) -> str:
    try:
        return str(STAGE_LABELS[Stage(value)])
    except ValueError:
        return value


@register.filter
def gate_reasons(decision: Any) -> str:
    """A gate decision's reasons in the page's language; its rule ids if it recorded no wording."""
    return str(decision.reason_text(get_language() or "zh-hans")) or ", ".join(decision.rule_ids)


@register.filter
def flag_category(value: str) -> str:
    return str(FLAG_CATEGORIES.get(value, value))


@register.filter
def severity_label(value: str) -> str:
    return str(FLAG_SEVERITIES.get(value, value))


@register.filter
def text_source_label(value: str) -> str:
    return str(TEXT_SOURCES.get(value, value))


@register.filter
def channel_label(value: str) -> str:
    try:
        return str(Channel(value).label)
    except ValueError:
        return value


@register.simple_tag(takes_context=True)
def help_url(context: template.Context) -> str:
    """The "?" of the page being shown: the guide's section for its URL name (web.views_help.help_for_page)."""
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    name = getattr(match, "view_name", "") or ""
    return reverse("web:help-for", args=[name]) if name else reverse("web:help")
