"""Admin classes that apply the case visibility rule and audit every change they save."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from huikuan.audit.records import record_change, snapshot
from huikuan.org.visibility import case_filter


class CaseScopedAdmin(admin.ModelAdmin):
    """Rows reachable from a case through `case_path` ('' for Case itself) are filtered per user."""

    case_path = ""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).filter(case_filter(request.user, self.case_path))

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        before = snapshot(type(obj).objects.get(pk=obj.pk)) if change and obj.pk else None
        super().save_model(request, obj, form, change)
        record_change(request.user, obj, "admin:change" if change else "admin:add", before, snapshot(obj))

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        record_change(request.user, obj, "admin:delete", snapshot(obj), None)
        super().delete_model(request, obj)
