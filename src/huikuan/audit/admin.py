from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from huikuan.audit.models import AccessLog, ChangeLog, SecurityEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    """The audit trail is evidence: nobody edits or deletes it, not even an administrator."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdmin):
    list_display = ["at", "user", "subject_type", "subject_id", "field", "reason", "channel"]
    list_filter = ["subject_type", "channel", "user"]
    search_fields = ["subject_id", "reason", "user__username"]
    date_hierarchy = "at"


@admin.register(ChangeLog)
class ChangeLogAdmin(ReadOnlyAdmin):
    list_display = ["at", "user", "subject_type", "subject_id", "action"]
    list_filter = ["subject_type", "user"]
    search_fields = ["subject_id", "action"]
    date_hierarchy = "at"


@admin.register(SecurityEvent)
class SecurityEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "kind", "username", "ip_address", "method", "path", "status", "subject_id", "reason"]
    list_filter = ["kind", "status"]
    search_fields = ["username", "ip_address", "path", "subject_id"]
    date_hierarchy = "at"
