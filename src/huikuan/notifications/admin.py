from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from huikuan.notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Read-only, and for administrators only: a notification names cases its reader sees, not every
    staff member."""

    list_display = ["user", "kind", "case_id", "created_at", "read_at"]
    list_filter = ["kind"]
    readonly_fields = ["user", "kind", "key", "case_id", "params", "created_at", "read_at"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
