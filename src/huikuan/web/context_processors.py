"""What every page may ask: the user's capabilities, so a menu shows what the user may open."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from huikuan.org.permissions import capabilities


def user_capabilities(request: HttpRequest) -> dict[str, object]:
    """``{% if can.import %}``: the same answers the actions give (org.permissions)."""
    return {"can": SimpleLazyObject(lambda: capabilities(getattr(request, "user", None)))}
