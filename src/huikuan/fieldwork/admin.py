"""The visits in the admin: read-only records (a visit is written by record_visit, through the gate)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from huikuan.fieldwork.models import Visit, VisitAttachment
from huikuan.org.admin_scoping import CaseScopedAdmin


class VisitAttachmentInline(admin.TabularInline):
    model = VisitAttachment
    extra = 0
    can_delete = False
    fields = ["name", "media_type", "size", "sha256", "uploaded_by", "created_at"]
    readonly_fields = ["name", "media_type", "size", "sha256", "uploaded_by", "created_at"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Visit)
class VisitAdmin(CaseScopedAdmin):
    case_path = "case__"
    # The notes may quote what was said at the door: personal data, shown to roles that may reveal it.
    personal_fields = ("notes",)
    list_display = ["case", "arrived_at", "left_at", "outcome", "collector", "second_collector"]
    list_filter = ["outcome"]
    raw_id_fields = ["case", "interaction", "work_item", "address", "promise", "plan"]
    readonly_fields = [
        "case", "interaction", "address", "work_item", "collector", "second_collector", "arrived_at", "left_at",
        "persons_met", "outcome", "notes", "promise", "plan", "created_at",
    ]  # fmt: skip
    inlines = [VisitAttachmentInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A visit is recorded through the gate (the visit form, the API), never typed into the admin.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(VisitAttachment)
class VisitAttachmentAdmin(CaseScopedAdmin):
    case_path = "visit__case__"
    list_display = ["visit", "name", "media_type", "size", "sha256", "uploaded_by", "created_at"]
    readonly_fields = ["visit", "file", "name", "media_type", "size", "sha256", "uploaded_by", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
