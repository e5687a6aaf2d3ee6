from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from huikuan.comms.models import Message, Template, TemplateVersion, VersionStatus
from huikuan.kernel import pii
from huikuan.org.admin_scoping import CaseScopedAdmin


@admin.register(Template)
class TemplateAdmin(admin.ModelAdmin):
    list_display = ("channel", "purpose", "tone", "language")
    list_filter = ("channel", "purpose", "language")


@admin.register(TemplateVersion)
class TemplateVersionAdmin(admin.ModelAdmin):
    """Drafts may be written here; activation only goes through the templates screen
    (comms.templates.activate_version), which screens the words first. A version once activated is the
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
class MessageAdmin(CaseScopedAdmin):
    """The outbox as evidence, read-only: a case's messages for those who may see the case, and what names
    or describes the debtor (the recipient, the text, the values filled in, the provider's error) only for
    those who may reveal personal data."""

    case_path = "case__"
    list_display = ("idempotency_key", "channel", "purpose", "status", "masked_recipient", "due_at", "sent_at")
    list_filter = ("channel", "status", "purpose")
    list_select_related = ("contact_point",)
    personal_fields = ("recipient", "subject", "body", "html", "variables", "last_error", "document")
    readonly_fields = ["masked_recipient", *(f.name for f in Message._meta.fields)]

    @admin.display(description=_("recipient"))
    def masked_recipient(self, obj: Message) -> str:
        if obj.contact_point is not None:
            return obj.contact_point.masked
        return pii.mask_text(obj.recipient, keep=3)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # messages are queued by the outbox, never written by hand
