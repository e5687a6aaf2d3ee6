"""The admin of legal cases: read and searched here; moved only through the legal page or the API (the
moves are the kernel's to allow and each is audited), so stage and money fields are read-only."""

from __future__ import annotations

from django.contrib import admin

from huikuan.legal.models import LegalCase, LegalDocument, LegalMove
from huikuan.org.admin_scoping import CaseScopedAdmin


class LegalMoveInline(admin.TabularInline):
    model = LegalMove
    extra = 0
    can_delete = False
    readonly_fields = ["from_stage", "to_stage", "note", "by", "at"]

    def has_add_permission(self, request: object, obj: object = None) -> bool:
        return False


class LegalDocumentInline(admin.TabularInline):
    model = LegalDocument
    extra = 0
    can_delete = False
    readonly_fields = ["item", "name", "content_type", "size", "sha256", "uploaded_by", "uploaded_at"]
    exclude = ["file"]

    def has_add_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(LegalCase)
class LegalCaseAdmin(CaseScopedAdmin):
    case_path = "case__"
    list_display = ["id", "case", "stage", "court", "case_number", "next_hearing", "opened_at"]
    list_filter = ["stage"]
    search_fields = ["case_number", "court", "law_firm"]
    raw_id_fields = ["case"]
    readonly_fields = [
        "case", "stage", "costs_posted", "opened_by", "opened_at", "closed_at", "prior_status", "prior_hold_reason",
    ]  # fmt: skip
    inlines = [LegalMoveInline, LegalDocumentInline]

    def has_add_permission(self, request: object) -> bool:
        # A legal case opens through ``open_legal_case`` (the hold, the time-bar check, the audit).
        return False


@admin.register(LegalDocument)
class LegalDocumentAdmin(CaseScopedAdmin):
    case_path = "legal_case__case__"
    list_display = ["id", "legal_case", "item", "name", "content_type", "size", "uploaded_at"]
    readonly_fields = [
        "legal_case",
        "item",
        "file",
        "name",
        "content_type",
        "size",
        "sha256",
        "uploaded_by",
        "uploaded_at",
    ]

    def has_add_permission(self, request: object) -> bool:
        return False
