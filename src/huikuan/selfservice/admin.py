"""Self-service evidence in the admin: read-only, for administrators (events hold addresses and user agents)."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from huikuan.selfservice.models import Event, Link, PaymentOrder


class _Evidence(admin.ModelAdmin):
    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Event)
class EventAdmin(_Evidence):
    list_display = ["at", "case", "kind", "link", "ip"]
    list_filter = ["kind"]
    readonly_fields = ["case", "link", "code", "kind", "at", "ip", "user_agent", "detail"]


@admin.register(Link)
class LinkAdmin(_Evidence):
    list_display = ["pk", "case", "channel", "created_at", "expires_at", "revoked_at", "wrong_codes"]
    exclude = ["nonce"]
    readonly_fields = ["case", "channel", "message_key", "created_by", "created_at", "expires_at", "revoked_at",
                       "revoked_by", "wrong_codes", "locked_at"]  # fmt: skip


@admin.register(PaymentOrder)
class PaymentOrderAdmin(_Evidence):
    list_display = ["order_id", "case", "provider", "amount", "status", "created_at", "paid_at"]
    list_filter = ["provider", "status"]
    readonly_fields = ["case", "link", "provider", "order_id", "amount", "status", "checkout_url", "created_at",
                       "paid_at", "paid_on", "provider_transaction", "payment"]  # fmt: skip
