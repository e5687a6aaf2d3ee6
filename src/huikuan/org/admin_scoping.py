"""Admin classes that apply the case visibility rule and audit every change they save."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from huikuan.audit.records import record_access, record_change, snapshot
from huikuan.org.permissions import can_reveal_pii
from huikuan.org.visibility import case_filter


class CaseScopedAdmin(admin.ModelAdmin):
    """Rows reachable from a case through `case_path` ('' for Case itself) are filtered per user.

    `personal_fields` hold personal data in clear (a number, an address, a text sent to the debtor): a
    user without the reveal right never gets them in a change form, and each look by one who has it is
    written to the access log, as every reveal elsewhere is. The add form shows them: it holds nothing yet.
    """

    case_path = ""
    personal_fields: tuple[str, ...] = ()

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).filter(case_filter(request.user, self.case_path))

    def _hides_personal(self, request: HttpRequest, obj: Any) -> bool:
        return obj is not None and not can_reveal_pii(request.user)

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> Any:
        excluded = list(super().get_exclude(request, obj) or [])
        return [*excluded, *self.personal_fields] if self._hides_personal(request, obj) else excluded or None

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        if self._hides_personal(request, obj):
            return [f for f in fields if f not in self.personal_fields]
        return fields

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None) -> Any:
        obj = self.get_object(request, object_id)
        if obj is not None and request.method == "GET" and self.personal_fields and can_reveal_pii(request.user):
            for name in self.personal_fields:
                record_access(request.user, obj, name, "admin change form", channel="admin")
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        before = snapshot(type(obj).objects.get(pk=obj.pk)) if change and obj.pk else None
        super().save_model(request, obj, form, change)
        record_change(request.user, obj, "admin:change" if change else "admin:add", before, snapshot(obj))

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        record_change(request.user, obj, "admin:delete", snapshot(obj), None)
        super().delete_model(request, obj)
