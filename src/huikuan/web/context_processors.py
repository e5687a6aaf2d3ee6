"""What every page may ask: the user's capabilities, so a menu shows what the user may open."""

from __future__ import annotations

from functools import partial

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from huikuan.notifications.actions import unread_count
from huikuan.org.permissions import capabilities


def user_capabilities(request: HttpRequest) -> dict[str, object]:
    """``{% if can.import %}``: the same answers the actions give (org.permissions)."""
    return {"can": SimpleLazyObject(lambda: capabilities(getattr(request, "user", None)))}


def unread_notifications(request: HttpRequest) -> dict[str, object]:
    """``{{ unread_notices }}``: the header's count. A callable, which the template calls where it is used:
    a page without the header (the login page) asks nothing."""
    return {"unread_notices": partial(unread_count, getattr(request, "user", None))}


def guide_tour(request: HttpRequest) -> dict[str, object]:
    """``{% if show_tour %}``: the first-login tour, on the queue, for a collector who has not dismissed it."""
    user = getattr(request, "user", None)
    match = getattr(request, "resolver_match", None)
    show = (
        user is not None
        and user.is_authenticated
        and getattr(user, "role", "") == "collector"
        and getattr(user, "tour_done_at", None) is None
        and getattr(match, "view_name", "") == "workbench:queue"
    )
    return {"show_tour": show}
