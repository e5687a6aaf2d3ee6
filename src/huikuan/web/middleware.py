"""A backstop under every page's own parsing: no query string or form field with control characters.

PostgreSQL refuses NUL in any text, so a NUL typed into a search box or a filter reached the database and
came back as a server error. No field of a page takes control characters (tab and line breaks excepted,
for notes and templates), so a request carrying one is answered 400 before any view runs. Views still parse
their own fields (numbers, dates, amounts) with the kernel's parsers; the API is left to its schemas.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict
from django.utils.translation import gettext as _

from huikuan.kernel.identifiers import has_control


def _carries_control(data: QueryDict) -> bool:
    return any(has_control(key) or any(has_control(v) for v in values) for key, values in data.lists())


class RefuseControlCharacters:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            return self.get_response(request)  # the API's schema refuses them itself, with a documented 422
        # Multipart forms are left to their views: reading them here would fix the upload handlers early.
        form = request.method == "POST" and request.content_type == "application/x-www-form-urlencoded"
        if _carries_control(request.GET) or (form and _carries_control(request.POST)):
            return HttpResponseBadRequest(_("The request contains control characters (such as NUL); remove them."))
        return self.get_response(request)
