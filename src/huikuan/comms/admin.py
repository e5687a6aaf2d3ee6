from django.contrib import admin

from huikuan.comms.models import Message, Template, TemplateVersion


@admin.register(Template)
class TemplateAdmin(admin.ModelAdmin):
    list_display = ("channel", "purpose", "tone", "language")
    list_filter = ("channel", "purpose", "language")


@admin.register(TemplateVersion)
class TemplateVersionAdmin(admin.ModelAdmin):
    list_display = ("template", "number", "status", "activated_at")
    list_filter = ("status",)
    readonly_fields = ("screening", "screened_at", "activated_at", "activated_by")


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("idempotency_key", "channel", "purpose", "status", "due_at", "sent_at")
    list_filter = ("channel", "status", "purpose")
    readonly_fields = [f.name for f in Message._meta.fields]
