from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from huikuan.kernel.scripts.library import DEFAULT_PATH
from huikuan.org.admin_scoping import CaseScopedAdmin
from huikuan.workbench.models import CallRecording, ScriptLibraryVersion


@admin.register(ScriptLibraryVersion)
class ScriptLibraryVersionAdmin(admin.ModelAdmin):
    list_display = ["number", "note", "in_force", "created_by", "created_at"]
    readonly_fields = ["in_force", "created_by", "created_at"]
    actions = ["put_in_force"]

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        # A new version starts from the one in force (or the shipped default), so an edit is a small diff.
        current = ScriptLibraryVersion.objects.filter(in_force=True).first()
        last = ScriptLibraryVersion.objects.order_by("-number").values_list("number", flat=True).first() or 0
        source = current.source if current else DEFAULT_PATH.read_text(encoding="utf-8")
        return {"source": source, "number": last + 1}

    def save_model(self, request: HttpRequest, obj: ScriptLibraryVersion, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Put the selected version in force"))
    def put_in_force(self, request: HttpRequest, queryset: QuerySet[ScriptLibraryVersion]) -> None:
        chosen = queryset.first()
        if chosen is None:
            return
        with transaction.atomic():
            ScriptLibraryVersion.objects.filter(in_force=True).update(in_force=False)
            ScriptLibraryVersion.objects.filter(pk=chosen.pk).update(in_force=True)


@admin.register(CallRecording)
class CallRecordingAdmin(CaseScopedAdmin):
    case_path = "interaction__case__"
    list_display = ["interaction", "file", "uploaded_by", "created_at"]
    raw_id_fields = ["interaction"]
