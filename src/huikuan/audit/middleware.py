"""Writes the security log's refusals: every 403, and every 404 that hides a case from its asker."""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase

from huikuan.audit.models import SecurityEventKind
from huikuan.audit.records import record_security_event
from huikuan.audit.refusals import Refusal, collecting, finish


class RefusalAuditMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        noted, token = collecting()
        try:
            response = self.get_response(request)
        finally:
            finish(token)
        if response.status_code < 400:
            # A refusal caught on the way (a view that tries an action and shows something else) refused nothing.
            noted.clear()
        elif not noted and response.status_code == 403:
            noted.append(Refusal(getattr(request, "huikuan_refusal_reason", "") or "forbidden"))
        for refusal in noted:
            record_security_event(
                SecurityEventKind.REFUSED,
                request,
                user=getattr(request, "user", None),
                status=response.status_code,
                subject_type=refusal.subject_type,
                subject_id=refusal.subject_id,
                reason=refusal.reason,
            )
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        if isinstance(exception, PermissionDenied):
            request.huikuan_refusal_reason = str(exception)  # type: ignore[attr-defined]
