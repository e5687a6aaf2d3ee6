from django.contrib import admin
from django.http import HttpRequest

from huikuan.comms.models import Message, Template, TemplateVersion, VersionStatus


@admin.register(Template)
class TemplateAdmin(admin.ModelAdmin):
    list_display = ("channel", "purpose", "tone", "language")
    list_filter = ("channel", "purpose", "language")


@admin.register(TemplateVersion)
class TemplateVersionAdmin(admin.ModelAdmin):
    """Drafts may be written here; activation only goes through the templates screen
    (comms.actions.activate_version), which screens the words first. A version once activated is the
    evidence of what was sent: nothing of it is edited or deleted here, a change is a new version."""

    list_display = ("template", "number", "status", "activated_at")
    list_filter = ("status",)
    readonly_fields = ("status", "screening", "screened_at", "activated_at", "activated_by")

    def get_readonly_fields(self, request: HttpRequest, obj: TemplateVersion | None = None) -> list[str]:
        if obj is not None and was_activated(obj):
            return [f.name for f in TemplateVersion._meta.fields]
        return list(self.readonly_fields)

    def has_delete_permission(self, request: HttpRequest, obj: TemplateVersion | None = None) -> bool:
        return not (obj is not None and was_activated(obj)) and super().has_delete_permission(request, obj)


def was_activated(version: TemplateVersion) -> bool:
    return version.status != VersionStatus.DRAFT or version.activated_at is not None


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("idempotency_key", "channel", "purpose", "status", "due_at", "sent_at")
    list_filter = ("channel", "status", "purpose")
    readonly_fields = [f.name for f in Message._meta.fields]
